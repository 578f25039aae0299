/**
 * Runs `restate-dev up` as a user would: the built CLI in a child process, on
 * free ports, against a real project directory and SQLite file.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { makeProject } from "./project.js";

export const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const CLI = join(REPO, "bin", "restate-dev.js");

export interface UpProcess {
  /** The project directory `up` serves. */
  projectDir: string;
  ingressUrl: string;
  adminUrl: string;
  proc: ChildProcess;
  output(): string;
  /** SIGKILL: nothing gets to clean up. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<number | null>;
}

export interface UpOptions {
  env?: Record<string, string>;
  args?: string[];
  timeoutMs?: number;
  /** The working directory of `up` (default: this process's). */
  cwd?: string;
  /** Pass the project as this argument (default: its absolute path; "" passes none, for `up` run inside it). */
  dirArg?: string;
}

const started = new Set<ChildProcess>();
// Also when a test file's process ends without running its hooks (a timeout, a crash).
process.once("exit", () => killAllRuntimes());

/** Kills every runtime a test started and did not stop (a failed assertion skips its cleanup). */
export function killAllRuntimes(): void {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
  started.clear();
}

export async function startUp(dir: string, opts: UpOptions = {}): Promise<UpProcess> {
  const info = join(dir, ".restate-dev", "runtime.json");
  const dirArg = opts.dirArg ?? dir;
  const proc = spawn(process.execPath, [CLI, "up", ...(dirArg ? [dirArg] : []), "--ingress-port", "0", "--admin-port", "0", ...(opts.args ?? [])], {
    env: { ...process.env, ...opts.env },
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.add(proc);
  proc.on("exit", () => started.delete(proc));
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let urls: { ingressUrl: string; adminUrl: string } | undefined;
  while (!urls) {
    if (proc.exitCode !== null) throw new Error(`restate-dev up exited with ${proc.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`restate-dev up did not get ready:\n${out}`);
    }
    if (existsSync(info) && out.includes("ready:")) {
      try {
        const parsed = JSON.parse(readFileSync(info, "utf8"));
        if (parsed.pid === proc.pid) urls = parsed;
      } catch {
        // being written
      }
    }
    if (!urls) await sleep(25);
  }
  return {
    ...urls,
    projectDir: dir,
    proc,
    output: () => out,
    kill: async () => {
      proc.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      proc.kill("SIGTERM");
      return exited;
    },
  };
}

/** One runtime for a whole test file, on a project made of `files`; stopped after the file. */
export function runForFile(files: Record<string, string>, started: (up: UpProcess) => void, opts: UpOptions = {}): void {
  let up: UpProcess | undefined;
  beforeAll(async () => {
    up = await startUp(makeProject(files), opts);
    started(up);
  });
  afterAll(async () => {
    await up?.stop();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function call(base: string, path: string, body?: unknown, init: { headers?: Record<string, string>; method?: string } = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === "string" ? body : JSON.stringify(body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
  }
  const res = await fetch(base + path, { method: init.method ?? "POST", headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Polls until `check` returns a value (not undefined), or fails after the timeout. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await sleep(50);
  }
}

/** What the admin API says of an invocation, journal included. */
export async function describeInvocation(adminUrl: string, id: string): Promise<any> {
  const r = await call(adminUrl, `/invocations/${id}`, undefined, { method: "GET" });
  return r.json;
}
