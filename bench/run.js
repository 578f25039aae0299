#!/usr/bin/env node
// Benchmark harness: throughput and latency through the Restate HTTP ingress,
// for restate-dev and for the real Restate server (reference).
//
//   npm run bench                       # build, then every target/workload/concurrency
//   node bench/run.js --help            # flags
//
// Closed-loop load: N clients, each sends its next request as soon as the
// previous one answered. Everything binds to 127.0.0.1 on free ports; every
// process this script starts is stopped by PID when it exits (also on Ctrl-C
// and on errors). See bench/README.md.
import http from "node:http";
import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
// Binary lookup, restate.toml and registration, shared with the compatibility suite (compat/).
import { prepareRestateServer, registerDeployment, freePorts } from "../compat/harness/restate_server.mjs";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(BENCH_DIR, "..");
const PROJECT_DIR = path.join(BENCH_DIR, "project");
const PROJECT_ENTRY = path.join(PROJECT_DIR, "src", "index.js");
const DEV_DATA_DIR = path.join(PROJECT_DIR, ".restate-dev");
const LOOPBACK = "127.0.0.1";
const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------
// Workloads and targets

const WORKLOADS = {
  noop: {
    description: "POST /bench/noop {} (service handler returning at once)",
    path: () => "/bench/noop",
    body: "{}",
    expect: {},
  },
  steps3: {
    description: "POST /bench/steps3 {} (service handler with 3 ctx.run steps)",
    path: () => "/bench/steps3",
    body: "{}",
    expect: { a: 1, b: 2, c: 3 },
  },
  counter100: {
    description: "POST /counter/{key}/add 1, keys round-robin over --keys keys (exclusive object handler)",
    keyed: true,
    keys: (opts) => opts.keys,
    path: (key) => `/counter/${encodeURIComponent(key)}/add`,
    body: "1",
  },
  counter1: {
    description: "POST /counter/{key}/add 1 on a single key (all requests queue on one object)",
    keyed: true,
    keys: () => 1,
    path: (key) => `/counter/${encodeURIComponent(key)}/add`,
    body: "1",
  },
};

const TARGETS = {
  "restate-dev": { start: startRestateDev, describe: "node bin/restate-dev.js up bench/project" },
  restate: { start: startRealRestate, describe: "restate-server (npm @restatedev/restate-server) + @restatedev/restate-sdk service" },
};

const USAGE = `usage: node bench/run.js [options]     (npm run bench -- [options])

  --targets <list>       ${Object.keys(TARGETS).join(",")} (default: both)          env BENCH_TARGETS
  --workloads <list>     ${Object.keys(WORKLOADS).join(",")} (default: all)  env BENCH_WORKLOADS
  --concurrency <list>   closed-loop clients per run (default: 1,16,64)        env BENCH_CONCURRENCY
  --duration <s>         measured seconds per run (default: 5)                 env BENCH_DURATION
  --warmup <s>           unmeasured seconds before each run (default: 1)      env BENCH_WARMUP
  --repeat <n>           start every target fresh n times; tables show the
                         median over the repetitions (default: 1)             env BENCH_REPEAT
  --keys <n>             keys for counter100 (default: 100)
  --restate-partitions <n>  partitions of the real Restate server (default: 1, its
                         fastest setting on 2 cores; Restate's own default is 24)
  --settle <s>           idle seconds after startup before reading RSS (default: 2)
  --startup-timeout <s>  give up on a target that is not ready by then (default: 90)
  --request-timeout <s>  per-request timeout, counted as an error (default: 30)
  --max-others <pct>     noise guard: when other processes used more than <pct>% of
                         a CPU during a measured run, wait for the machine to calm
                         down and measure again (default: 0 = off)
  --retries <n>          re-measurements allowed per run by --max-others (default: 3)
  --out <dir>            where the JSON results go (default: bench/results)
  --keep-logs            keep the server logs and temp dirs also on success
  -h, --help             this help

Workloads:
${Object.entries(WORKLOADS).map(([k, w]) => `  ${k.padEnd(11)} ${w.description}`).join("\n")}
`;

// ---------------------------------------------------------------------------
// Options

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      targets: { type: "string" },
      "restate-partitions": { type: "string" },
      workloads: { type: "string" },
      concurrency: { type: "string" },
      duration: { type: "string" },
      warmup: { type: "string" },
      repeat: { type: "string" },
      keys: { type: "string" },
      settle: { type: "string" },
      "startup-timeout": { type: "string" },
      "request-timeout": { type: "string" },
      "max-others": { type: "string" },
      retries: { type: "string" },
      out: { type: "string" },
      "keep-logs": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const env = process.env;
  const list = (v, known, what) => {
    const items = String(v).split(",").map((s) => s.trim()).filter(Boolean);
    for (const i of items) if (!known.includes(i)) throw new UsageError(`unknown ${what} '${i}' (known: ${known.join(", ")})`);
    if (items.length === 0) throw new UsageError(`no ${what} given`);
    return [...new Set(items)];
  };
  const num = (v, what, { int = false, min = 0, exclusiveMin = false } = {}) => {
    const n = Number(v);
    if (!Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || (exclusiveMin && n === min)) {
      throw new UsageError(`${what} must be a ${int ? "whole " : ""}number ${exclusiveMin ? ">" : ">="} ${min}, got '${v}'`);
    }
    return n;
  };
  const concurrency = String(values.concurrency ?? env.BENCH_CONCURRENCY ?? "1,16,64")
    .split(",").map((s) => s.trim()).filter(Boolean)
    .map((s) => num(s, "--concurrency", { int: true, min: 1 }));
  if (concurrency.length === 0) throw new UsageError("no --concurrency given");
  return {
    targets: list(values.targets ?? env.BENCH_TARGETS ?? Object.keys(TARGETS).join(","), Object.keys(TARGETS), "target"),
    workloads: list(values.workloads ?? env.BENCH_WORKLOADS ?? Object.keys(WORKLOADS).join(","), Object.keys(WORKLOADS), "workload"),
    concurrency: [...new Set(concurrency)],
    durationS: num(values.duration ?? env.BENCH_DURATION ?? 5, "--duration", { min: 0, exclusiveMin: true }),
    warmupS: num(values.warmup ?? env.BENCH_WARMUP ?? 1, "--warmup"),
    repeat: num(values.repeat ?? env.BENCH_REPEAT ?? 1, "--repeat", { int: true, min: 1 }),
    keys: num(values.keys ?? 100, "--keys", { int: true, min: 1 }),
    restatePartitions: num(values["restate-partitions"] ?? 1, "--restate-partitions", { int: true, min: 1 }),
    settleS: num(values.settle ?? 2, "--settle"),
    startupTimeoutS: num(values["startup-timeout"] ?? 90, "--startup-timeout", { min: 0, exclusiveMin: true }),
    requestTimeoutS: num(values["request-timeout"] ?? 30, "--request-timeout", { min: 0, exclusiveMin: true }),
    maxOthers: num(values["max-others"] ?? env.BENCH_MAX_OTHERS ?? 0, "--max-others"),
    retries: num(values.retries ?? 3, "--retries", { int: true, min: 0 }),
    outDir: path.resolve(values.out ?? path.join(BENCH_DIR, "results")),
    keepLogs: Boolean(values["keep-logs"]),
  };
}

