/**
 * One runtime per project directory: a pid file in .restate-dev/. A file left
 * by a killed runtime is stale when its pid is gone or is not a restate-dev.
 */
import { readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "./errors.js";

export function lockFile(dataDir: string): string {
  return join(dataDir, "runtime.pid");
}

export function runningPid(dataDir: string): number | undefined {
  const file = lockFile(dataDir);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // The pid may have been reused by an unrelated process after a crash.
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!cmdline.includes("restate-dev") && !cmdline.includes("runtime")) return undefined;
  } catch {
    // No /proc (macOS): trust the pid.
  }
  return pid;
}

export function acquireLock(dataDir: string): () => void {
  const other = runningPid(dataDir);
  if (other !== undefined) {
    throw new UserError(
      "ALREADY_RUNNING",
      `another restate-dev runtime (pid ${other}) is already running on ${dataDir}`,
      `stop it first (kill ${other}), or run this one on another project directory`,
    );
  }
  const file = lockFile(dataDir);
  writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (readFileSync(file, "utf8").trim() === String(process.pid)) rmSync(file);
    } catch {
      // already gone
    }
  };
}
