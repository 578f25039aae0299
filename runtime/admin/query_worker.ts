/**
 * The process that runs `POST /query` statements (see query.ts): its own
 * read-only connection, one statement at a time, answers over IPC. It exits
 * when the runtime does (the IPC channel closes).
 */
import Database from "better-sqlite3";
import { executeQuery, prepareQueryConnection, type QueryFormat, type ServiceRow } from "./query_exec.js";

interface Request {
  id: number;
  sql: string;
  services: ServiceRow[];
  format: QueryFormat;
}

const dbFile = process.argv[2];
if (!dbFile || !process.send) {
  console.error("query_worker is started by the runtime's admin API, with the database file as its argument");
  process.exit(2);
}
const db = new Database(dbFile, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = 5000");
prepareQueryConnection(db);

process.on("message", (m: Request) => {
  process.send!({ id: m.id, ...executeQuery(db, m.sql, m.services, m.format) });
});
process.on("disconnect", () => process.exit(0));