class UsageError extends Error {}

// ---------------------------------------------------------------------------
// /proc helpers (Linux): process trees, RSS, CPU time

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  /* keep 100, the Linux default */
}

function readStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    // f[0] is field 3 (state) of proc(5).
    return { state: f[0], ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), starttime: Number(f[19]) };
  } catch {
    return null;
  }
}

function readStatus(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (name) => {
      const m = s.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"));
      return m ? Number(m[1]) : 0;
    };
    return { rssKiB: kib("VmRSS"), hwmKiB: kib("VmHWM") };
  } catch {
    return null;
  }
}

function readCmd(pid) {
  try {
    const parts = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const cmd = parts.map((p) => (p.startsWith("/") && p.length > 40 ? `…/${path.basename(p)}` : p)).join(" ");
    return cmd.length > 100 ? `${cmd.slice(0, 99)}…` : cmd;
  } catch {
    return "?";
  }
}

/** The PIDs of the whole tree rooted at `root` (root first), from a scan of /proc. */
function processTree(root) {
  const children = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(name);
    if (!st) continue;
    const pid = Number(name);
    if (!children.has(st.ppid)) children.set(st.ppid, []);
    children.get(st.ppid).push(pid);
  }
  const out = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Memory of a process tree: the sum of VmRSS over every live process, and each process. */
function treeMemory(root) {
  const processes = [];
  for (const pid of processTree(root)) {
    const st = readStat(pid);
    const mem = readStatus(pid);
    if (!st || !mem || st.state === "Z") continue;
    processes.push({ pid, cmd: readCmd(pid), rssMiB: round(mem.rssKiB / 1024, 1), peakRssMiB: round(mem.hwmKiB / 1024, 1) });
  }
  return { rssMiB: round(sum(processes.map((p) => p.rssMiB)), 1), processes };
}

/** Machine-wide CPU seconds so far (all CPUs summed): busy and stolen by the hypervisor. */
function machineCpuSeconds() {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0];
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return { busy: (user + nice + system + irq + softirq) / CLK_TCK, steal: (steal || 0) / CLK_TCK };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) used so far by the live processes of a tree. */
function treeCpuSeconds(root) {
  let ticks = 0;
  for (const pid of processTree(root)) {
    const st = readStat(pid);
    if (st) ticks += st.utime + st.stime;
  }
  return ticks / CLK_TCK;
}

// ---------------------------------------------------------------------------
// Processes we start: tracked by PID, stopped with SIGTERM then SIGKILL

const started = new Set();

function startProcess(name, command, args, { cwd, env, logFile }) {
  const fd = fs.openSync(logFile, "a");
  let child;
  try {
    child = spawn(command, args, {
      cwd,
      env,
      // Own process group: a Ctrl-C in the terminal reaches this script, which
      // then stops the processes itself (gracefully first).
      detached: true,
      stdio: ["ignore", fd, fd],
    });
  } finally {
    fs.closeSync(fd);
  }
  const proc = {
    name,
    child,
    pid: child.pid,
    logFile,
    exited: false,
    exitInfo: null,
    starttime: null,
    descendants: new Map(), // pid -> starttime, every descendant seen so far
  };
  if (child.pid === undefined) {
    throw new Error(`could not start ${name} (${command})`);
  }
  proc.starttime = readStat(child.pid)?.starttime ?? null;
  proc.exitPromise = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      proc.exited = true;
      proc.exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
    child.once("error", (err) => {
      proc.exited = true;
      proc.exitInfo = `spawn error: ${err.message}`;
      resolve();
    });
  });
  started.add(proc);
  return proc;
}

/** Remember the current descendants of a process, so they can be stopped even if it dies first. */
function noteDescendants(proc) {
  if (proc.exited) return;
  for (const pid of processTree(proc.pid).slice(1)) {
    const st = readStat(pid);
    if (st && !proc.descendants.has(pid)) proc.descendants.set(pid, st.starttime);
  }
}

/** Still the same process (guards against PID reuse)? */
function sameProcessAlive(pid, starttime) {
  const st = readStat(pid);
  return st !== null && st.state !== "Z" && (starttime === null || st.starttime === starttime);
}

