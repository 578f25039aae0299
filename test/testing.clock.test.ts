/**
 * restate-dev/testing's virtual clock: autoAdvance skips time when all work
 * only waits on timers; clock.advance fires timers exactly when due, in order.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as restate from "../sdk/index.js";
import { RestateTestEnvironment } from "../testing/index.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const trial = restate.workflow({
  name: "trial",
  handlers: {
    async run(ctx: restate.WorkflowContext, user: string) {
      const started = await ctx.date.now();
      ctx.set("phase", "trial");
      await ctx.sleep({ days: 30 });
      ctx.set("phase", "expired");
      return { user, days: (Date.parse(await ctx.date.toJSON()) - started) / DAY };
    },
  },
});

const reminders = restate.object({
  name: "reminders",
  handlers: {
    async schedule(ctx: restate.ObjectContext, delay: { hours: number }) {
      ctx.objectSendClient(reminders, ctx.key).remind(restate.rpc.sendOpts({ delay }));
    },
    async remind(ctx: restate.ObjectContext) {
      ctx.set("remindedAt", await ctx.date.now());
    },
    async steps(ctx: restate.ObjectContext) {
      for (const minutes of [10, 20, 30]) {
        await ctx.sleep({ minutes });
        ctx.set("log", [...((await ctx.get<number[]>("log")) ?? []), await ctx.date.now()]);
      }
    },
  },
});

let failures = 0;
const flaky = restate.service({
  name: "flaky",
  handlers: {
    async once(ctx: restate.Context) {
      await ctx.run("call", () => {
        if (failures++ === 0) throw new Error("unavailable");
        return "ok";
      });
      return failures;
    },
  },
});

/** A step that takes real time; short timeouts, so that skipping past it would abort the attempt. */
const slow = restate.service({
  name: "slow",
  handlers: {
    async work(ctx: restate.Context) {
      return ctx.run("compute", () => new Promise<string>((r) => setTimeout(() => r("computed"), 100)));
    },
  },
  options: { inactivityTimeout: 1000, abortTimeout: 1000 },
});

let env: RestateTestEnvironment | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

describe("autoAdvance (the default)", () => {
  it("runs a workflow that sleeps 30 days in well under a second", async () => {
    env = await RestateTestEnvironment.start({ services: [trial] });
    const before = env.clock.now();
    const started = performance.now();
    const wf = env.client.workflowClient(trial, "ada");
    await wf.workflowSubmit("ada");
    const result = await wf.workflowAttach();
    const realMs = performance.now() - started;
    expect(result).toEqual({ user: "ada", days: 30 });
    expect(realMs).toBeLessThan(1000);
    expect(env.clock.now() - before).toBeGreaterThanOrEqual(30 * DAY);
    expect(await env.stateOf(trial, "ada").get("phase")).toBe("expired");
  });

  it("does not skip time while a ctx.run closure works", async () => {
    env = await RestateTestEnvironment.start({ services: [slow], disableRetries: true });
    const before = env.clock.now();
    expect(await env.client.serviceClient(slow).work()).toBe("computed");
    expect(env.clock.now()).toBe(before);
  });

  it("skips retry backoffs too", async () => {
    failures = 0;
    env = await RestateTestEnvironment.start({ services: [flaky] });
    expect(await env.client.serviceClient(flaky).once()).toBe(2);
  });
});

describe("clock.advance", () => {
  it("fires a delayed send exactly when it is due, not before", async () => {
    env = await RestateTestEnvironment.start({ services: [reminders], autoAdvance: false });
    const t0 = env.clock.now();
    await env.client.objectClient(reminders, "u1").schedule({ hours: 1 });
    const state = env.stateOf(reminders, "u1");

    await env.clock.advance(HOUR - 1);
    expect(env.clock.now()).toBe(t0 + HOUR - 1);
    expect(await state.get("remindedAt")).toBeNull();

    await env.clock.advance(1);
    expect(await state.get("remindedAt")).toBe(t0 + HOUR);
  });

  it("fires timers in order, each once the previous one's work has settled", async () => {
    env = await RestateTestEnvironment.start({ services: [reminders], autoAdvance: false });
    const t0 = env.clock.now();
    const sent = await env.client.objectSendClient(reminders, "u2").steps();
    await env.clock.advance("29m");
    expect(await env.stateOf(reminders, "u2").get("log")).toEqual([t0 + 10 * 60_000]);
    // 30 + 30 minutes later both remaining sleeps fired: the second was armed by the first's wake-up.
    await env.clock.advance({ hours: 1 });
    expect(await env.stateOf(reminders, "u2").get("log")).toEqual([t0 + 10 * 60_000, t0 + 30 * 60_000, t0 + 60 * 60_000]);
    await env.client.result(sent);
  });

  it("moves retry backoffs: no retry before the 500 ms interval, one at it", async () => {
    failures = 0;
    env = await RestateTestEnvironment.start({ services: [flaky], autoAdvance: false });
    const sent = await env.client.serviceSendClient(flaky).once();
    await env.clock.advance(499);
    expect(failures).toBe(1);
    await env.clock.advance(1);
    expect(await env.client.result(sent)).toBe(2);
    expect(await env.journal(sent.invocationId)).toEqual([{ index: 1, type: "Run", name: "call", completed: true, result: "ok" }]);
  });

  it("takes durations as text, milliseconds or objects, and refuses negative ones", async () => {
    env = await RestateTestEnvironment.start({ services: [reminders], autoAdvance: false, startTime: new Date("2030-01-01T00:00:00Z") });
    expect(env.clock.now()).toBe(Date.parse("2030-01-01T00:00:00Z"));
    await env.clock.advance("1h30m");
    await env.clock.advance(500);
    await env.clock.advance({ days: 1 });
    expect(new Date(env.clock.now()).toISOString()).toBe("2030-01-02T01:30:00.500Z");
    await expect(env.clock.advance(-1)).rejects.toThrow(/duration >= 0/);
    await expect(env.clock.advance("soon")).rejects.toThrow(/duration >= 0/);
  });
});
