/**
 * Child processes the compatibility suite starts: output to a log file, tracked
 * by PID, stopped by PID (SIGTERM, then SIGKILL), and SIGKILLed when the test
 * process exits or is interrupted without stopping them (compat/setup.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface Started {
  name: string;
  pid: number;
  logFile: string;
  child: ChildProcess;
  exited: Promise<void>;
  isRunning(): boolean;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
  /** SIGTERM; SIGKILL after `graceMs`. Resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<Started>();

process.once("exit", () => killAllNow());

/** SIGKILL every process still running (synchronous: usable on exit). */
export function killAllNow(): void {
  for (const p of running) {
    if (p.isRunning()) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        /* gone already */
      }
    }
  }
  running.clear();
}

export function startProcess(name: string, command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }): Started {
  const fd = openSync(opts.logFile, "a");
  let child: ChildProcess;
  try {
    // Not detached: a Ctrl-C in the terminal reaches it as well as the tests.
    child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const pid = child.pid;
  let alive = true;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      alive = false;
      running.delete(started);
      resolve();
    });
    child.once("error", () => {
      alive = false;
      running.delete(started);
      resolve();
    });
  });
  const started: Started = {
    name,
    pid,
    logFile: opts.logFile,
    child,
    exited,
    isRunning: () => alive,
    tail: (lines = 30) => {
      try {
        return readFileSync(opts.logFile, "utf8").replace(/\x1b\[[0-9;]*m/g, "").split("\n").slice(-lines).join("\n");
      } catch {
        return "(no log)";
      }
    },
    stop: async (graceMs = 10_000) => {
      if (!alive) return;
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        /* gone already */
      }
      const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
      if ((await Promise.race([exited, timer])) === "timeout" && alive) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone already */
        }
        await exited;
      }
    },
  };
  running.add(started);
  return started;
}

/** Polls `check` until it returns true; fails early when one of `procs` exits, with its log. */
export async function waitFor(what: string, check: () => Promise<boolean>, opts: { timeoutMs: number; procs: Started[]; intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = "";
  for (;;) {
    for (const p of opts.procs) {
      if (!p.isRunning()) throw new Error(`${p.name} (pid ${p.pid}) exited while waiting for ${what}; its log (${p.logFile}):\n${p.tail()}`);
    }
    try {
      if (await check()) return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      const logs = opts.procs.map((p) => `--- ${p.name} (${p.logFile}):\n${p.tail(15)}`).join("\n");
      throw new Error(`timed out after ${opts.timeoutMs / 1000}s waiting for ${what}${last ? ` (last error: ${last})` : ""}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
