/** Calls and sends between handlers: journaled with the callee's id, never lost or doubled. */
import { describe, expect, it } from "vitest";
import { call, describeInvocation, eventually, sleep, type UpProcess, runForFile } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";

const counter = restate.object({
  name: "counter",
  handlers: {
    async add(ctx: restate.ObjectContext, n: number) {
      const v = ((await ctx.get<number>("v")) ?? 0) + n;
      ctx.set("v", v);
      return v;
    },
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("v")) ?? 0),
    async stamp(ctx: restate.ObjectContext) {
      const at = await ctx.date.now();
      ctx.set("stampedAt", at);
      return at;
    },
    stampedAt: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => ctx.get<number>("stampedAt")),
  },
});

const caller = restate.service({
  name: "caller",
  handlers: {
    async callAndSend(ctx: restate.Context, key: string) {
      const value = await ctx.objectClient(counter, key).add(10);
      ctx.objectSendClient(counter, key).add(5);
      const handle = ctx.objectSendClient(counter, key).stamp(restate.rpc.sendOpts({ delay: 1200 }));
      return { value, delayedId: await handle.invocationId };
    },
    async idempotentTwice(ctx: restate.Context, key: string) {
      const a = await ctx.objectClient(counter, key).add(1, restate.rpc.opts({ idempotencyKey: "once" }));
      const b = await ctx.objectClient(counter, key).add(1, restate.rpc.opts({ idempotencyKey: "once" }));
      return [a, b];
    },
    async generic(ctx: restate.Context, key: string) {
      const bytes = await ctx.genericCall({
        service: "counter", method: "add", key, parameter: new TextEncoder().encode("7"),
      });
      ctx.genericSend({ service: "counter", method: "add", key, parameter: new TextEncoder().encode("100"), delay: { milliseconds: 1 } });
      return new TextDecoder().decode(bytes);
    },
    async attachTo(ctx: restate.Context, id: string) {
      return ctx.invocation(id).attach<number>();
    },
    async callMissing(ctx: restate.Context) {
      try {
        await ctx.genericCall({ service: "nope", method: "x", parameter: new Uint8Array() });
        return "unreachable";
      } catch (e) {
        return (e as restate.TerminalError).code + " " + (e as Error).message;
      }
    },
  },
});

restate.serve({ services: [counter, caller] });
`,
};

let up: UpProcess;
runForFile(PROJECT, (started) => (up = started));

describe("calls and sends", () => {
  it("a call returns the callee's result; a send runs later; a delayed send waits its delay", async () => {
    const sentAt = Date.now();
    const r = await call(up.ingressUrl, "/caller/callAndSend", JSON.stringify("k1"));
    expect(r.json.value).toBe(10);
    expect(r.json.delayedId).toMatch(/^inv_1/);
    await eventually(async () => ((await call(up.ingressUrl, "/counter/k1/get")).json === 15 ? true : undefined));
    // The delayed send is scheduled, not run, before its time.
    await sleep(300);
    expect((await call(up.ingressUrl, "/counter/k1/stampedAt")).json).toBeNull();
    const delayed = await describeInvocation(up.adminUrl, r.json.delayedId);
    expect(delayed.status).toBe("scheduled");
    const stamped = await eventually(async () => (await call(up.ingressUrl, "/counter/k1/stampedAt")).json ?? undefined, 5000);
    expect(stamped - sentAt).toBeGreaterThanOrEqual(1150);

    const inv = await describeInvocation(up.adminUrl, r.headers.get("x-restate-id")!);
    expect(inv.journal.map((e: any) => [e.type, e.name])).toEqual([
      ["Call", "counter/add"],
      ["OneWayCall", "counter/add"],
      ["OneWayCall", "counter/stamp"],
    ]);
    expect(inv.journal[0].target.invocationId).toMatch(/^inv_1/);
    expect(inv.journal[2].target.invocationId).toBe(r.json.delayedId);
  });

  it("an idempotency key on a call from a handler runs the callee once", async () => {
    const r = await call(up.ingressUrl, "/caller/idempotentTwice", JSON.stringify("k2"));
    expect(r.json).toEqual([1, 1]);
    expect((await call(up.ingressUrl, "/counter/k2/get")).json).toBe(1);
  });

  it("genericCall and genericSend use bytes", async () => {
    const r = await call(up.ingressUrl, "/caller/generic", JSON.stringify("k3"));
    expect(r.json).toBe("7");
    await eventually(async () => ((await call(up.ingressUrl, "/counter/k3/get")).json === 107 ? true : undefined));
  });

  it("ctx.invocation(id).attach() waits for another invocation's result", async () => {
    const sent = await call(up.ingressUrl, "/counter/k4/add/send", 42);
    const r = await call(up.ingressUrl, "/caller/attachTo", JSON.stringify(sent.json.invocationId));
    expect(r.json).toBe(42);
  });

  it("calling a handler that does not exist fails the call with 404, not the caller", async () => {
    const r = await call(up.ingressUrl, "/caller/callMissing");
    expect(r.json).toBe("404 service 'nope' not found");
  });
});
