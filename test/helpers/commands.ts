/**
 * Runs a command as a user would in a terminal (restate-dev, npm). Each command
 * gets its own process group, so a timeout, a failed test or `killAllCommands()`
 * ends everything it started, grandchildren included (npm test → vitest → npx →
 * restate-dev up → workers).
 */
import { spawn, type ChildProcess } from "node:child_process";

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export interface CommandOptions {
  cwd?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

const running = new Set<ChildProcess>();

export function runCommand(command: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  const started = performance.now();
  const child = spawn(command, args, {
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    env: { ...cleanEnv(), ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // a process group of its own
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  let timedOut = false;
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child);
  }, opts.timeoutMs ?? 30_000);
  // Whatever the command left running goes with it (this also closes the pipes it held).
  child.on("exit", () => killGroup(child));
  return new Promise((resolve, reject) => {
    child.on("error", (e) => {
      clearTimeout(timer);
      running.delete(child);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr, timedOut, ms: Math.round(performance.now() - started) });
    });
  });
}

/** Kills every command still running, with all it started. */
export function killAllCommands(): void {
  for (const child of running) killGroup(child);
  running.clear();
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // the group is gone already
  }
}

/**
 * The environment without what npm and vitest set for the process running
 * this test (npm_config_*, npm_package_*, VITEST*), which would leak into the
 * npm and vitest a command starts.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|__VITEST|TINYPOOL)/i.test(k) || k === "INIT_CWD" || k === "NODE_ENV" || k === "TEST") continue;
    env[k] = v;
  }
  return env;
}