async function stopProcess(proc, graceMs = 10_000) {
  noteDescendants(proc);
  if (!proc.exited) {
    try {
      process.kill(proc.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    await Promise.race([proc.exitPromise, sleep(graceMs)]);
    if (!proc.exited) {
      log(`  ${proc.name} (pid ${proc.pid}) did not stop within ${graceMs / 1000}s of SIGTERM; sending SIGKILL`);
      try {
        process.kill(proc.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
      await Promise.race([proc.exitPromise, sleep(5_000)]);
    }
  }
  // Children the process started itself (workers, esbuild, ...) normally exit
  // with it; kill whichever are left, each by PID.
  const deadline = Date.now() + 3_000;
  for (const [pid, starttime] of proc.descendants) {
    while (sameProcessAlive(pid, starttime) && Date.now() < deadline) await sleep(100);
    if (sameProcessAlive(pid, starttime)) {
      log(`  leftover child ${pid} of ${proc.name}: SIGKILL`);
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  }
  started.delete(proc);
}

/** Last resort on exit (synchronous): SIGKILL whatever we started that still runs. */
function killAllNow() {
  for (const proc of started) {
    const pids = [[proc.pid, proc.starttime], ...proc.descendants];
    for (const [pid, starttime] of pids) {
      if (sameProcessAlive(pid, starttime)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
    }
  }
  started.clear();
}

function logTail(file, lines = 30) {
  try {
    const text = fs.readFileSync(file, "utf8").replace(/\x1b\[[0-9;]*m/g, "");
    return text.split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

// ---------------------------------------------------------------------------
// Small HTTP helpers (no keep-alive: used only for health checks and setup)

function httpCall(url, { method = "GET", body, headers = {}, timeoutMs = 5_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: { connection: "close", ...headers } }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (data += d));
      res.on("end", () => resolve({ status: res.statusCode, body: data }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: LOOPBACK });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
    sock.setTimeout(1_000, () => {
      sock.destroy();
      resolve(false);
    });
  });
}

class StartError extends Error {
  constructor(message, { retryable = false } = {}) {
    super(message);
    this.retryable = retryable;
  }
}

/** Poll `check` until it returns a truthy value; fail early if one of `procs` exits. */
async function waitFor(what, check, { timeoutMs, procs = [], intervalMs = 100 }) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    for (const p of procs) {
      if (p.exited) {
        const tail = logTail(p.logFile);
        throw new StartError(`${p.name} exited (${p.exitInfo}) while waiting for ${what}; last log lines (${p.logFile}):\n${tail}`, {
          retryable: /address (already )?in use|EADDRINUSE|PORT_IN_USE/i.test(tail),
        });
      }
    }
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > deadline) {
      const logs = procs.map((p) => `--- last log lines of ${p.name} (${p.logFile}):\n${logTail(p.logFile, 15)}`).join("\n");
      throw new StartError(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (last error: ${last})` : ""}${logs ? `\n${logs}` : ""}`);
    }
    await sleep(intervalMs);
  }
}

const healthy = (url) => async () => (await httpCall(url, { timeoutMs: 2_000 })).status === 200;

/** One noop invocation answering 200: the services are routable through the ingress. */
const routable = (ingressUrl) => async () => {
  const r = await httpCall(`${ingressUrl}/bench/noop`, {
    method: "POST",
    body: "{}",
    headers: { "content-type": "application/json" },
    timeoutMs: 10_000,
  });
  if (r.status !== 200) throw new Error(`POST /bench/noop answered ${r.status}: ${r.body.slice(0, 200)}`);
  return true;
};

function childEnv(extra = {}) {
  const env = { ...process.env };
  // No configuration leaking in from the caller's shell: the targets get the
  // settings written below and nothing else.
  for (const k of Object.keys(env)) if (k.startsWith("RESTATE_") || k === "RUST_LOG") delete env[k];
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

const tempDirs = new Set();

function makeTempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

// ---------------------------------------------------------------------------
// Target: the real Restate server + the real SDK

function packageVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), "utf8")).version;
  } catch {
    try {
      // Packages whose exports hide package.json: find it next to the entry.
      let dir = path.dirname(require.resolve(name));
      while (dir !== path.dirname(dir)) {
        const f = path.join(dir, "package.json");
        if (fs.existsSync(f)) {
          const j = JSON.parse(fs.readFileSync(f, "utf8"));
          if (j.name === name) return j.version;
        }
        dir = path.dirname(dir);
      }
    } catch {
      /* not installed */
    }
    return null;
  }
}

