/**
 * Kill -9 of the runtime at random moments during a workload of multi-step
 * invocations. After the last restart: every accepted invocation completes,
 * no step whose result was journaled runs again, a step only runs after the
 * previous step's result was durable, and object state is exact.
 */
import { afterAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { call, eventually, sleep, startUp, type UpProcess } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
import { appendFileSync } from "node:fs";

function record(inv: string, step: number) {
  appendFileSync(process.env.STEP_LOG!, JSON.stringify({ inv, step, epoch: Number(process.env.EPOCH) }) + "\\n");
}

const counter = restate.object({
  name: "counter",
  handlers: {
    async addSteps(ctx: restate.ObjectContext, n: number) {
      const id = ctx.request().id;
      let sum = 0;
      for (let i = 1; i <= 3; i++) {
        sum += await ctx.run("step-" + i, async () => {
          record(id, i);
          await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 20)));
          return n * i;
        });
      }
      const total = ((await ctx.get<number>("total")) ?? 0) + sum;
      ctx.set("total", total);
      return total;
    },
    total: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("total")) ?? 0),
  },
});

restate.serve({ services: [counter] });
`,
};

interface StepLine {
  inv: string;
  step: number;
  epoch: number;
}

afterAll(cleanupProjects);

describe("crash safety under SIGKILL", () => {
  it("completes every accepted invocation exactly, without re-running journaled steps", async () => {
    const dir = makeProject(PROJECT);
    const stepLog = join(dir, "steps.jsonl");
    const KEYS = ["a", "b", "c", "d"];
    const REQUESTS = 80;
    const KILLS = 4;
    const pendingIds = new Map<number, string>(); // request number -> invocation id
    const journaledAt: Array<Set<string>> = []; // per epoch: "inv/step" journaled when that runtime was killed

    let epoch = 0;
    let up: UpProcess = await startUp(dir, { env: { STEP_LOG: stepLog, EPOCH: String(epoch) } });

    // Sends with idempotency keys: a send cut off by a kill is re-sent and still counts once.
    const sendAll = async (u: UpProcess) => {
      await Promise.all(
        Array.from({ length: REQUESTS }, async (_, i) => {
          if (pendingIds.has(i)) return;
          const key = KEYS[i % KEYS.length];
          try {
            const r = await call(u.ingressUrl, `/counter/${key}/addSteps/send`, i + 1, { headers: { "idempotency-key": `req-${i}` } });
            if (r.status === 202) pendingIds.set(i, r.json.invocationId);
          } catch {
            // connection cut by the kill: not acknowledged, sent again after the restart
          }
        }),
      );
    };

    const snapshotJournal = () => {
      const db = new Database(join(dir, ".restate-dev", "runtime.db"));
      const rows = db.prepare("SELECT invocation_id, name FROM journal WHERE type = 'Run' AND result_kind IS NOT NULL").all() as Array<{ invocation_id: string; name: string }>;
      db.close();
      return new Set(rows.map((r) => `${r.invocation_id}/${r.name.replace("step-", "")}`));
    };

    const sending = sendAll(up);
    for (let k = 0; k < KILLS; k++) {
      await sleep(100 + Math.floor(Math.random() * 200));
      await up.kill();
      journaledAt[epoch] = snapshotJournal();
      epoch++;
      if (k === 0) await sending;
      up = await startUp(dir, { env: { STEP_LOG: stepLog, EPOCH: String(epoch) } });
      await sendAll(up);
    }

    expect(pendingIds.size).toBe(REQUESTS);
    const results = await Promise.all(
      [...pendingIds.values()].map((id) =>
        eventually(async () => {
          const r = await call(up.ingressUrl, `/restate/invocation/${id}/attach`, undefined, { method: "GET" });
          return r.status === 200 ? r.json : undefined;
        }, 30_000, `invocation ${id}`),
      ),
    );
    expect(results.every((r) => typeof r === "number")).toBe(true);

    // Object state is exactly what the completed invocations produced.
    for (const [ki, key] of KEYS.entries()) {
      let expected = 0;
      for (let i = ki; i < REQUESTS; i += KEYS.length) expected += (i + 1) * 6;
      const r = await call(up.ingressUrl, `/counter/${key}/total`, undefined);
      expect(r.json, `total of ${key}`).toBe(expected);
    }

    const lines: StepLine[] = readFileSync(stepLog, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const ids = new Set(pendingIds.values());
    // Every step of every invocation ran.
    for (const id of ids) for (const step of [1, 2, 3]) expect(lines.some((l) => l.inv === id && l.step === step), `${id} step ${step}`).toBe(true);
    // No step journaled before a kill ran again in a later runtime.
    for (let e = 0; e < journaledAt.length; e++) {
      for (const l of lines) {
        if (l.epoch > e) expect(journaledAt[e]!.has(`${l.inv}/${l.step}`), `${l.inv} step ${l.step} re-ran in epoch ${l.epoch} after being journaled in ${e}`).toBe(false);
      }
    }
    // A step ran only after the previous step's result was durable.
    for (let e = 0; e < journaledAt.length; e++) {
      for (const l of lines) {
        if (l.epoch === e && l.step > 1) expect(journaledAt[e]!.has(`${l.inv}/${l.step - 1}`), `${l.inv} step ${l.step} ran before step ${l.step - 1} was durable`).toBe(true);
      }
    }
    // Re-executions happen only for steps cut off by a kill: at most one per kill.
    const runs = new Map<string, number>();
    for (const l of lines) runs.set(`${l.inv}/${l.step}`, (runs.get(`${l.inv}/${l.step}`) ?? 0) + 1);
    expect(Math.max(...runs.values())).toBeLessThanOrEqual(KILLS + 1);
    const reran = [...runs.values()].filter((n) => n > 1).length;
    expect(reran).toBeLessThanOrEqual(KILLS * KEYS.length);

    // The kills landed while work was in flight: later runtimes ran steps too.
    expect(new Set(lines.map((l) => l.epoch)).size).toBeGreaterThan(1);
    expect(existsSync(join(dir, ".restate-dev", "runtime.db"))).toBe(true);
    await up.stop();
  });
});
