/** Retry policies: Restate's defaults, per-handler overrides, pause/kill on max attempts, terminal errors. */
import { describe, expect, it } from "vitest";
import { call, describeInvocation, eventually, type UpProcess, runForFile } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";

const attempts = new Map<string, number>();
function attempt(name: string) {
  const n = (attempts.get(name) ?? 0) + 1;
  attempts.set(name, n);
  return n;
}

const retries = restate.service({
  name: "retries",
  handlers: {
    // Default policy: 500 ms, then 1 s.
    async failTwice(ctx: restate.Context, name: string) {
      const n = attempt(name);
      if (n <= 2) throw new Error("failure " + n);
      return n;
    },
    pauseAfterTwo: restate.handlers.handler(
      { retryPolicy: { maxAttempts: 2, onMaxAttempts: "pause", initialInterval: 50 } },
      async () => {
        throw new Error("always");
      },
    ),
    killAfterTwo: restate.handlers.handler(
      { retryPolicy: { maxAttempts: 2, onMaxAttempts: "kill", initialInterval: 50 } },
      async () => {
        throw new Error("always");
      },
    ),
    async terminal() {
      throw new restate.TerminalError("bad request: amount must be positive", { errorCode: 422 });
    },
    async retryAfter(ctx: restate.Context, name: string) {
      if (attempt(name) === 1) throw new restate.RetryableError("slow down", { retryAfter: { milliseconds: 1200 } });
      return "ok";
    },
    async runWithRetryLimit(ctx: restate.Context) {
      try {
        await ctx.run("flaky-step", () => {
          throw new Error("step keeps failing");
        }, { maxRetryAttempts: 3, initialRetryInterval: 20 });
        return "unreachable";
      } catch (e) {
        return { caught: (e as Error).name, message: (e as Error).message };
      }
    },
    async runTerminal(ctx: restate.Context) {
      try {
        await ctx.run("refused", () => {
          throw new restate.TerminalError("card declined", { errorCode: 402 });
        });
        return "unreachable";
      } catch (e) {
        // The failure is journaled: on replay the same error comes back without running the step.
        await ctx.run("after", () => "compensated");
        throw e;
      }
    },
  },
});

restate.serve({ services: [retries] });
`,
};

let up: UpProcess;
runForFile(PROJECT, (started) => (up = started));

const id = (r: { headers: Headers }) => r.headers.get("x-restate-id")!;

describe("retries", () => {
  it("retries with Restate's default backoff (500 ms, then 1 s)", async () => {
    const started = Date.now();
    const r = await call(up.ingressUrl, "/retries/failTwice", JSON.stringify("a"));
    expect(r.json).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1450);
    const inv = await describeInvocation(up.adminUrl, id(r));
    expect(inv.retry_count).toBe(2);
    expect(inv.last_failure.message).toBe("failure 2");
  });

  it("pauses after maxAttempts with onMaxAttempts: pause", async () => {
    const sent = await call(up.ingressUrl, "/retries/pauseAfterTwo/send");
    const inv = await eventually(async () => {
      const d = await describeInvocation(up.adminUrl, sent.json.invocationId);
      return d.status === "paused" ? d : undefined;
    });
    expect(inv.retry_count).toBe(2);
    expect(up.output()).toMatch(/no attempts left \(2\), paused/);
  });

  it("fails the invocation after maxAttempts with onMaxAttempts: kill", async () => {
    const r = await call(up.ingressUrl, "/retries/killAfterTwo");
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ code: 500, message: "always", source: "invocation" });
  });

  it("never retries a TerminalError; its code becomes the HTTP status", async () => {
    const r = await call(up.ingressUrl, "/retries/terminal");
    expect(r.status).toBe(422);
    expect(r.json.message).toBe("bad request: amount must be positive");
    expect((await describeInvocation(up.adminUrl, id(r))).retry_count).toBe(0);
  });

  it("honours RetryableError.retryAfter", async () => {
    const started = Date.now();
    const r = await call(up.ingressUrl, "/retries/retryAfter", JSON.stringify("b"));
    expect(r.json).toBe("ok");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1150);
  });

  it("a ctx.run with maxRetryAttempts ends in a TerminalError the handler can catch", async () => {
    const r = await call(up.ingressUrl, "/retries/runWithRetryLimit");
    expect(r.json).toEqual({ caught: "TerminalError", message: "step keeps failing" });
    const inv = await describeInvocation(up.adminUrl, id(r));
    expect(inv.retry_count).toBe(2);
    expect(inv.journal[0].result.failure.message).toBe("step keeps failing");
  });

  it("a TerminalError inside ctx.run is journaled and rethrown", async () => {
    const r = await call(up.ingressUrl, "/retries/runTerminal");
    expect(r.status).toBe(402);
    const inv = await describeInvocation(up.adminUrl, id(r));
    expect(inv.journal.map((e: any) => [e.name, e.completed])).toEqual([
      ["refused", true],
      ["after", true],
    ]);
  });
});