async function startRealRestate(opts) {
  const dir = makeTempDir("restate-bench-");
  const [ingressPort, adminPort, fabricPort, servicePort] = await freePorts(4);
  // Only listeners and telemetry are configured; storage keeps the defaults,
  // i.e. durable: RocksDB WAL on, WAL fsync on (rocksdb-disable-wal-fsync =
  // false), single node, replication 1. Verify with --dump-config.
  let bin;
  let args;
  let configFile;
  try {
    ({ bin, args, configFile } = prepareRestateServer(dir, { nodeName: "bench", fabricPort, ingressPort, adminPort, writer: "bench/run.js", partitions: opts.restatePartitions }));
  } catch (e) {
    removeTempDir(dir);
    throw new StartError(e.message);
  }
  const env = childEnv();
  const server = startProcess("restate-server", bin, args, {
    cwd: dir,
    env,
    logFile: path.join(dir, "restate-server.log"),
  });
  const service = startProcess(
    "service",
    process.execPath,
    [
      "--import", pathToFileURL(path.join(BENCH_DIR, "polyfill.mjs")).href,
      "--import", pathToFileURL(path.join(BENCH_DIR, "loopback.mjs")).href,
      PROJECT_ENTRY,
    ],
    { cwd: REPO, env: { ...env, PORT: String(servicePort) }, logFile: path.join(dir, "service.log") },
  );
  const target = {
    name: "restate",
    ingressUrl: `http://${LOOPBACK}:${ingressPort}`,
    adminUrl: `http://${LOOPBACK}:${adminPort}`,
    roles: [
      { role: "restate-server", proc: server },
      { role: "service (restate-sdk)", proc: service },
    ],
    logDir: dir,
    cleanup: () => removeTempDir(dir),
    info: { config: fs.readFileSync(configFile, "utf8"), binary: bin },
  };
  try {
    const timeoutMs = opts.startupTimeoutS * 1000;
    const procs = [server, service];
    await waitFor(`the service on port ${servicePort}`, () => portOpen(servicePort), { timeoutMs, procs });
    await waitFor("the admin API (GET /health)", healthy(`${target.adminUrl}/health`), { timeoutMs, procs });
    await waitFor("the ingress (GET /restate/health)", healthy(`${target.ingressUrl}/restate/health`), { timeoutMs, procs });
    try {
      target.info.deployment = (await registerDeployment(target.adminUrl, `http://${LOOPBACK}:${servicePort}`)).body;
    } catch (e) {
      throw new StartError(e.message);
    }
    await waitFor("the services to be routable (POST /bench/noop)", routable(target.ingressUrl), { timeoutMs, procs, intervalMs: 250 });
    return target;
  } catch (e) {
    await stopTarget(target, { failed: true });
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Target: restate-dev (this repository)

async function startRestateDev(opts) {
  const cli = path.join(REPO, "bin", "restate-dev.js");
  if (!fs.existsSync(path.join(REPO, "dist", "cli", "main.js"))) {
    throw new StartError("dist/cli/main.js is missing: build first (npm run build, or use npm run bench)");
  }
  // Every run starts from an empty data directory.
  fs.rmSync(DEV_DATA_DIR, { recursive: true, force: true });
  const dir = makeTempDir("restate-dev-bench-");
  const [ingressPort, adminPort] = await freePorts(2);
  const proc = startProcess(
    "restate-dev",
    process.execPath,
    [cli, "up", path.relative(REPO, PROJECT_DIR), "--ingress-port", String(ingressPort), "--admin-port", String(adminPort)],
    { cwd: REPO, env: childEnv(), logFile: path.join(dir, "restate-dev.log") },
  );
  const target = {
    name: "restate-dev",
    ingressUrl: `http://${LOOPBACK}:${ingressPort}`,
    adminUrl: `http://${LOOPBACK}:${adminPort}`,
    roles: [{ role: "restate-dev (whole process tree)", proc }],
    logDir: dir,
    cleanup: () => {
      removeTempDir(dir);
      fs.rmSync(DEV_DATA_DIR, { recursive: true, force: true });
    },
    info: { command: `node bin/restate-dev.js up bench/project --ingress-port ${ingressPort} --admin-port ${adminPort}` },
  };
  try {
    const timeoutMs = opts.startupTimeoutS * 1000;
    await waitFor("restate-dev's ingress (GET /restate/health = 200)", healthy(`${target.ingressUrl}/restate/health`), {
      timeoutMs,
      procs: [proc],
      intervalMs: 200,
    });
    await waitFor("the services to be routable (POST /bench/noop)", routable(target.ingressUrl), { timeoutMs, procs: [proc], intervalMs: 250 });
    return target;
  } catch (e) {
    await stopTarget(target, { failed: true });
    throw e;
  }
}

async function stopTarget(target, { failed = false, keepLogs = false } = {}) {
  await Promise.all(target.roles.map((r) => stopProcess(r.proc, r.proc.name === "restate-server" ? 30_000 : 10_000)));
  if (failed || keepLogs) {
    log(`  logs kept in ${target.logDir}`);
  } else {
    target.cleanup();
  }
}

// ---------------------------------------------------------------------------
// The load generator

/**
 * Closed loop: `concurrency` clients over a keep-alive agent with as many
 * sockets. Requests completing inside the measurement window (after the
 * warm-up) count for throughput and latency; errors are counted over the whole
 * run (warm-up and drain included).
 */
function runLoad({ ingressUrl, workload, concurrency, warmupMs, durationMs, requestTimeoutMs, keys }) {
  const { hostname, port } = new URL(ingressUrl);
  const body = Buffer.from(workload.body);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const headers = { "content-type": "application/json", "content-length": String(body.length) };
  const fixedPath = workload.keyed ? null : workload.path();
  const keyPaths = workload.keyed ? keys.map((k) => workload.path(k)) : null;
  const perKey = workload.keyed ? keys.map(() => ({ ok: 0, errors: 0, max: 0, bad: 0 })) : null;

  const latencies = [];
  const errorKinds = new Map();
  let measuredOk = 0;
  let totalOk = 0;
  let errors = 0;
  let measuredErrors = 0;
  let seq = 0;
  let sample = null;
  let stopping = false;
  let running = concurrency;

  const t0 = performance.now();
  const windowStart = t0 + warmupMs;
  const windowEnd = windowStart + durationMs;
  let cpuStartClient = null;
  let cpuEndClient = null;
  const hooks = { onWindowStart: null, onWindowEnd: null };

  return {
    hooks,
    done: new Promise((resolve) => {
      const startTimer = setTimeout(() => {
        cpuStartClient = process.cpuUsage();
        hooks.onWindowStart?.();
      }, warmupMs);
      const endTimer = setTimeout(() => {
        stopping = true;
        cpuEndClient = process.cpuUsage(cpuStartClient ?? undefined);
        hooks.onWindowEnd?.();
      }, warmupMs + durationMs);
      const hardStop = setTimeout(() => {
        // In-flight requests did not drain: abort them (they count as errors).
        agent.destroy();
      }, warmupMs + durationMs + requestTimeoutMs + 5_000);

      const finish = () => {
        clearTimeout(startTimer);
        clearTimeout(endTimer);
        clearTimeout(hardStop);
        agent.destroy();
        resolve({ latencies, measuredOk, totalOk, errors, measuredErrors, errorKinds, perKey, sample, cpuEndClient });
      };

      const recordError = (kind, end) => {
        errors++;
        if (end >= windowStart && end < windowEnd) measuredErrors++;
        errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
      };

      const next = () => {
        if (stopping) {
          if (--running === 0) finish();
          return;
        }
        const keyIndex = keyPaths ? seq++ % keyPaths.length : -1;
        const start = performance.now();
        let settled = false;
        const req = http.request(
          { agent, hostname, port, method: "POST", path: keyPaths ? keyPaths[keyIndex] : fixedPath, headers },
          (res) => {
            let data = "";
            res.setEncoding("utf8");
            res.on("data", (d) => (data += d));
            res.on("end", () => {
              if (settled) return;
              settled = true;
              const end = performance.now();
              if (res.statusCode === 200) {
                totalOk++;
                if (end >= windowStart && end < windowEnd) {
                  measuredOk++;
                  latencies.push(end - start);
                }
                if (perKey) {
                  const k = perKey[keyIndex];
                  k.ok++;
                  const v = Number(data);
                  if (Number.isFinite(v)) k.max = Math.max(k.max, v);
                  else k.bad++;
                }
                if (sample === null) sample = data;
                next();
              } else {
                recordError(`HTTP ${res.statusCode}: ${data.slice(0, 160)}`, end);
                if (perKey) perKey[keyIndex].errors++;
                next();
              }
            });
            res.on("error", (err) => fail(err));
          },
        );
        const fail = (err) => {
          if (settled) return;
          settled = true;
          recordError(err.code ?? err.message, performance.now());
          if (perKey) perKey[keyIndex].errors++;
          // Do not spin on a dead server.
          setTimeout(next, 10);
        };
        req.setTimeout(requestTimeoutMs, () => req.destroy(new Error(`timeout after ${requestTimeoutMs} ms`)));
        req.on("error", fail);
        req.end(body);
      };

      for (let i = 0; i < concurrency; i++) next();
    }),
  };
}

async function measure(target, workloadName, concurrency, opts, rep, attempt) {
  const workload = WORKLOADS[workloadName];
  const keyCount = workload.keyed ? workload.keys(opts) : 0;
  // Fresh keys per run, so the counter check below can see lost or doubled updates.
  const keys = Array.from({ length: keyCount }, (_, i) => `r${rep}a${attempt}-c${concurrency}-${workloadName}-${i}`);
  const durationMs = opts.durationS * 1000;
  const load = runLoad({
    ingressUrl: target.ingressUrl,
    workload,
    concurrency,
    warmupMs: opts.warmupS * 1000,
    durationMs,
    requestTimeoutMs: opts.requestTimeoutS * 1000,
    keys,
  });
  const cpu = new Map();
  const machine = {};
  load.hooks.onWindowStart = () => {
    machine.start = machineCpuSeconds();
    for (const r of target.roles) {
      noteDescendants(r.proc);
      cpu.set(r.role, { start: treeCpuSeconds(r.proc.pid) });
    }
  };
  load.hooks.onWindowEnd = () => {
    for (const r of target.roles) {
      const c = cpu.get(r.role);
      if (c) c.end = treeCpuSeconds(r.proc.pid);
    }
    machine.end = machineCpuSeconds();
  };
  const loadavg = os.loadavg()[0];
  const r = await load.done;
  const sorted = Float64Array.from(r.latencies).sort();
  const windowS = durationMs / 1000;
  const serverCpu = {};
  for (const [role, c] of cpu) serverCpu[role] = c.end === undefined ? null : round(((c.end - c.start) / windowS) * 100, 0);
  const clientCpu = r.cpuEndClient ? round(((r.cpuEndClient.user + r.cpuEndClient.system) / 1e6 / windowS) * 100, 0) : null;
  // Noise indicator: CPU the rest of the machine used during the window (in % of one CPU).
  let machineCpu = null;
  if (machine.start && machine.end) {
    const busy = ((machine.end.busy - machine.start.busy) / windowS) * 100;
    const ours = sum(Object.values(serverCpu).map((v) => v ?? 0)) + (clientCpu ?? 0);
    machineCpu = {
      busyPercent: round(busy, 0),
      otherPercent: round(Math.max(0, busy - ours), 0),
      stealPercent: round(((machine.end.steal - machine.start.steal) / windowS) * 100, 0),
    };
  }
  const result = {
    workload: workloadName,
    concurrency,
    rep,
    durationS: windowS,
    throughput: round(r.measuredOk / windowS, 1),
    p50: round(percentile(sorted, 50), 2),
    p90: round(percentile(sorted, 90), 2),
    p99: round(percentile(sorted, 99), 2),
    mean: round(sorted.length ? sum(sorted) / sorted.length : NaN, 2),
    max: round(sorted.length ? sorted[sorted.length - 1] : NaN, 2),
    ok: r.measuredOk,
    okTotal: r.totalOk,
    errors: r.errors,
    errorsInWindow: r.measuredErrors,
    errorKinds: Object.fromEntries(r.errorKinds),
    cpuPercent: serverCpu,
    clientCpuPercent: clientCpu,
    machineCpu,
    loadavg1mBefore: round(loadavg, 2),
    sample: r.sample === null ? null : r.sample.slice(0, 200),
    check: null,
  };
  result.check = checkResult(workload, r, result);
  return result;
}

/** Sanity checks on the answers: expected bodies, and no lost or doubled counter updates. */
function checkResult(workload, r, result) {
  if (r.totalOk === 0) return { ok: false, detail: "no successful request" };
  if (workload.expect !== undefined) {
    const got = safeJson(r.sample);
    const ok = JSON.stringify(got) === JSON.stringify(workload.expect);
    return { ok, detail: ok ? "response as expected" : `unexpected response ${result.sample}` };
  }
  if (r.perKey) {
    const checked = r.perKey.filter((k) => k.errors === 0);
    const wrong = checked.filter((k) => k.bad > 0 || k.max !== k.ok);
    const skipped = r.perKey.length - checked.length;
    return {
      ok: wrong.length === 0,
      detail:
        wrong.length === 0
          ? `final count = successful adds on ${checked.length} key(s)${skipped ? ` (${skipped} key(s) with errors not checked)` : ""}`
          : `count mismatch on ${wrong.length} key(s), e.g. ${wrong.slice(0, 3).map((k) => `${k.ok} adds → max ${k.max}`).join(", ")}`,
    };
  }
  return { ok: true, detail: "" };
}

// ---------------------------------------------------------------------------
// Statistics and formatting

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const sum = (xs) => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};
const round = (x, d) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const fmt = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(d));
const safeJson = (s) => {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
};

