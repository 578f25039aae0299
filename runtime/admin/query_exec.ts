/**
 * Runs one `POST /query` statement on a read-only connection and renders the
 * answer as Restate does: for `Accept: application/json`, `{"rows": [...]}`,
 * where a row leaves out its NULL columns, blobs are hex strings and booleans
 * are true/false (restate-dev adds `columns`, every column name in order, so a
 * client can print a table even when a column is NULL in every row); otherwise
 * an Arrow IPC stream (arrow.ts).
 *
 * Restate's SQL engine is DataFusion; the statements Restate's own CLI sends are
 * translated where SQLite differs (translate.ts), `information_schema.columns`
 * included.
 *
 * The connection is read-only twice over (opened read-only, and
 * `PRAGMA query_only`), statements are screened before they are prepared
 * (query_statement.ts) and must be read-only once prepared (`stmt.readonly`
 * also catches `INSERT … RETURNING` and writes to TEMP tables, which a
 * read-only connection would allow). The result is counted as rows are
 * produced and refused as soon as it passes `maxResultBytes`.
 *
 * Used by the query worker processes, and in-process when no worker file exists.
 */
import type { Database, Statement } from "better-sqlite3";
import { INTROSPECTION_VIEWS, STATE_TEMP_VIEW_SQL } from "../storage/views.js";
import { FLOW_CONTROL_VIEWS } from "../storage/views_v5.js";
import { statementRefusal } from "./query_statement.js";
import { arrowStream } from "./arrow.js";
import { translate } from "./translate.js";

export type QueryFormat = "json" | "arrow";

export interface QueryOutcome {
  status: number;
  /** JSON text, or the Arrow IPC stream's bytes. */
  body: string | Uint8Array;
}

/** A row of the sys_service table the query connection keeps from the engine's manifests. */
export interface ServiceRow {
  name: string;
  ty: string;
  public: number;
  revision: number;
  deployment_id: string | null;
}

/** Columns whose 0/1 values are shown as booleans (SQLite has no boolean type). */
export const BOOLEAN_COLUMNS = new Set(["completed", "public", "disabled", "pinned_deployment_exists"]);

const TABLES = [...INTROSPECTION_VIEWS, ...FLOW_CONTROL_VIEWS, "state", "sys_service"];

/** Printed on stderr by a query process that passed its memory limit, before it ends itself. */
export const MEMORY_MARKER = "restate-dev query memory limit";

/** Default limit on a result, as its JSON would be. */
export const DEFAULT_MAX_RESULT_BYTES = 32 * 1024 * 1024;

const READ_ONLY =
  "POST /query only runs statements that read (SELECT, WITH … SELECT, VALUES, EXPLAIN, PRAGMA table_info(…) and the other schema PRAGMAs); the database is read-only here. " +
  "Change invocations and state with the admin API instead: PATCH /invocations/{id}/cancel|kill|pause|resume|purge, POST /services/{service}/state";

const lastServices = new WeakMap<Database, string>();

/** Creates the TEMP objects the views need: Restate's `state`, `sys_service` and `information_schema.columns`. */
export function prepareQueryConnection(db: Database): void {
  db.exec(STATE_TEMP_VIEW_SQL);
  db.exec("CREATE TEMP TABLE sys_service (name TEXT PRIMARY KEY, ty TEXT NOT NULL, public INTEGER NOT NULL, revision INTEGER NOT NULL, deployment_id TEXT)");
  // DataFusion's LIKE is case-sensitive; the CLI's target filters rely on it.
  db.pragma("case_sensitive_like = ON");
  describeColumns(db);
  db.pragma("query_only = ON");
}

/**
 * `information_schema.columns` over the tables a query can read (the CLI checks
 * which columns exist). A read-only connection cannot attach a database, so it
 * is a TEMP table that translate.ts names for `information_schema.columns`.
 */
