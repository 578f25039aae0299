/** Exclusive handlers of one key run one at a time in arrival order; shared handlers don't wait. */
import { describe, expect, it } from "vitest";
import { call, sleep, type UpProcess, runForFile } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";

const counter = restate.object({
  name: "counter",
  handlers: {
    async add(ctx: restate.ObjectContext, n: number) {
      const v = ((await ctx.get<number>("count")) ?? 0) + n;
      // Yield between read and write: a second exclusive call must not interleave.
      await ctx.run("pause", () => new Promise((r) => setTimeout(r, 1)));
      ctx.set("count", v);
      return v;
    },
    async slow(ctx: restate.ObjectContext, ms: number) {
      ctx.set("phase", "started");
      await ctx.run("wait", () => new Promise((r) => setTimeout(r, ms)));
      ctx.set("phase", "finished");
      return "slow done";
    },
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => {
      return { count: await ctx.get<number>("count"), phase: await ctx.get<string>("phase") };
    }),
  },
});

restate.serve({ services: [counter] });
`,
};

let up: UpProcess;
runForFile(PROJECT, (started) => (up = started));

describe("virtual object concurrency", () => {
  it("50 concurrent exclusive calls on one key give 50 distinct results and a final state of 50", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => call(up.ingressUrl, "/counter/one/add", 1)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const values = results.map((r) => r.json as number).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await call(up.ingressUrl, "/counter/one/get")).json.count).toBe(50);
  });

  it("a shared handler answers while an exclusive one holds the key, and sees committed state", async () => {
    const slow = call(up.ingressUrl, "/counter/busy/slow", 1500);
    await sleep(300);
    const started = Date.now();
    const r = await call(up.ingressUrl, "/counter/busy/get");
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r.json.phase).toBe("started");
    // An exclusive call queues behind the slow one.
    const queued = call(up.ingressUrl, "/counter/busy/add", 5);
    expect((await slow).json).toBe("slow done");
    expect((await queued).json).toBe(5);
    expect((await call(up.ingressUrl, "/counter/busy/get")).json).toEqual({ count: 5, phase: "finished" });
  });

  it("different keys run in parallel", async () => {
    const started = Date.now();
    const rs = await Promise.all(["k1", "k2", "k3", "k4"].map((k) => call(up.ingressUrl, `/counter/${k}/slow`, 600)));
    expect(rs.every((r) => r.status === 200)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
