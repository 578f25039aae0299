/**
 * One runtime per project directory. The lock is an exclusive SQLite lock on
 * `.restate-dev/runtime.lock`, held for the life of the process: taking it is
 * atomic (two `up`s started at the same instant cannot both win), and the OS
 * drops it when the process dies, so a killed runtime leaves nothing stale.
 * `runtime.pid` beside it only names the holder in the error message.
 */
import Database from "better-sqlite3";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "./errors.js";

export function acquireLock(dataDir: string): () => void {
  const file = join(dataDir, "runtime.lock");
  const pidFile = join(dataDir, "runtime.pid");
  const db = new Database(file);
  try {
    db.pragma("busy_timeout = 0");
    db.pragma("journal_mode = MEMORY"); // its content does not matter: no -journal file beside it
    db.pragma("locking_mode = EXCLUSIVE");
    // The first write takes the exclusive lock, and locking_mode keeps it until close.
    db.exec(`BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder; INSERT INTO holder VALUES (${process.pid}); COMMIT;`);
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code !== "SQLITE_BUSY") throw e;
    const other = readPid(pidFile);
    throw new UserError(
      "ALREADY_RUNNING",
      `another restate-dev runtime${other ? ` (pid ${other})` : ""} is already running on ${dataDir}`,
      `stop it first${other ? ` (kill ${other})` : ""}, or run this one on another project directory`,
    );
  }
  writeFileSync(pidFile, String(process.pid));
  return () => {
    if (readPid(pidFile) === process.pid) rmSync(pidFile, { force: true });
    db.close();
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