function table(headers, rows, align) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => ((align?.[i] ?? "r") === "l" ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function summarize(runs, opts) {
  const rows = [];
  for (const workload of opts.workloads) {
    for (const concurrency of opts.concurrency) {
      const rs = runs.flatMap((run) => run.results).filter((r) => r.workload === workload && r.concurrency === concurrency);
      if (rs.length === 0) continue;
      const cpuRoles = [...new Set(rs.flatMap((r) => Object.keys(r.cpuPercent)))];
      rows.push({
        workload,
        concurrency,
        reps: rs.length,
        throughput: round(median(rs.map((r) => r.throughput)), 1),
        p50: round(median(rs.map((r) => r.p50)), 2),
        p99: round(median(rs.map((r) => r.p99)), 2),
        errors: sum(rs.map((r) => r.errors)),
        cpuPercent: Object.fromEntries(cpuRoles.map((role) => [role, round(median(rs.map((r) => r.cpuPercent[role])), 0)])),
        clientCpuPercent: round(median(rs.map((r) => r.clientCpuPercent)), 0),
        otherCpuPercent: round(median(rs.map((r) => r.machineCpu?.otherPercent ?? NaN)), 0),
        checksOk: rs.every((r) => r.check?.ok),
        disturbedRuns: rs.filter((r) => r.disturbed).length,
        discardedAttempts: sum(rs.map((r) => r.discardedAttempts?.length ?? 0)),
        throughputRange: [Math.min(...rs.map((r) => r.throughput)), Math.max(...rs.map((r) => r.throughput))],
      });
    }
  }
  const idle = {};
  for (const run of runs) {
    for (const [role, m] of Object.entries(run.idleMemory ?? {})) (idle[role] ??= []).push(m.rssMiB);
  }
  const idleRssMiB = Object.fromEntries(Object.entries(idle).map(([role, xs]) => [role, round(median(xs), 1)]));
  const idleTotal = runs.filter((r) => r.idleMemory).map((r) => sum(Object.values(r.idleMemory).map((m) => m.rssMiB)));
  return { rows, idleRssMiB, idleRssTotalMiB: round(median(idleTotal), 1) };
}

function printSummary(name, summary, opts) {
  const roles = [...new Set(summary.rows.flatMap((r) => Object.keys(r.cpuPercent)))];
  const short = (role) => role.replace(/ \(.*\)$/, "");
  log(`\n=== ${name}${opts.repeat > 1 ? ` (median of ${opts.repeat} runs)` : ""} ===`);
  log(
    table(
      ["workload", "conc", "req/s", "p50 ms", "p99 ms", "errors", ...roles.map((r) => `cpu% ${short(r)}`), "cpu% client", "cpu% others", "check"],
      summary.rows.map((r) => [
        r.workload,
        r.concurrency,
        fmt(r.throughput, 1),
        fmt(r.p50, 2),
        fmt(r.p99, 2),
        r.errors,
        ...roles.map((role) => fmt(r.cpuPercent[role], 0)),
        fmt(r.clientCpuPercent, 0),
        fmt(r.otherCpuPercent, 0),
        r.checksOk ? "ok" : "FAILED",
      ]),
      ["l"],
    ),
  );
  const limit = opts.maxOthers || 25;
  const noisy = summary.rows.filter((r) => r.otherCpuPercent > limit);
  const discarded = sum(summary.rows.map((r) => r.discardedAttempts));
  if (discarded) log(`${discarded} measurement(s) discarded and redone because of other load (--max-others ${opts.maxOthers})`);
  if (noisy.length) {
    log(
      `warning: other processes used > ${limit}% of a CPU during ${noisy.length} of ${summary.rows.length} configuration(s) ` +
        `(column "cpu% others"); those figures are disturbed — rerun on a quieter machine or with more --repeat`,
    );
  }
  log(
    `idle RSS: ${Object.entries(summary.idleRssMiB).map(([role, v]) => `${role} ${fmt(v, 1)} MiB`).join(", ")}` +
      (Object.keys(summary.idleRssMiB).length > 1 ? `; total ${fmt(summary.idleRssTotalMiB, 1)} MiB` : ""),
  );
}

function compare(summaries) {
  const dev = summaries["restate-dev"];
  const ref = summaries.restate;
  if (!dev || !ref) return null;
  const rows = [];
  for (const d of dev.rows) {
    const r = ref.rows.find((x) => x.workload === d.workload && x.concurrency === d.concurrency);
    if (!r) continue;
    rows.push({
      workload: d.workload,
      concurrency: d.concurrency,
      throughputRatio: round(d.throughput / r.throughput, 2),
      p50Ratio: round(d.p50 / r.p50, 2),
      p99Ratio: round(d.p99 / r.p99, 2),
    });
  }
  return { rows, idleRssRatio: round(dev.idleRssTotalMiB / ref.idleRssTotalMiB, 2) };
}

function printComparison(cmp, summaries) {
  log(`\n=== restate-dev / restate (throughput: >1 is better for restate-dev; latency: <1 is better) ===`);
  log(
    table(
      ["workload", "conc", "req/s ratio", "p50 ratio", "p99 ratio"],
      cmp.rows.map((r) => [r.workload, r.concurrency, fmt(r.throughputRatio, 2), fmt(r.p50Ratio, 2), fmt(r.p99Ratio, 2)]),
      ["l"],
    ),
  );
  log(
    `idle RSS: restate-dev ${fmt(summaries["restate-dev"].idleRssTotalMiB, 1)} MiB vs restate ${fmt(summaries.restate.idleRssTotalMiB, 1)} MiB ` +
      `(server + service) → ratio ${fmt(cmp.idleRssRatio, 2)}`,
  );
}

function log(line = "") {
  process.stdout.write(`${line}\n`);
}

function gitInfo() {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() !== "";
    return { commit, dirty };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------
// Main

const state = { results: null, outFile: null, stopping: false, current: null, opts: null };

function writeResults() {
  if (!state.results || !state.outFile) return;
  fs.mkdirSync(path.dirname(state.outFile), { recursive: true });
  fs.writeFileSync(state.outFile, `${JSON.stringify(state.results, null, 2)}\n`);
}

/** Wait (up to 2 minutes) until the rest of the machine uses at most `maxOthers`% of a CPU over 2 s. */
async function waitForQuiet(target, maxOthers) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !state.stopping) {
    const m0 = machineCpuSeconds();
    const t0 = sum(target.roles.map((r) => treeCpuSeconds(r.proc.pid)));
    await sleep(2_000);
    const m1 = machineCpuSeconds();
    const t1 = sum(target.roles.map((r) => treeCpuSeconds(r.proc.pid)));
    if (!m0 || !m1) return;
    const others = ((m1.busy - m0.busy - (t1 - t0)) / 2) * 100;
    if (others <= maxOthers) return;
  }
}

