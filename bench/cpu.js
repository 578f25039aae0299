#!/usr/bin/env node
// CPU per request, by thread: where restate-dev's time goes under load.
//
//   npm run bench:cpu                                   # build, then noop at 64 clients
//   node bench/cpu.js --workload steps3 --concurrency 1 --duration 5
//
// Starts `restate-dev up` on a fresh copy of bench/project (temp dir, free
// ports), warms up for a second, then runs a closed loop of --concurrency
// clients for --duration seconds and reads every thread's CPU time (user +
// system, /proc/<pid>/task/<tid>/stat) before and after. It prints the
// requests per second and the CPU microseconds per request of the runtime's
// main thread (the event loop: HTTP, engine, SQLite transactions), of the
// worker threads (user code) and of the rest (V8's helpers, libuv's pool,
// which runs the fdatasyncs). Linux only. The figure to watch when moving
// work off the event loop is the main thread's: it bounds throughput.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(BENCH_DIR, "..", "bin", "restate-dev.js");
const WORKLOADS = { noop: "/bench/noop", steps3: "/bench/steps3", counter1: "/counter/k1/add" };

const { values } = parseArgs({
  options: {
    workload: { type: "string", default: "noop" },
    concurrency: { type: "string", default: "64" },
    duration: { type: "string", default: "4" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help || !WORKLOADS[values.workload]) {
  console.log(`usage: node bench/cpu.js [--workload ${Object.keys(WORKLOADS).join("|")}] [--concurrency 64] [--duration 4]`);
  process.exit(values.help ? 0 : 2);
}
if (process.platform !== "linux") {
  console.error("bench/cpu.js reads /proc: Linux only");
  process.exit(2);
}
const concurrency = Number(values.concurrency);
const durationS = Number(values.duration);
const route = WORKLOADS[values.workload];
const body = values.workload === "counter1" ? "1" : "{}";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "restate-dev-cpu-"));
fs.cpSync(path.join(BENCH_DIR, "project"), dir, { recursive: true, filter: (f) => !f.includes(".restate-dev") });
const up = spawn(process.execPath, [CLI, "up", dir, "--ingress-port", "0", "--admin-port", "0", "--no-watch"], {
  env: { ...process.env, NO_DASHBOARD: "1" },
  stdio: ["ignore", "pipe", "pipe"],
});
let out = "";
up.stdout.on("data", (d) => (out += d));
up.stderr.on("data", (d) => (out += d));
process.on("exit", () => {
  up.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

const info = path.join(dir, ".restate-dev", "runtime.json");
while (!(out.includes("ready:") && fs.existsSync(info))) {
  if (up.exitCode !== null) throw new Error(`up exited:\n${out}`);
  await sleep(20);
}
const { ingressUrl } = JSON.parse(fs.readFileSync(info, "utf8"));
const { hostname, port } = new URL(ingressUrl);

/** Closed loop for `seconds`: the number of answered requests. */
async function load(seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const end = Date.now() + seconds * 1000;
  let n = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const req = http.request({ agent, hostname, port, method: "POST", path: route, headers: { "content-type": "application/json" } }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on("error", reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await one();
        n++;
      }
    }),
  );
  agent.destroy();
  return n;
}

const TICK_US = 1e6 / 100; // USER_HZ, 100 on Linux
/** tid -> CPU ticks (utime + stime) of every thread of `up`. */
function threads() {
  const m = new Map();
  for (const tid of fs.readdirSync(`/proc/${up.pid}/task`)) {
    const stat = fs.readFileSync(`/proc/${up.pid}/task/${tid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    m.set(Number(tid), { comm, ticks: Number(f[11]) + Number(f[12]) });
  }
  return m;
}

await load(1);
const before = threads();
const started = performance.now();
const requests = await load(durationS);
const seconds = (performance.now() - started) / 1000;
const after = threads();

const per = { main: 0, busiestOther: 0, others: 0 };
for (const [tid, t] of after) {
  const us = ((t.ticks - (before.get(tid)?.ticks ?? 0)) * TICK_US) / requests;
  if (tid === up.pid) per.main += us;
  else {
    per.others += us;
    per.busiestOther = Math.max(per.busiestOther, us);
  }
}
console.log(`${values.workload} at ${concurrency} client(s), ${seconds.toFixed(1)} s, node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
console.log(`requests/s                         ${(requests / seconds).toFixed(0)}`);
console.log(`main thread CPU per request        ${per.main.toFixed(0)} µs`);
console.log(`other threads CPU per request      ${per.others.toFixed(0)} µs (busiest one, usually the worker: ${per.busiestOther.toFixed(0)} µs)`);
up.kill("SIGTERM");
await new Promise((r) => up.once("exit", r));
