/**
 * Storage faults a user can act on (a full disk, a read-only directory, a
 * damaged database) turned into user errors: what happened, to which file, and
 * what to do. A newer database is one already (storage/db.ts throws it). Anything
 * else is left for the caller to report as a bug.
 */
import { accessSync, constants } from "node:fs";
import { UserError } from "../errors.js";

const codeOf = (e: unknown): string | undefined => (e as { code?: unknown } | null)?.code as string | undefined;

export function storageError(e: unknown, dataDir: string): UserError | undefined {
  if (e instanceof UserError) return e;
  const code = codeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  const path = (e as { path?: string }).path;
  // A file of the project itself (the entry, say) is not a storage fault of the runtime.
  if (path !== undefined && !path.startsWith(dataDir)) return undefined;
  const where = path ?? dataDir;
  if (code === "ENOSPC" || code === "SQLITE_FULL" || /ENOSPC|no space left|database or disk is full/i.test(message)) {
    return new UserError("DISK_FULL", `the disk holding ${where} is full, so restate-dev cannot write its journal there`, "free some space (or move the project), then run restate-dev up again: nothing committed is lost");
  }
  if (code === "EROFS" || code === "EACCES" || code === "EPERM" || (code ?? "").startsWith("SQLITE_READONLY") || /read-only file system|readonly database/i.test(message)) {
    return new UserError("READ_ONLY", `restate-dev cannot write to ${where} (${code === "EACCES" || code === "EPERM" ? "permission denied" : "read-only"})`, "run it where the project directory is writable, or fix the permissions of its .restate-dev/ directory");
  }
  if (code === "SQLITE_CANTOPEN" && !writable(dataDir)) {
    return new UserError("READ_ONLY", `restate-dev cannot write to ${dataDir} (read-only)`, "run it where the project directory is writable, or fix the permissions of its .restate-dev/ directory");
  }
  if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || /malformed|file is not a database/i.test(message)) {
    return new UserError("DATABASE_DAMAGED", `the database ${dataDir}/runtime.db is damaged (${message})`, "move it aside to keep it for inspection (mv .restate-dev/runtime.db runtime.db.damaged), then run restate-dev up again to start with an empty journal");
  }
  return undefined;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
