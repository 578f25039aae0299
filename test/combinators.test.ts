/** RestatePromise combinators settle the same way when an attempt is replayed. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { call, describeInvocation, startUp, type UpProcess } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
import { existsSync, writeFileSync } from "node:fs";

function firstAttempt(name: string): boolean {
  const f = process.env.MARKERS + "/" + name;
  if (existsSync(f)) return false;
  writeFileSync(f, "x");
  return true;
}

const slow = restate.service({
  name: "slow",
  handlers: {
    async wait(ctx: restate.Context, ms: number) {
      await ctx.sleep(ms);
      return "slow " + ms;
    },
    async fail() {
      throw new restate.TerminalError("slow failed", { errorCode: 418 });
    },
  },
});

const combos = restate.service({
  name: "combos",
  handlers: {
    async raceThenRetry(ctx: restate.Context, name: string) {
      const slowCall = ctx.serviceClient(slow).wait(600).map((v) => "call: " + v);
      const timer = ctx.sleep(100).map(() => "timer");
      // The call is listed first: a replay that settled in list order would pick it.
      const winner = await restate.RestatePromise.race([slowCall, timer]);
      // Retry only after both completed, so the replay sees both in the journal.
      if (firstAttempt(name)) throw new restate.RetryableError("retry after the race", { retryAfter: 1000 });
      await ctx.run("after", () => winner);
      return winner;
    },
    async all(ctx: restate.Context) {
      const [a, b] = await restate.RestatePromise.all([ctx.serviceClient(slow).wait(50), ctx.run("b", () => "run b")]);
      const settled = await restate.RestatePromise.allSettled([ctx.serviceClient(slow).fail(), ctx.run("c", () => 3)]);
      const any = await restate.RestatePromise.any([ctx.serviceClient(slow).fail(), ctx.serviceClient(slow).wait(10)]);
      return { a, b, settled: settled.map((s) => s.status), any };
    },
    async timeout(ctx: restate.Context) {
      try {
        await ctx.serviceClient(slow).wait(2000).orTimeout(200);
        return "no timeout";
      } catch (e) {
        return { name: (e as Error).name, code: (e as restate.TimeoutError).code };
      }
    },
  },
});

restate.serve({ services: [slow, combos] });
`,
};

let up: UpProcess;
beforeAll(async () => {
  const dir = makeProject(PROJECT);
  up = await startUp(dir, { env: { MARKERS: dir } });
});
afterAll(async () => {
  await up?.stop();
  cleanupProjects();
});

describe("combinators", () => {
  it("race picks the same winner when replayed after both promises completed", async () => {
    const r = await call(up.ingressUrl, "/combos/raceThenRetry", JSON.stringify("r1"));
    expect(r.json).toBe("timer");
    const inv = await describeInvocation(up.adminUrl, r.headers.get("x-restate-id")!);
    expect(inv.retry_count).toBe(1);
    expect(inv.journal.map((e: any) => e.type)).toEqual(["Call", "Sleep", "Run"]);
    expect(inv.journal.every((e: any) => e.completed)).toBe(true);
  });

  it("all, allSettled and any", async () => {
    const r = await call(up.ingressUrl, "/combos/all");
    expect(r.json).toEqual({ a: "slow 50", b: "run b", settled: ["rejected", "fulfilled"], any: "slow 10" });
  });

  it("orTimeout rejects with a TimeoutError (408)", async () => {
    const started = Date.now();
    const r = await call(up.ingressUrl, "/combos/timeout");
    expect(r.json).toEqual({ name: "TimeoutError", code: 408 });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
