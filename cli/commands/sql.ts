/** `restate-dev sql "<query>"`: SQL over Restate's introspection tables (POST /query). */
import { readFileSync } from "node:fs";
import { check, adminTarget, withAdmin } from "../admin_client.js";
import { note, printJson, stdoutStyle, table } from "../format.js";
import { UserError } from "../../runtime/errors.js";

const TABLES_HINT =
  "the tables are sys_invocation, sys_journal, sys_journal_events, state, sys_inbox, sys_keyed_service_status, sys_idempotency, sys_promise, sys_service, sys_invocation_status, sys_deployment, sys_rules; " +
  "PRAGMA table_info(<table>) lists a table's columns";

export async function sql(query: string, opts: { adminUrl?: string; dir?: string; json?: boolean }): Promise<number> {
  const text = readQuery(query);
  return withAdmin({ access: "read", ...adminTarget(opts) }, async (admin) => {
    const answer = await admin.send("POST", "/query", { query: text });
    const res = check(answer, answer.status === 503 ? "other queries are running; run it again in a few seconds" : TABLES_HINT);
    const { rows, columns } = res.json as { rows: Array<Record<string, unknown>>; columns?: string[] };
    if (opts.json) {
      printJson(rows);
      return 0;
    }
    const style = stdoutStyle();
    const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const cell = (v: unknown) => (v === undefined || v === null ? (style.tty ? style.dim("NULL") : "") : typeof v === "string" ? v : JSON.stringify(v));
    if (cols.length) process.stdout.write(table(cols, rows.map((r) => cols.map((c) => cell(r[c]))), style));
    if (style.tty || rows.length === 0) note(`${rows.length} row${rows.length === 1 ? "" : "s"}`);
    return 0;
  });
}

/** The query inline, from @file.sql, or from stdin with "-". */
function readQuery(query: string): string {
  if (query !== "-" && !query.startsWith("@")) return query;
  try {
    return readFileSync(query === "-" ? 0 : query.slice(1), "utf8");
  } catch (e) {
    throw new UserError("BAD_INPUT", `cannot read ${query === "-" ? "stdin" : query.slice(1)}: ${(e as Error).message}`, "pass the query inline in quotes, as @file.sql, or - for stdin");
  }
}