async function runTarget(name, opts, rep) {
  const run = { rep, startedAt: new Date().toISOString(), results: [] };
  log(`\n--- ${name}${opts.repeat > 1 ? ` (run ${rep}/${opts.repeat})` : ""}: starting ${TARGETS[name].describe}`);
  const t0 = performance.now();
  let target;
  for (let attempt = 1; ; attempt++) {
    try {
      target = await TARGETS[name].start(opts);
      break;
    } catch (e) {
      if (e instanceof StartError && e.retryable && attempt < 3) {
        log(`  a port was taken meanwhile; retrying with new ports`);
        continue;
      }
      throw e;
    }
  }
  state.current = target;
  try {
    run.startupMs = Math.round(performance.now() - t0);
    run.ingressUrl = target.ingressUrl;
    run.info = target.info;
    log(`  ready in ${(run.startupMs / 1000).toFixed(1)} s, ingress ${target.ingressUrl}`);
    await sleep(opts.settleS * 1000);
    run.idleMemory = {};
    for (const r of target.roles) {
      noteDescendants(r.proc);
      run.idleMemory[r.role] = treeMemory(r.proc.pid);
    }
    log(`  idle RSS: ${Object.entries(run.idleMemory).map(([role, m]) => `${role} ${fmt(m.rssMiB, 1)} MiB (${m.processes.length} process${m.processes.length === 1 ? "" : "es"})`).join(", ")}`);

    for (const workload of opts.workloads) {
      for (const concurrency of opts.concurrency) {
        if (state.stopping) return run;
        const discarded = [];
        let r;
        for (let attempt = 0; ; attempt++) {
          r = await measure(target, workload, concurrency, opts, rep, attempt);
          const others = r.machineCpu?.otherPercent;
          if (!opts.maxOthers || others === null || others === undefined || others <= opts.maxOthers) break;
          if (attempt >= opts.retries || state.stopping) {
            r.disturbed = true;
            log(`  (others used ${others}% > --max-others ${opts.maxOthers}% and no retries left: kept, marked "disturbed")`);
            break;
          }
          log(
            `  ${workload} c=${concurrency}: others used ${others}% > --max-others ${opts.maxOthers}% ` +
              `(${fmt(r.throughput, 1)} req/s, p50 ${fmt(r.p50, 2)} ms); discarded, waiting for a quiet machine (retry ${attempt + 1}/${opts.retries})`,
          );
          discarded.push({ throughput: r.throughput, p50: r.p50, p99: r.p99, errors: r.errors, machineCpu: r.machineCpu, check: r.check });
          await waitForQuiet(target, opts.maxOthers);
        }
        if (discarded.length) r.discardedAttempts = discarded;
        run.results.push(r);
        const cpu = Object.entries(r.cpuPercent).map(([role, v]) => `${role.replace(/ \(.*\)$/, "")} ${fmt(v, 0)}%`).join(", ");
        log(
          `  ${workload.padEnd(10)} c=${String(concurrency).padEnd(3)} ${fmt(r.throughput, 1).padStart(8)} req/s  ` +
            `p50 ${fmt(r.p50, 2).padStart(7)} ms  p99 ${fmt(r.p99, 2).padStart(8)} ms  errors ${r.errors}  ` +
            `cpu ${cpu}, client ${fmt(r.clientCpuPercent, 0)}%, others ${fmt(r.machineCpu?.otherPercent, 0)}%` +
            (r.machineCpu?.stealPercent ? `, steal ${fmt(r.machineCpu.stealPercent, 0)}%` : "") +
            (r.check && !r.check.ok ? `  CHECK FAILED: ${r.check.detail}` : ""),
        );
        if (r.errors > 0) log(`      errors: ${JSON.stringify(r.errorKinds).slice(0, 300)}`);
        await sleep(300);
      }
    }
    run.afterLoadMemory = {};
    for (const r of target.roles) run.afterLoadMemory[r.role] = treeMemory(r.proc.pid);
    return run;
  } finally {
    state.current = null;
    await stopTarget(target, { keepLogs: opts.keepLogs });
    if (opts.keepLogs) run.logDir = target.logDir;
  }
}