function describeColumns(db: Database): void {
  db.exec(`CREATE TEMP TABLE information_schema_columns (table_catalog TEXT, table_schema TEXT, table_name TEXT, column_name TEXT,
    ordinal_position INTEGER, data_type TEXT, is_nullable TEXT)`);
  const insert = db.prepare("INSERT INTO temp.information_schema_columns VALUES ('restate', 'public', ?, ?, ?, ?, 'YES')");
  for (const table of TABLES) {
    let cols: Array<{ name: string; type: string }>;
    try {
      cols = db.pragma(`table_info(${table})`) as Array<{ name: string; type: string }>;
    } catch {
      continue;
    }
    cols.forEach((c, i) => insert.run(table, c.name, i, c.type || "Utf8"));
  }
}

export function executeQuery(db: Database, sql: string, services: ServiceRow[], format: QueryFormat = "json", maxResultBytes = DEFAULT_MAX_RESULT_BYTES): QueryOutcome {
  const refusal = statementRefusal(sql);
  if (refusal !== undefined) return failure(400, `${refusal}. ${READ_ONLY}`);
  let stmt: Statement;
  try {
    stmt = db.prepare(translate(sql));
  } catch (e) {
    return failure(400, explain(e));
  }
  if (!stmt.reader || !stmt.readonly) return failure(400, READ_ONLY);
  syncServices(db, services);
  try {
    const columns = stmt.columns().map((c) => c.name);
    const raw: unknown[][] = [];
    let size = 0;
    for (const values of stmt.raw(true).iterate() as IterableIterator<unknown[]>) {
      // Counted as rows are produced (as their JSON would be, before a blob becomes hex), whatever the format.
      for (let i = 0; i < values.length; i++) size += columns[i]!.length + 4 + jsonSize(values[i]);
      if (size > maxResultBytes) return failure(400, tooLarge(maxResultBytes, raw.length));
      raw.push(values);
    }
    if (format === "arrow") return { status: 200, body: arrowStream(columns, raw, BOOLEAN_COLUMNS) };
    const rows = raw.map((values) => {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < values.length; i++) {
        const shown = show(columns[i]!, values[i]);
        if (shown !== undefined) row[columns[i]!] = shown;
      }
      return row;
    });
    return { status: 200, body: JSON.stringify({ rows, columns }) };
  } catch (e) {
    return failure(400, explain(e));
  }
}

export function tooLarge(limit: number, rowsSoFar?: number): string {
  const after = rowsSoFar === undefined ? "" : ` (it passed the limit after ${rowsSoFar} row${rowsSoFar === 1 ? "" : "s"})`;
  return `the query's result is larger than ${Math.round(limit / 1024 / 1024)} MB and was stopped${after}; select fewer rows or columns (LIMIT, WHERE), or length(…) and substr(…) of large values`;
}

/** About how many bytes a value takes in the JSON answer. */
function jsonSize(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (v instanceof Uint8Array) return 2 * v.byteLength + 2;
  if (typeof v === "string") return v.length + 2;
  return 24;
}

function show(column: string, v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex");
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (BOOLEAN_COLUMNS.has(column) && (v === 0 || v === 1)) return v === 1;
  return v;
}

function syncServices(db: Database, services: ServiceRow[]): void {
  const key = JSON.stringify(services);
  if (lastServices.get(db) === key) return;
  // The connection is query_only for user statements; this is the one write it makes.
  db.pragma("query_only = OFF");
  try {
    db.transaction(() => {
      db.prepare("DELETE FROM temp.sys_service").run();
      const insert = db.prepare("INSERT INTO temp.sys_service (name, ty, public, revision, deployment_id) VALUES (@name, @ty, @public, @revision, @deployment_id)");
      for (const s of services) insert.run(s);
    })();
  } finally {
    db.pragma("query_only = ON");
  }
  lastServices.set(db, key);
}

function explain(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (/^no such table/.test(message)) return `${message} (the tables are ${TABLES.join(", ")})`;
  if (/^no such column/.test(message)) return `${message} (PRAGMA table_info(<table>) lists a table's columns)`;
  if (/readonly database|because it is a view/.test(message)) return `${message}: ${READ_ONLY}`;
  if (/contains no statements/.test(message)) return `${message}: send {"query": "SELECT …"}`;
  return message;
}

function failure(status: number, message: string): QueryOutcome {
  return { status, body: JSON.stringify({ message, restate_code: null }) };
}
