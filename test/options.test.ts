/** Handler options that change behaviour: abortTimeout, asTerminalError, accept, ingressPrivate. */
import { describe, expect, it } from "vitest";
import { call, describeInvocation, type UpProcess, runForFile } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";

class OutOfStock extends Error {}
let hangs = 0;

const opts = restate.service({
  name: "opts",
  handlers: {
    // A step that never returns cannot suspend: after inactivity + abort timeout the attempt is aborted and retried.
    stuck: restate.handlers.handler({ inactivityTimeout: 100, abortTimeout: 200 }, async (ctx: restate.Context) => {
      return ctx.run("hang-once", () => (hangs++ === 0 ? new Promise<string>(() => {}) : "unstuck"));
    }),
    mapped: restate.handlers.handler(
      { asTerminalError: (e) => (e instanceof OutOfStock ? new restate.TerminalError("out of stock", { errorCode: 410 }) : undefined) },
      async () => {
        throw new OutOfStock("none left");
      },
    ),
    text: restate.handlers.handler(
      { accept: "text/*", input: { contentType: "text/plain", serialize: (s: string) => new TextEncoder().encode(s), deserialize: (b: Uint8Array) => new TextDecoder().decode(b) } },
      async (ctx: restate.Context, s: string) => s.toUpperCase(),
    ),
  },
});

restate.serve({ services: [opts] });
`,
};

let up: UpProcess;
runForFile(PROJECT, (started) => (up = started));

describe("handler options", () => {
  it("abortTimeout aborts an attempt that neither progresses nor suspends, and retries it", async () => {
    const r = await call(up.ingressUrl, "/opts/stuck");
    expect(r.json).toBe("unstuck");
    const inv = await describeInvocation(up.adminUrl, r.headers.get("x-restate-id")!);
    expect(inv.retry_count).toBe(1);
    expect(inv.last_failure.message).toMatch(/made no progress for 100ms and did not suspend within the abort timeout of 200ms/);
  });

  it("asTerminalError maps a domain error to a TerminalError: no retry, its code as status", async () => {
    const r = await call(up.ingressUrl, "/opts/mapped");
    expect(r.status).toBe(410);
    expect(r.json.message).toBe("out of stock");
    expect((await describeInvocation(up.adminUrl, r.headers.get("x-restate-id")!)).retry_count).toBe(0);
  });

  it("accept and an input serde let a handler take text", async () => {
    const r = await call(up.ingressUrl, "/opts/text", "shout", { headers: { "content-type": "text/plain; charset=utf-8" } });
    expect(r.json).toBe("SHOUT");
    const bad = await call(up.ingressUrl, "/opts/text", "{}", { headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe("input validation error: Content-type 'application/json' does not match 'text/*'");
  });
});
