/**
 * The crash-point sweep: a mixed workload driven through real HTTP against
 * `restate-dev up`, which is told (RESTATE_DEV_CRASH_AT) to SIGKILL itself at
 * one durability boundary per run: before the nth group commit, after it but
 * before its callbacks, or right after the nth HTTP answer. After each death
 * the runtime starts again with the next point, and the workload carries on
 * where it was: every operation is retried until it is acknowledged.
 *
 * At the end (a last runtime with no fault point):
 * - every acknowledged operation is there (results, state writes, kills, pauses...);
 * - no ctx.run step that was journaled when a runtime died ran again later;
 * - every invocation finishes, with the right result, within a bound;
 * - object state is exact, so every send was delivered exactly once.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { CLI, sleep } from "./runtime.js";
import { makeProject } from "./project.js";

export const SWEEP_PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
import { appendFileSync } from "node:fs";

function record(inv: string, name: string) {
  appendFileSync(process.env.SWEEP_LOG!, JSON.stringify({ inv, name, epoch: Number(process.env.EPOCH) }) + "\\n");
}
function publish(tag: string, id: string) {
  appendFileSync(process.env.SWEEP_AWAKEABLES!, JSON.stringify({ tag, id }) + "\\n");
}

const account = restate.object({
  name: "account",
  handlers: {
    async deposit(ctx: restate.ObjectContext, n: number) {
      await ctx.run("log", () => record(ctx.request().id, "log"));
      const balance = ((await ctx.get<number>("balance")) ?? 0) + n;
      ctx.set("balance", balance);
      return balance;
    },
    balance: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("balance")) ?? 0),
  },
});

const steps = restate.service({
  name: "steps",
  handlers: {
    async three(ctx: restate.Context, n: number) {
      let sum = 0;
      for (let i = 1; i <= 3; i++) sum += await ctx.run("step-" + i, () => { record(ctx.request().id, "step-" + i); return n * i; });
      return sum;
    },
    async nap(ctx: restate.Context, n: number) {
      await ctx.sleep(60);
      return n;
    },
  },
});

// Four deposits to the key, exactly once each: a call, a send, a delayed send and an idempotent call.
const fanout = restate.service({
  name: "fanout",
  handlers: {
    async run(ctx: restate.Context, key: string) {
      await ctx.objectClient(account, key).deposit(1);
      ctx.objectSendClient(account, key).deposit(1);
      ctx.objectSendClient(account, key).deposit(1, restate.rpc.sendOpts({ delay: 120 }));
      await ctx.objectClient(account, key).deposit(1, restate.rpc.opts({ idempotencyKey: "fan-" + ctx.request().id }));
      await ctx.sleep(30);
      return "ok";
    },
  },
});

const waiter = restate.service({
  name: "waiter",
  handlers: {
    async wait(ctx: restate.Context, tag: string) {
      const a = ctx.awakeable<number>();
      await ctx.run("publish", () => publish(tag, a.id));
      return await a.promise;
    },
    // Waits for ever: the workload pauses, resumes, kills or cancels it.
    async block(ctx: restate.Context, tag: string) {
      const a = ctx.awakeable<number>();
      await ctx.run("mark", () => record(ctx.request().id, "mark"));
      return await a.promise;
    },
  },
});

const wf = restate.workflow({
  name: "wf",
  handlers: {
    async run(ctx: restate.WorkflowContext, n: number) {
      const v = await ctx.promise<number>("p");
      await ctx.run("after", () => record(ctx.request().id, "after"));
      return v + n;
    },
    async signal(ctx: restate.WorkflowSharedContext, v: number) {
      await ctx.promise<number>("p").resolve(v);
      return "ok";
    },
  },
});

restate.serve({ services: [account, steps, fanout, waiter, wf] });
`,
};

/** A small seeded PRNG (mulberry32): the same seed, the same sweep. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Live {
  ingressUrl: string;
  adminUrl: string;
  dead: boolean;
  exited: Promise<void>;
  kill(): Promise<void>;
  output(): string;
}

/** Starts `up`; undefined if it died before it was ready (a crash point during recovery). */
async function start(dir: string, env: Record<string, string>): Promise<Live | undefined> {
  const info = join(dir, ".restate-dev", "runtime.json");
  const proc = spawn(process.execPath, [CLI, "up", dir, "--ingress-port", "0", "--admin-port", "0", "--no-watch"], {
    env: { ...process.env, NO_DASHBOARD: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const live: Partial<Live> & { dead: boolean } = { dead: false };
  live.exited = new Promise<void>((r) =>
    proc.on("exit", () => {
      live.dead = true;
      r();
    }),
  );
  live.kill = async () => {
    if (!live.dead) proc.kill("SIGKILL");
    await live.exited;
  };
  live.output = () => out;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (live.dead) return undefined;
    if (Date.now() > deadline) {
      await live.kill();
      throw new Error(`restate-dev up did not get ready:\n${out}`);
    }
    if (out.includes("ready:") && existsSync(info)) {
      try {
        const parsed = JSON.parse(readFileSync(info, "utf8"));
        if (parsed.pid === proc.pid) return Object.assign(live, { ingressUrl: parsed.ingressUrl, adminUrl: parsed.adminUrl }) as Live;
      } catch {
        // being written
      }
    }
    await sleep(15);
  }
}

interface Answer {
  status: number;
  json: any;
}

async function http(base: string, path: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/**
 * One operation of the workload: phases run in order, each retried until it is
 * acknowledged. `step` returns true once its phase is acknowledged (and checked).
 * `cut` is true when an earlier try of this phase got no answer (a crash).
 */
interface Op {
  name: string;
  phase: number;
  phases: Array<(rt: Live, cut: boolean) => Promise<boolean>>;
  cut: boolean;
  /** Checked at the end, against a runtime with no fault point. */
  final: (rt: Live) => Promise<void>;
}

export interface SweepResult {
  seed: number;
  crashes: number;
  byPoint: Record<string, number>;
  operations: number;
  epochs: number;
}

export interface SweepOptions {
  seed: number;
  /** Crash points to hit (runtimes that die at their fault point). */
  points: number;
  log?: (line: string) => void;
}

const KEYS = ["k0", "k1", "k2"];

export async function runSweep(opts: SweepOptions): Promise<SweepResult> {
  const rand = prng(opts.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const dir = makeProject(SWEEP_PROJECT);
  const stepLog = join(dir, "steps.jsonl");
  const awakeablesFile = join(dir, "awakeables.jsonl");
  const dbFile = join(dir, ".restate-dev", "runtime.db");
  const failures: string[] = [];
  const fail = (m: string) => {
    failures.push(m);
  };

  // What the acknowledged operations imply.
  const deposits = new Map<string, number>(KEYS.map((k) => [k, 0]));
  const ops: Op[] = [];
  let made = 0;

  const awakeableId = (tag: string): string | undefined => {
    if (!existsSync(awakeablesFile)) return undefined;
    for (const line of readFileSync(awakeablesFile, "utf8").split("\n")) {
      if (!line) continue;
      const r = JSON.parse(line) as { tag: string; id: string };
      if (r.tag === tag) return r.id;
    }
    return undefined;
  };
  const output = async (rt: Live, id: string): Promise<Answer> => {
    for (const deadline = Date.now() + 30_000; ; ) {
      const r = await http(rt.ingressUrl, `/restate/invocation/${id}/output`, "GET");
      if (r.status !== 470 || Date.now() > deadline) return r;
      await sleep(30);
    }
  };
  const describe = async (rt: Live, id: string) => (await http(rt.adminUrl, `/invocations/${id}`, "GET")).json;

  const newOp = (): Op => {
    const n = ++made;
    const kind = pick(["deposit", "delayed", "duplicate", "steps", "nap", "fanout", "awakeable", "workflow", "admin", "state"]);
    const key = pick(KEYS);
    const name = `${kind}-${n}`;
    const op = (phases: Op["phases"], final: Op["final"]): Op => ({ name, phase: 0, phases, cut: false, final });
    switch (kind) {
      case "deposit":
      case "delayed":
        return op(
          [
            async (rt) => {
              const path = `/account/${key}/deposit/send${kind === "delayed" ? "?delay=80ms" : ""}`;
              const r = await http(rt.ingressUrl, path, "POST", 1, { "idempotency-key": name });
              if (r.status !== 202) return unexpected(name, r);
              deposits.set(key, deposits.get(key)! + 1);
              return true;
            },
          ],
          async () => undefined,
        );
      case "duplicate":
        // The same send twice at once: the second may arrive before the first is committed.
        return op(
          [
            async (rt) => {
              const send = () => http(rt.ingressUrl, `/account/${key}/deposit/send`, "POST", 1, { "idempotency-key": name });
              const [a, b] = await Promise.all([send(), send()]);
              if (a.status !== 202 || b.status !== 202) return unexpected(name, a.status !== 202 ? a : b);
              if (a.json.invocationId !== b.json.invocationId) fail(`${name}: one idempotency key, two invocations ${a.json.invocationId} and ${b.json.invocationId}`);
              deposits.set(key, deposits.get(key)! + 1);
              return true;
            },
          ],
          async () => undefined,
        );
      case "steps":
      case "nap": {
        const path = kind === "steps" ? "/steps/three" : "/steps/nap";
        const want = kind === "steps" ? n * 6 : n;
        return op(
          [
            async (rt) => {
              const r = await http(rt.ingressUrl, path, "POST", n, { "idempotency-key": name });
              if (r.status !== 200 || r.json !== want) return unexpected(name, r, `200 ${want}`);
              return true;
            },
          ],
          async () => undefined,
        );
      }
      case "fanout":
        return op(
          [
            async (rt) => {
              const r = await http(rt.ingressUrl, "/fanout/run", "POST", key, { "idempotency-key": name });
              if (r.status !== 200 || r.json !== "ok") return unexpected(name, r, "200 ok");
              deposits.set(key, deposits.get(key)! + 4);
              return true;
            },
          ],
          async () => undefined,
        );
      case "awakeable": {
        let id = "";
        return op(
          [
            async (rt) => {
              const r = await http(rt.ingressUrl, "/waiter/wait/send", "POST", name, { "idempotency-key": name });
              if (r.status !== 202) return unexpected(name, r);
              id = r.json.invocationId;
              return true;
            },
            async (rt) => {
              // Resolve the instant the id is published, before its ctx.run is journaled if we can.
              let awk: string | undefined;
              for (const deadline = Date.now() + 2000; !(awk = awakeableId(name)) && Date.now() < deadline; ) await sleep(5);
              if (!awk) return false;
              const r = await http(rt.ingressUrl, `/restate/awakeables/${awk}/resolve`, "POST", n);
              if (r.status !== 202) return unexpected(name, r);
              return true;
            },
          ],
          async (rt) => {
            const r = await output(rt, id);
            if (r.status !== 200 || r.json !== n) fail(`${name} ${id}: the awakeable was resolved with ${n} (202), the handler answered ${r.status} ${JSON.stringify(r.json)}`);
          },
        );
      }
      case "workflow":
        return op(
          [
            async (rt) => {
              const r = await http(rt.ingressUrl, `/wf/${name}/run/send`, "POST", n);
              if (r.status !== 202) return unexpected(name, r);
              return true;
            },
            async (rt, cut) => {
              const r = await http(rt.ingressUrl, `/wf/${name}/signal`, "POST", 1000 + n);
              // A signal whose first try was cut may already have resolved the promise.
              if (r.status === 200 || (cut && r.status === 409)) return true;
              return unexpected(name, r, "200");
            },
          ],
          async (rt) => {
            const r = await http(rt.ingressUrl, `/restate/workflow/wf/${name}/output`, "GET");
            if (r.status !== 200 || r.json !== 1000 + 2 * n) fail(`${name}: workflow output ${r.status} ${JSON.stringify(r.json)}, expected ${1000 + 2 * n}`);
          },
        );
      case "admin": {
        let id = "";
        const end = pick(["kill", "cancel"]);
        const action = async (rt: Live, what: string, cut: boolean, ok: number[]) => {
          const r = await http(rt.adminUrl, `/invocations/${id}/${what}`, "PATCH");
          if (ok.includes(r.status) || (cut && r.status === 409)) return true;
          return unexpected(`${name} ${what}`, r, ok.join("|"));
        };
        return op(
          [
            async (rt) => {
              const r = await http(rt.ingressUrl, "/waiter/block/send", "POST", name, { "idempotency-key": name });
              if (r.status !== 202) return unexpected(name, r);
              id = r.json.invocationId;
              return true;
            },
            (rt, cut) => action(rt, "pause", cut, [200, 202]),
            async (rt, cut) => {
              // The acknowledged pause held across whatever crashes came since.
              const d = await describe(rt, id);
              if (!cut && d?.status !== "paused") fail(`${name} ${id}: paused (acknowledged), but the runtime says ${d?.status}`);
              return action(rt, "resume", cut, [200]);
            },
            (rt, cut) => action(rt, end, cut, end === "kill" ? [200] : [202]),
          ],
          async (rt) => {
            const r = await output(rt, id);
            const want = end === "kill" ? /killed/i : /cancel/i;
            if (r.status !== 409 || !want.test(String(r.json?.message))) fail(`${name} ${id}: ${end} was acknowledged, the output is ${r.status} ${JSON.stringify(r.json)}`);
          },
        );
      }
      case "state":
      default: {
        const k = `st-${n}`;
        const value = n * 7;
        return op(
          [
            async (rt) => {
              const bytes = [...Buffer.from(JSON.stringify(value))];
              const r = await http(rt.adminUrl, "/services/account/state", "POST", { object_key: k, new_state: { balance: bytes } });
              if (r.status !== 202) return unexpected(name, r);
              return true;
            },
          ],
          async (rt) => {
            const r = await http(rt.ingressUrl, `/account/${k}/balance`, "POST");
            if (r.json !== value) fail(`${name}: state of account/${k} was written (202) as ${value}, reads ${JSON.stringify(r.json)}`);
          },
        );
      }
    }
  };

  function unexpected(what: string, r: Answer, want = "202"): boolean {
    // A 503 is the runtime refusing while it dies (a failed write): not acknowledged, try again.
    if (r.status !== 503) fail(`${what}: expected ${want}, got ${r.status} ${JSON.stringify(r.json)}`);
    return false;
  }

  /** Drives every unfinished operation once against this runtime; true if all are done. */
  const drive = async (rt: Live): Promise<boolean> => {
    await Promise.all(
      ops.map(async (o) => {
        while (o.phase < o.phases.length && !rt.dead) {
          let ok = false;
          try {
            ok = await o.phases[o.phase]!(rt, o.cut);
          } catch {
            // No answer: the runtime died under this request, which may or may not have taken effect.
            o.cut = true;
            return;
          }
          if (!ok) return;
          o.phase++;
          o.cut = false;
        }
      }),
    );
    return ops.every((o) => o.phase === o.phases.length);
  };

  // When each runtime died: the journaled Run entries (none may run again later)
  // and the invocations that exist (a closure may only have run for one of them).
  const journaledAt: Array<Set<string>> = [];
  const existedAt: Array<Set<string>> = [];
  const snapshot = (): { runs: Set<string>; invocations: Set<string> } => {
    if (!existsSync(dbFile)) return { runs: new Set(), invocations: new Set() };
    const db = new Database(dbFile, { readonly: true });
    try {
      const rows = db.prepare("SELECT invocation_id, name FROM journal WHERE type = 'Run' AND result_kind IS NOT NULL").all() as Array<{ invocation_id: string; name: string }>;
      const ids = db.prepare("SELECT id FROM invocations").all() as Array<{ id: string }>;
      return { runs: new Set(rows.map((r) => `${r.invocation_id}/${r.name}`)), invocations: new Set(ids.map((r) => r.id)) };
    } finally {
      db.close();
    }
  };

  const byPoint: Record<string, number> = {};
  let crashes = 0;
  let epoch = 0;
  const env = (extra: Record<string, string>) => ({ SWEEP_LOG: stepLog, SWEEP_AWAKEABLES: awakeablesFile, EPOCH: String(epoch), ...extra });
  while (crashes < opts.points) {
    const point = pick(["commit-before", "commit-after", "http-after"]);
    const n = 1 + Math.floor(rand() * (point === "http-after" ? 6 : 14));
    // Half the runs hold each commit a little, so that an answer sent before its write is durable gets caught.
    const delay = rand() < 0.5 ? 0 : 2 + Math.floor(rand() * 15);
    const rt = await start(dir, env({ RESTATE_DEV_CRASH_AT: `${point}:${n}`, RESTATE_DEV_COMMIT_DELAY_MS: String(delay) }));
    if (rt) {
      // Each run takes a few new operations besides the unfinished ones, until it dies.
      for (let round = 0; !rt.dead && round < 20; round++) {
        for (let i = 0; i < 3; i++) ops.push(newOp());
        const driving = drive(rt);
        await Promise.race([driving, rt.exited]);
        if (rt.dead) await driving;
      }
      if (!rt.dead) {
        opts.log?.(`epoch ${epoch}: ${point}:${n} was not reached; stopping this runtime by SIGKILL`);
        await rt.kill();
      } else {
        crashes++;
        byPoint[point] = (byPoint[point] ?? 0) + 1;
      }
    } else {
      crashes++;
      byPoint[`${point} (during recovery)`] = (byPoint[`${point} (during recovery)`] ?? 0) + 1;
    }
    const snap = snapshot();
    journaledAt[epoch] = snap.runs;
    existedAt[epoch] = snap.invocations;
    epoch++;
  }

  // A last runtime without a fault point: everything must finish.
  const rt = await start(dir, env({}));
  if (!rt) throw new Error("the last runtime (no fault point) died");
  try {
    const deadline = Date.now() + 60_000;
    while (!(await drive(rt))) {
      if (Date.now() > deadline) throw new Error(`operations not acknowledged after 60 s: ${ops.filter((o) => o.phase < o.phases.length).map((o) => `${o.name}@${o.phase}`).join(", ")}`);
      await sleep(50);
    }
    for (const o of ops) await o.final(rt);
    // Every invocation finishes (the blockers were killed or cancelled).
    const unfinished = async () => (await http(rt.adminUrl, "/invocations?status=pending,scheduled,ready,running,suspended,backing-off,paused&limit=10000", "GET")).json.invocations as any[];
    for (const end = Date.now() + 30_000; (await unfinished()).length > 0 && Date.now() < end; ) await sleep(100);
    for (const inv of await unfinished()) fail(`${inv.id} ${inv.target} did not finish: ${inv.status} ${JSON.stringify(inv.last_failure)}`);
    // Exact state: every send delivered once, every deposit call counted once.
    for (const [k, want] of deposits) {
      const r = await http(rt.ingressUrl, `/account/${k}/balance`, "POST");
      if (r.json !== want) fail(`account/${k}: balance ${JSON.stringify(r.json)}, the acknowledged deposits add up to ${want}`);
    }
    // No step that was journaled when a runtime died ran again in a later one.
    const lines = existsSync(stepLog)
      ? readFileSync(stepLog, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { inv: string; name: string; epoch: number })
      : [];
    for (const l of lines) {
      const existed = existedAt[l.epoch];
      if (existed && !existed.has(l.inv)) fail(`${l.inv} ran '${l.name}' in run ${l.epoch}, but the invocation was not durable when that runtime died`);
      for (let e = 0; e < l.epoch; e++) {
        if (journaledAt[e]?.has(`${l.inv}/${l.name}`)) {
          fail(`${l.inv} ran '${l.name}' again in run ${l.epoch}, though it was journaled when run ${e} died`);
          break;
        }
      }
    }
  } finally {
    await rt.kill();
  }
  if (failures.length > 0) {
    throw new Error(`crash sweep (seed ${opts.seed}) found ${failures.length} problem(s):\n- ${failures.slice(0, 30).join("\n- ")}`);
  }
  return { seed: opts.seed, crashes, byPoint, operations: ops.length, epochs: epoch + 1 };
}
