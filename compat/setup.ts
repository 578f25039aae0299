import { afterAll } from "vitest";
import { killAllRuntimes } from "../test/helpers/runtime.js";
import { killAllNow } from "./harness/processes.js";
import { removeTempDirs } from "./harness/targets.js";

/** Kills what this worker started (by PID) and removes its temp dirs (unless $COMPAT_KEEP_TEMP). */
function cleanUp(): void {
  killAllRuntimes();
  killAllNow();
  if (!process.env.COMPAT_KEEP_TEMP) removeTempDirs();
}

// After each file's own afterAll hooks: nothing a file started outlives it.
afterAll(cleanUp);

// Interrupted (Ctrl-C, or the runner stopping this worker): kill what this
// worker started, by PID, before going. (Normal exits: the "exit" hooks.)
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  process.once(signal, () => {
    cleanUp();
    if (process.listenerCount(signal) === 0) process.exit(code);
  });
}
