/**
 * Runs one `POST /query` statement on a read-only connection and renders the
 * answer as Restate does for `Accept: application/json`: `{"rows": [...]}`,
 * where a row leaves out its NULL columns, blobs are hex strings and booleans
 * are true/false. restate-dev adds `columns` (every column name, in order), so
 * a client can print a table even when a column is NULL in every row.
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
import { statementRefusal } from "./query_statement.js";

export interface QueryOutcome {
  status: number;
  /** JSON text. */
  body: string;
}

/** A row of the sys_service table the query connection keeps from the engine's manifests. */
export interface ServiceRow {
  name: string;
  ty: string;
  public: number;
}

/** Columns whose 0/1 values are shown as booleans (SQLite has no boolean type). */
const BOOLEAN_COLUMNS = new Set(["completed", "public"]);

const TABLES = [...INTROSPECTION_VIEWS, "state", "sys_service"];

/** Printed on stderr by a query process that passed its memory limit, before it ends itself. */
export const MEMORY_MARKER = "restate-dev query memory limit";

/** Default limit on a result, as its JSON would be. */
export const DEFAULT_MAX_RESULT_BYTES = 32 * 1024 * 1024;

const READ_ONLY =
  "POST /query only runs statements that read (SELECT, WITH … SELECT, VALUES, EXPLAIN, PRAGMA table_info(…) and the other schema PRAGMAs); the database is read-only here. " +
  "Change invocations and state with the admin API instead: PATCH /invocations/{id}/cancel|kill|pause|resume|purge, POST /services/{service}/state";

const lastServices = new WeakMap<Database, string>();

/** Creates the TEMP objects the views need: Restate's `state` and `sys_service`. */
export function prepareQueryConnection(db: Database): void {
  db.exec(STATE_TEMP_VIEW_SQL);
  db.exec("CREATE TEMP TABLE sys_service (name TEXT PRIMARY KEY, ty TEXT NOT NULL, public INTEGER NOT NULL)");
  db.pragma("query_only = ON");
}

export function executeQuery(db: Database, sql: string, services: ServiceRow[], maxResultBytes = DEFAULT_MAX_RESULT_BYTES): QueryOutcome {
  const refusal = statementRefusal(sql);
  if (refusal !== undefined) return failure(400, `${refusal}. ${READ_ONLY}`);
  let stmt: Statement;
  try {
    stmt = db.prepare(quoteIndex(sql));
  } catch (e) {
    return failure(400, explain(e));
  }
  if (!stmt.reader || !stmt.readonly) return failure(400, READ_ONLY);
  syncServices(db, services);
  try {
    const columns = stmt.columns().map((c) => c.name);
    const rows: Array<Record<string, unknown>> = [];
    let size = 0;
    for (const values of stmt.raw(true).iterate() as IterableIterator<unknown[]>) {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        // Counted before a blob becomes hex, so an oversized one is never doubled.
        size += columns[i]!.length + 4 + jsonSize(v);
        if (size > maxResultBytes) return failure(400, tooLarge(maxResultBytes, rows.length));
        const shown = show(columns[i]!, v);
        if (shown !== undefined) row[columns[i]!] = shown;
      }
      rows.push(row);
    }
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

/**
 * Restate's sys_journal has a column named `index`, which Restate's SQL engine
 * accepts unquoted; in SQLite INDEX is a keyword. In a statement that only reads,
 * a bare INDEX can only mean that column, so it is quoted. Strings, quoted
 * identifiers and comments are left alone.
 */
export function quoteIndex(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|\b[A-Za-z_][A-Za-z0-9_$]*\b/g, (t) =>
    t.toLowerCase() === "index" ? `"${t.toLowerCase()}"` : t,
  );
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
      const insert = db.prepare("INSERT INTO temp.sys_service (name, ty, public) VALUES (@name, @ty, @public)");
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