async function main() {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n\n${USAGE}`);
    process.exit(2);
  }
  state.opts = opts;
  if (process.platform !== "linux") throw new Error("bench/run.js reads /proc for RSS and CPU: Linux only");

  const startedAt = new Date();
  state.outFile = path.join(opts.outDir, `${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  const perTargetS = opts.workloads.length * opts.concurrency.length * (opts.warmupS + opts.durationS + 0.3);
  state.results = {
    startedAt: startedAt.toISOString(),
    finishedAt: null,
    complete: false,
    command: `node bench/run.js ${process.argv.slice(2).join(" ")}`.trim(),
    options: { ...opts, outDir: path.relative(REPO, opts.outDir) || "." },
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
      loadavgAtStart: os.loadavg().map((x) => round(x, 2)),
    },
    versions: {
      restateServer: packageVersion("@restatedev/restate-server"),
      restateSdk: packageVersion("@restatedev/restate-sdk"),
      restateDev: packageVersion("restate-dev") ?? JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version,
    },
    git: gitInfo(),
    workloads: Object.fromEntries(opts.workloads.map((w) => [w, WORKLOADS[w].description])),
    targets: {},
    summary: {},
    comparison: null,
  };

  log(`restate-dev benchmark — ${startedAt.toISOString()}`);
  log(
    `targets ${opts.targets.join(", ")}; workloads ${opts.workloads.join(", ")}; concurrency ${opts.concurrency.join(", ")}; ` +
      `${opts.warmupS}s warm-up + ${opts.durationS}s each; ${opts.repeat} repetition(s) (~${Math.ceil((perTargetS * opts.repeat * opts.targets.length) / 60)} min of load)`,
  );
  log(`machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  const before = machineCpuSeconds();
  await sleep(1000);
  const after = machineCpuSeconds();
  if (before && after) {
    const busy = (after.busy - before.busy) * 100;
    state.results.machine.idleCpuBusyPercent = round(busy, 0);
    log(`CPU busy before the run: ${busy.toFixed(0)}% of one CPU${busy > 50 ? " — the machine is not idle; figures will be noisy" : ""}`);
  }
  try {
    if (fs.statSync(os.tmpdir()).dev !== fs.statSync(REPO).dev) {
      log(`note: ${os.tmpdir()} (restate-server's data) is on another filesystem than ${REPO} (restate-dev's data); set TMPDIR to compare like with like`);
    }
  } catch {
    /* ignore */
  }

  let failures = 0;
  // Repetitions are interleaved (A B, A B, ...) so slow drifts of a shared
  // machine hit every target alike.
  for (let rep = 1; rep <= opts.repeat && !state.stopping; rep++) {
    for (const name of opts.targets) {
      if (state.stopping) break;
      const entry = (state.results.targets[name] ??= { runs: [], errors: [] });
      try {
        const run = await runTarget(name, opts, rep);
        entry.runs.push(run);
      } catch (e) {
        if (state.stopping) break;
        failures++;
        entry.errors.push({ rep, message: e.message });
        log(`\n!!! ${name} failed: ${e.message}`);
      }
      writeResults();
    }
  }

  for (const name of opts.targets) {
    const entry = state.results.targets[name];
    if (!entry || entry.runs.length === 0) continue;
    state.results.summary[name] = summarize(entry.runs, opts);
    printSummary(name, state.results.summary[name], opts);
  }
  const cmp = compare(state.results.summary);
  if (cmp) {
    state.results.comparison = cmp;
    printComparison(cmp, state.results.summary);
  }
  state.results.finishedAt = new Date().toISOString();
  state.results.complete = !state.stopping && failures === 0;
  writeResults();
  log(`\nraw results: ${path.relative(process.cwd(), state.outFile)}`);
  const checkFailures = Object.values(state.results.summary).flatMap((s) => s.rows).filter((r) => !r.checksOk).length;
  if (checkFailures) log(`warning: ${checkFailures} configuration(s) failed their response check (see "check" in the JSON)`);
  return failures > 0 || checkFailures > 0 ? 1 : 0;
}

// Stop what we started on every way out.
async function shutdown(signal) {
  if (state.stopping) {
    // Second Ctrl-C: no more waiting.
    killAllNow();
    process.exit(130);
  }
  state.stopping = true;
  log(`\n${signal}: stopping the servers started by this run...`);
  await Promise.all([...started].map((p) => stopProcess(p, 5_000)));
  if (state.opts?.keepLogs) {
    for (const dir of tempDirs) log(`logs kept in ${dir}`);
  } else {
    for (const dir of [...tempDirs]) removeTempDir(dir);
    if (state.opts?.targets.includes("restate-dev")) fs.rmSync(DEV_DATA_DIR, { recursive: true, force: true });
  }
  if (state.results) {
    state.results.interrupted = signal;
    state.results.finishedAt = new Date().toISOString();
    writeResults();
    log(`partial results: ${path.relative(process.cwd(), state.outFile)}`);
  }
  process.exit(signal === "SIGINT" ? 130 : 143);
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => void shutdown(sig));
process.on("exit", killAllNow);

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (e) => {
    process.stderr.write(`\nbench failed: ${e?.stack ?? e}\n`);
    await Promise.all([...started].map((p) => stopProcess(p, 5_000)));
    writeResults();
    process.exitCode = 1;
  },
);
