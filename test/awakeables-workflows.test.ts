/** Awakeables resolved from outside and from handlers; workflows with durable promises. */
import { describe, expect, it } from "vitest";
import { call, describeInvocation, eventually, type UpProcess, runForFile } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";

const approvals = restate.object({
  name: "approvals",
  handlers: {
    async request(ctx: restate.ObjectContext) {
      const { id, promise } = ctx.awakeable<{ approvedBy: string }>();
      ctx.set("awakeable", id);
      try {
        const answer = await promise;
        return "approved by " + answer.approvedBy;
      } catch (e) {
        return "rejected: " + (e as Error).message;
      }
    },
    awakeableId: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => ctx.get<string>("awakeable")),
  },
});

const approver = restate.service({
  name: "approver",
  handlers: {
    async approve(ctx: restate.Context, id: string) {
      ctx.resolveAwakeable(id, { approvedBy: "a handler" });
    },
    async reject(ctx: restate.Context, id: string) {
      ctx.rejectAwakeable(id, "not today");
    },
  },
});

const signup = restate.workflow({
  name: "signup",
  handlers: {
    async run(ctx: restate.WorkflowContext, email: string) {
      ctx.set("stage", "waiting for click");
      const peeked = await ctx.promise<string>("link").peek();
      const secret = await ctx.promise<string>("link");
      ctx.set("stage", "verified");
      return { email, secret, peeked: peeked ?? null };
    },
    async click(ctx: restate.WorkflowSharedContext, secret: string) {
      await ctx.promise<string>("link").resolve(secret);
      return "ok";
    },
    async stage(ctx: restate.WorkflowSharedContext) {
      return ctx.get<string>("stage");
    },
  },
});

restate.serve({ services: [approvals, approver, signup] });
`,
};

let up: UpProcess;
runForFile(PROJECT, (started) => (up = started));

async function awakeableOf(key: string): Promise<string> {
  return eventually(async () => (await call(up.ingressUrl, `/approvals/${key}/awakeableId`)).json ?? undefined, 5000, "awakeable id");
}

describe("awakeables", () => {
  it("resolved from outside through the ingress (202, empty body)", async () => {
    const pending = call(up.ingressUrl, "/approvals/a1/request");
    const id = await awakeableOf("a1");
    expect(id).toMatch(/^sign_1/);
    const r = await call(up.ingressUrl, `/restate/awakeables/${id}/resolve`, { approvedBy: "alice" });
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    expect((await pending).json).toBe("approved by alice");
    // Resolving again is accepted and ignored: the first value won.
    expect((await call(up.ingressUrl, `/restate/a/${id}/resolve`, { approvedBy: "mallory" })).status).toBe(202);
  });

  it("rejected from outside with a text reason", async () => {
    const pending = call(up.ingressUrl, "/approvals/a2/request");
    const id = await awakeableOf("a2");
    const r = await fetch(`${up.ingressUrl}/restate/a/${id}/reject`, { method: "POST", headers: { "content-type": "text/plain" }, body: "budget exceeded" });
    expect(r.status).toBe(202);
    expect((await pending).json).toBe("rejected: budget exceeded");
  });

  it("resolved and rejected by other handlers", async () => {
    const p3 = call(up.ingressUrl, "/approvals/a3/request");
    await call(up.ingressUrl, "/approver/approve", JSON.stringify(await awakeableOf("a3")));
    expect((await p3).json).toBe("approved by a handler");
    const p4 = call(up.ingressUrl, "/approvals/a4/request");
    await call(up.ingressUrl, "/approver/reject", JSON.stringify(await awakeableOf("a4")));
    expect((await p4).json).toBe("rejected: not today");
  });

  it("a malformed id is a 400", async () => {
    const r = await call(up.ingressUrl, "/restate/awakeables/garbage/resolve", {});
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 400, message: "bad awakeable id 'garbage': bad format", source: "ingress" });
  });
});

describe("workflows", () => {
  it("run waits on a durable promise resolved by a shared handler; state readable during and after", async () => {
    const sub = await call(up.ingressUrl, "/signup/bob@example.com/run/send", JSON.stringify("bob@example.com"));
    expect(sub.status).toBe(202);
    const id = sub.json.invocationId;
    await eventually(async () => ((await call(up.ingressUrl, "/signup/bob@example.com/stage")).json === "waiting for click" ? true : undefined));
    const out = await call(up.ingressUrl, "/restate/workflow/signup/bob@example.com/output", undefined, { method: "GET" });
    expect(out.status).toBe(470);
    expect((await call(up.ingressUrl, "/signup/bob@example.com/click", JSON.stringify("s3cret"))).json).toBe("ok");
    const attached = await call(up.ingressUrl, "/restate/workflow/signup/bob@example.com/attach", undefined, { method: "GET" });
    expect(attached.status).toBe(200);
    expect(attached.json).toEqual({ email: "bob@example.com", secret: "s3cret", peeked: null });
    expect(attached.headers.get("x-restate-id")).toBe(id);
    expect((await call(up.ingressUrl, "/signup/bob@example.com/stage")).json).toBe("verified");
  });

  it("run runs once per key: a second send is PreviouslyAccepted, a second call is 409", async () => {
    const first = await call(up.ingressUrl, "/signup/carol/run/send", JSON.stringify("carol"));
    const again = await call(up.ingressUrl, "/signup/carol/run/send", JSON.stringify("someone else"));
    expect(again.json).toEqual({ invocationId: first.json.invocationId, status: "PreviouslyAccepted" });
    const called = await call(up.ingressUrl, "/signup/carol/run", JSON.stringify("carol"));
    expect(called.status).toBe(409);
    expect(called.json).toEqual({ code: 409, message: "the workflow method was already invoked", source: "invocation" });
  });

  it("resolving a promise twice fails the second resolve with 409", async () => {
    await call(up.ingressUrl, "/signup/dave/run/send", JSON.stringify("dave"));
    expect((await call(up.ingressUrl, "/signup/dave/click", JSON.stringify("one"))).json).toBe("ok");
    const second = await call(up.ingressUrl, "/signup/dave/click", JSON.stringify("two"));
    expect(second.status).toBe(409);
    expect(second.json.message).toBe("promise was already completed");
    const done = await call(up.ingressUrl, "/restate/workflow/signup/dave/attach", undefined, { method: "GET" });
    expect(done.json.secret).toBe("one");
  });

  it("attach of a key that never ran is 404; output is 404 from the ingress", async () => {
    const a = await call(up.ingressUrl, "/restate/workflow/signup/nobody/attach", undefined, { method: "GET" });
    expect(a.status).toBe(404);
    expect(a.json).toEqual({ code: 404, message: "not found", source: "invocation" });
    expect(a.headers.get("x-restate-id")).toMatch(/^inv_1/);
    const o = await call(up.ingressUrl, "/restate/workflow/signup/nobody/output", undefined, { method: "GET" });
    expect(o.json).toEqual({ code: 404, message: "invocation not found", source: "ingress" });
  });

  it("journals promise commands", async () => {
    const id = (await call(up.ingressUrl, "/signup/erin/run/send", JSON.stringify("erin"))).json.invocationId;
    await call(up.ingressUrl, "/signup/erin/click", JSON.stringify("x"));
    await call(up.ingressUrl, `/restate/invocation/${id}/attach`, undefined, { method: "GET" });
    const inv = await describeInvocation(up.adminUrl, id);
    expect(inv.journal.map((e: any) => e.type)).toEqual(["SetState", "PeekPromise", "GetPromise", "SetState"]);
  });
});
