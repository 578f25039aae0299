/**
 * A process that runs `POST /query` statements (see query.ts): its own
 * read-only connection, one statement at a time, answers over IPC. It exits
 * when the runtime does (the IPC channel closes).
 *
 * The result is counted row by row (query_exec.ts), but better-sqlite3 makes
 * a whole row before handing it over, and one value can be up to 1 GB
 * (`zeroblob(1e9)`, a row of 2000 wide columns). A watchdog thread, which
 * runs while the main thread is inside SQLite, ends the process when its
 * memory passes the limit; the runtime reports that as a result too large.
 */
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { executeQuery, MEMORY_MARKER, prepareQueryConnection, type QueryFormat, type ServiceRow } from "./query_exec.js";

interface Request {
  id: number;
  sql: string;
  services: ServiceRow[];
  format: QueryFormat;
}

const [dbFile, maxResultArg, maxRssArg] = process.argv.slice(2);
if (!dbFile || !process.send) {
  console.error("query_worker is started by the runtime's admin API, with the database file as its argument");
  process.exit(2);
}
const maxResultBytes = Number(maxResultArg) || undefined;
const maxRssBytes = Number(maxRssArg) || 0;
if (maxRssBytes > 0) startWatchdog(maxRssBytes);

const db = new Database(dbFile, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = 5000");
prepareQueryConnection(db);

process.on("message", (m: Request) => {
  process.send!({ id: m.id, ...executeQuery(db, m.sql, m.services, m.format, maxResultBytes) });
});
process.on("disconnect", () => process.exit(0));

function startWatchdog(limit: number): void {
  const source = `
    const { workerData } = require("node:worker_threads");
    setInterval(() => {
      if (process.memoryUsage.rss() > workerData.limit) {
        require("node:fs").writeSync(2, ${JSON.stringify(MEMORY_MARKER)} + "\\n");
        process.kill(process.pid, "SIGKILL");
      }
    }, 10);
  `;
  const w = new Worker(source, { eval: true, workerData: { limit } });
  w.unref();
}
