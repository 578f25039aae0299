/**
 * restate-dev/testing's replay hunting and fail-fast: alwaysReplay ends and
 * replays attempts all the time, so non-determinism shows up as Restate's 570;
 * disableRetries makes the first failure the outcome.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as restate from "../sdk/index.js";
import { RestateTestEnvironment } from "../testing/index.js";

const realDelay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Branches on the wall clock between two steps: a replay takes the other branch. */
const report = restate.service({
  name: "report",
  handlers: {
    async build(ctx: restate.Context) {
      const startedAt = Date.now(); // should be ctx.date.now(): not journaled, so it differs on replay
      await ctx.run("fetch", () => realDelay(30));
      if (Date.now() - startedAt >= 20) await ctx.run("note-slow-fetch", () => "slow");
      return "done";
    },
  },
});

/** Deterministic: calls, state, sleeps, sends; what alwaysReplay must not disturb. */
let deposits = 0;
const ledger = restate.object({
  name: "ledger",
  handlers: {
    async deposit(ctx: restate.ObjectContext, amount: number) {
      deposits++;
      const balance = ((await ctx.get<number>("balance")) ?? 0) + amount;
      ctx.set("balance", balance);
      const receipt = await ctx.run("receipt", () => `r-${amount}`);
      await ctx.sleep(1000);
      const audited = await ctx.serviceClient(audit).check({ amount });
      ctx.serviceSendClient(audit).record(receipt);
      ctx.set("last", { receipt, audited, id: ctx.rand.uuidv4() });
      return balance;
    },
  },
});

const recorded: string[] = [];
const audit = restate.service({
  name: "audit",
  handlers: {
    async check(ctx: restate.Context, req: { amount: number }) {
      return ctx.run("rules", () => req.amount < 1000);
    },
    async record(ctx: restate.Context, receipt: string) {
      await ctx.run("store", () => void recorded.push(receipt));
    },
  },
});

let attempts = 0;
const broken = restate.service({
  name: "broken",
  handlers: {
    async go(_ctx: restate.Context) {
      attempts++;
      throw new Error("database unavailable");
    },
  },
});

let env: RestateTestEnvironment | undefined;
afterEach(async () => {
  await env?.stop();
  env = undefined;
});

describe("alwaysReplay", () => {
  it("catches a Date.now()-based branch: the invocation fails with 570 naming the entry", async () => {
    env = await RestateTestEnvironment.start({ services: [report], alwaysReplay: true });
    const err = await env.client.serviceClient(report).build().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(restate.TerminalError);
    expect(err).toMatchObject({ code: 570 });
    expect((err as Error).message).toMatch(
      /^Journal mismatch at entry 2: the journal holds Run 'note-slow-fetch', but the code now does the handler returning \(Output\)/,
    );
  });

  it("which runs without complaint when nothing replays", async () => {
    env = await RestateTestEnvironment.start({ services: [report] });
    expect(await env.client.serviceClient(report).build()).toBe("done");
  });

  it("leaves deterministic handlers' results, state and side effects as they are", async () => {
    recorded.length = 0;
    deposits = 0;
    env = await RestateTestEnvironment.start({ services: [ledger, audit], alwaysReplay: true });
    expect(await env.client.objectClient(ledger, "acc").deposit(5)).toBe(5);
    expect(await env.client.objectClient(ledger, "acc").deposit(7)).toBe(12);
    expect(await env.stateOf(ledger, "acc").get("last")).toEqual({ receipt: "r-7", audited: true, id: expect.any(String) });
    expect(recorded).toEqual(["r-5", "r-7"]);
    // Seven journal entries each, at most two new ones per attempt, and a replay before the output:
    // the handler ran five times per invocation, four of them replaying.
    expect(deposits).toBe(10);
  });
});

describe("disableRetries", () => {
  it("fails the invocation with the first attempt's error", async () => {
    attempts = 0;
    env = await RestateTestEnvironment.start({ services: [broken], disableRetries: true });
    await expect(env.client.serviceClient(broken).go()).rejects.toMatchObject({ code: 500, message: "database unavailable" });
    expect(attempts).toBe(1);
  });

  it("where otherwise the attempt is retried", async () => {
    attempts = 0;
    env = await RestateTestEnvironment.start({ services: [broken] });
    await env.client.serviceSendClient(broken).go();
    await expect.poll(() => attempts).toBeGreaterThan(3);
  });
});
