#!/usr/bin/env node
// Costs with history: does restate-dev stay flat as its database grows?
//
//   npm run bench:scale                      # build, then every measurement below
//   node bench/scale.js --history 100000     # how many completed invocations to build up
//
// Against `restate-dev up` on a fresh copy of bench/scale-project (temp dir, free
// ports), through real HTTP:
// - noop p50 at c=1 on an empty database, and again with --history completed
//   invocations in it;
// - the admin reads the CLI and the inspector make (GET /invocations?limit=50,
//   GET /invocations/{id}) at that size;
// - the time to accept 5k and 20k sends queued on one object key;
// - a handler with 10,000 ctx.run steps: its run time, and its replay after a restart;
// - a 1 MB state value read 100 times.
// Figures are medians; the script prints the machine's load next to them.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(BENCH_DIR, "..", "bin", "restate-dev.js");

const { values } = parseArgs({
  options: {
    history: { type: "string", default: "100000" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("usage: node bench/scale.js [--history <completed invocations, default 100000>]");
  process.exit(0);
}
const HISTORY = Number(values.history);

const PROJECT = `
import * as restate from "@restatedev/restate-sdk";
const bench = restate.service({
  name: "bench",
  handlers: {
    async noop() { return {}; },
    async long(ctx, n) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += await ctx.run("s", () => 1);
      const more = await ctx.awakeable().promise;
      return sum + more;
    },
  },
});
const counter = restate.object({
  name: "counter",
  handlers: {
    async add(ctx, d) { const c = (await ctx.get("c")) ?? 0; ctx.set("c", c + d); return c + d; },
    async setBig(ctx, size) { ctx.set("big", "x".repeat(size)); return size; },
    async readBig(ctx) { return ((await ctx.get("big")) ?? "").length; },
  },
});
restate.serve({ services: [bench, counter] });
`;

const procs = new Set();
process.on("exit", () => {
  for (const p of procs) p.kill("SIGKILL");
});

async function up(dir) {
  const info = path.join(dir, ".restate-dev", "runtime.json");
  fs.rmSync(info, { force: true });
  const p = spawn(process.execPath, [CLI, "up", dir, "--ingress-port", "0", "--admin-port", "0", "--no-watch"], {
    env: { ...process.env, NO_DASHBOARD: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  procs.add(p);
  let out = "";
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (out += d));
  const started = performance.now();
  for (;;) {
    if (p.exitCode !== null) throw new Error(`up exited:\n${out}`);
    if (out.includes("ready:") && fs.existsSync(info)) {
      const urls = JSON.parse(fs.readFileSync(info, "utf8"));
      return { ...urls, proc: p, startMs: performance.now() - started, output: () => out };
    }
    await sleep(20);
  }
}

async function stop(rt, signal = "SIGTERM") {
  const done = new Promise((r) => rt.proc.once("exit", r));
  rt.proc.kill(signal);
  await done;
  procs.delete(rt.proc);
}

async function post(url, body, headers = {}) {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${url}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const ms = (x) => `${x.toFixed(2)} ms`;

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function p50(n, fn) {
  const xs = [];
  for (let i = 0; i < n; i++) xs.push(await timed(fn));
  return median(xs);
}

async function closedLoop(total, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "restate-dev-scale-"));
fs.mkdirSync(path.join(dir, "src"));
fs.writeFileSync(path.join(dir, "src", "index.js"), PROJECT);
const results = {};
const say = (k, v) => {
  results[k] = v;
  console.log(`${k.padEnd(44)} ${v}`);
};
console.log(`# restate-dev, node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);

try {
  let rt = await up(dir);
  const noop = () => post(`${rt.ingressUrl}/bench/noop`, {});
  for (let i = 0; i < 200; i++) await noop(); // warm-up
  const emptyP50 = await p50(1000, noop);
  say("noop p50 c=1, empty database", ms(emptyP50));

  const fillStart = performance.now();
  await closedLoop(HISTORY, 64, () => noop());
  say(`fill: ${HISTORY} noop invocations at c=64`, `${((performance.now() - fillStart) / 1000).toFixed(1)} s`);
  const fullP50 = await p50(1000, noop);
  say(`noop p50 c=1, ${HISTORY} in the database`, `${ms(fullP50)} (${((fullP50 / emptyP50 - 1) * 100).toFixed(0)}% vs empty)`);

  const get = async (p) => {
    const r = await fetch(rt.adminUrl + p);
    await r.arrayBuffer();
  };
  say("GET /invocations?limit=50", ms(await p50(50, () => get("/invocations?limit=50"))));
  say("GET /invocations?limit=50&service=bench", ms(await p50(50, () => get("/invocations?limit=50&service=bench"))));
  say("GET /invocations?status=running,…(inspector)", ms(await p50(50, () => get("/invocations?status=pending,scheduled,ready,running,suspended,backing-off,paused&limit=500"))));
  const someId = (await (await fetch(`${rt.adminUrl}/invocations?limit=1`)).json()).invocations[0].id;
  say("GET /invocations/{id} (journal <id>)", ms(await p50(50, () => get(`/invocations/${someId}`))));

  for (const n of [5000, 20000]) {
    const key = `q${n}`;
    const t = await timed(() => closedLoop(n, 64, (i) => post(`${rt.ingressUrl}/counter/${key}/add/send`, 1, { "idempotency-key": `${key}-${i}` })));
    say(`accept ${n} sends queued on one key`, `${(t / 1000).toFixed(2)} s (${((t / n) * 1000).toFixed(0)} µs each)`);
  }
  // Let the queues drain before the next measurements.
  for (;;) {
    const r = await (await fetch(`${rt.adminUrl}/invocations?status=pending,ready,running&limit=1`)).json();
    if (r.invocations.length === 0) break;
    await sleep(200);
  }

  const STEPS = 10_000;
  const sendLong = await post(`${rt.ingressUrl}/bench/long/send`, STEPS);
  const longStart = performance.now();
  let awk;
  for (;;) {
    const d = await (await fetch(`${rt.adminUrl}/invocations/${sendLong.invocationId}`)).json();
    const entry = d.journal?.find((e) => e.type === "Awakeable");
    if (entry) {
      awk = entry;
      break;
    }
    await sleep(50);
  }
  say(`${STEPS} ctx.run steps: run`, `${((performance.now() - longStart) / 1000).toFixed(2)} s`);
  await stop(rt, "SIGKILL");
  rt = await up(dir);
  say(`restart with ${STEPS} entries in flight (and ${HISTORY} done)`, `${(rt.startMs / 1000).toFixed(2)} s to ready`);
  const { awakeableId } = await import("../dist/sdk/awakeable_id.js");
  const replay = await timed(async () => {
    await post(`${rt.ingressUrl}/restate/awakeables/${awakeableId(sendLong.invocationId, awk.index)}/resolve`, 1);
    const r = await fetch(`${rt.ingressUrl}/restate/invocation/${sendLong.invocationId}/attach`);
    if ((await r.json()) !== STEPS + 1) throw new Error("long: wrong result");
  });
  say(`${STEPS} ctx.run steps: replay after the restart`, `${(replay / 1000).toFixed(2)} s`);

  await post(`${rt.ingressUrl}/counter/big/setBig`, 1024 * 1024);
  say("1 MB state value read 100 times (each)", ms(await p50(100, () => post(`${rt.ingressUrl}/counter/big/readBig`, null))));
  await stop(rt);
  console.log(JSON.stringify(results));
} finally {
  for (const p of procs) p.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
}
