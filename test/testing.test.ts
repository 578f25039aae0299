/**
 * restate-dev/testing: the engine in-process, handlers over the worker
 * protocol, typed clients over a real ingress, state and journals read
 * through the engine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as clients from "@restatedev/restate-sdk-clients";
import * as restate from "../sdk/index.js";
import { RestateTestEnvironment } from "../testing/index.js";

const greeter = restate.service({
  name: "greeter",
  handlers: {
    async greet(ctx: restate.Context, name: string) {
      if (name === "") throw new restate.TerminalError("send a name", { errorCode: 400 });
      const n = await ctx.run("lucky", () => 7);
      return `Hello ${name} #${n}`;
    },
    async nothing(_ctx: restate.Context) {
      return undefined;
    },
  },
});

const counter = restate.object({
  name: "counter",
  handlers: {
    async add(ctx: restate.ObjectContext, amount: number) {
      const value = ((await ctx.get<number>("value")) ?? 0) + amount;
      ctx.set("value", value);
      return value;
    },
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("value")) ?? 0),
  },
});

const approval = restate.workflow({
  name: "approval",
  handlers: {
    async run(ctx: restate.WorkflowContext, doc: string) {
      ctx.set("status", "waiting");
      const by = await ctx.promise<string>("approved");
      const { id, promise } = ctx.awakeable<number>();
      ctx.set("awakeable", id);
      const stamp = await promise;
      ctx.set("status", "done");
      return { doc, by, stamp };
    },
    async approve(ctx: restate.WorkflowSharedContext, by: string) {
      await ctx.promise<string>("approved").resolve(by);
    },
    async status(ctx: restate.WorkflowSharedContext) {
      return (await ctx.get<string>("status")) ?? "not started";
    },
  },
});

let env: RestateTestEnvironment;
beforeAll(async () => {
  env = await RestateTestEnvironment.start({ services: [greeter, counter, approval] });
});
afterAll(() => env?.stop());

describe("typed clients over the ingress", () => {
  it("call a service and return its output", async () => {
    const out: string = await env.client.serviceClient(greeter).greet("Ada");
    expect(out).toBe("Hello Ada #7");
    expect(await env.client.serviceClient(greeter).nothing()).toBeUndefined();
  });

  it("reject with a TerminalError carrying the code and the message", async () => {
    const err = await env.client.serviceClient(greeter).greet("").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(restate.TerminalError);
    expect(err).toMatchObject({ code: 400, message: "send a name" });
  });

  it("call objects by key; sends return an invocation id whose result can be awaited", async () => {
    expect(await env.client.objectClient(counter, "a").add(2)).toBe(2);
    const sent = await env.client.objectSendClient(counter, "a").add(3);
    expect(sent).toMatchObject({ invocationId: expect.stringMatching(/^inv_/), status: "Accepted" });
    const total: number = await env.client.result(sent);
    expect(total).toBe(5);
    expect(await env.client.objectClient(counter, "a").get()).toBe(5);
    expect(await env.client.objectClient(counter, "b").get()).toBe(0);
  });

  it("idempotency keys: the second call gets the first one's result", async () => {
    const opts = restate.rpc.opts({ idempotencyKey: "once" });
    expect(await env.client.objectClient(counter, "idem").add(1, opts)).toBe(1);
    expect(await env.client.objectClient(counter, "idem").add(1, opts)).toBe(1);
    expect(await env.stateOf(counter, "idem").get("value")).toBe(1);
  });

  it("drive a workflow: submit, resolve its promise, complete its awakeable over plain HTTP, await it", async () => {
    const run = await env.client.workflowSendClient(approval, "doc-1").run("contract.pdf");
    await expect.poll(() => env.client.workflowClient(approval, "doc-1").status()).toBe("waiting");
    await env.client.workflowClient(approval, "doc-1").approve("Grace");
    // Reads wait until the environment is idle: by then run() has created its awakeable.
    const awakeable = await env.stateOf(approval, "doc-1").get<string>("awakeable");
    const res = await fetch(`${env.ingressUrl}/restate/awakeables/${awakeable}/resolve`, { method: "POST", headers: { "content-type": "application/json" }, body: "42" });
    expect(res.status).toBe(202);
    expect(await env.client.result(run)).toEqual({ doc: "contract.pdf", by: "Grace", stamp: 42 });
  });

  it("serve @restatedev/restate-sdk-clients unchanged", async () => {
    const ingress = clients.connect({ url: env.ingressUrl });
    const typed = ingress.serviceClient<{ greet: (ctx: unknown, name: string) => Promise<string> }>({ name: "greeter" });
    expect(await typed.greet("Lin")).toBe("Hello Lin #7");
  });
});

/** Type-level only (tsc checks it): the clients are typed from the definitions. */
export function typedCalls(e: RestateTestEnvironment): Promise<number> {
  // @ts-expect-error greet takes a string
  void e.client.serviceClient(greeter).greet(42);
  // @ts-expect-error counter has no handler 'subtract'
  void e.client.objectClient(counter, "k").subtract(1);
  // @ts-expect-error get takes no input
  void e.client.objectClient(counter, "k").get(1);
  const run: Promise<{ doc: string; by: string; stamp: number }> = e.client.workflowClient(approval, "k").workflowAttach();
  void run;
  // @ts-expect-error a workflow's run is submitted (workflowSubmit), not called, as in sdk-clients
  void e.client.workflowClient(approval, "k").run("doc");
  // @ts-expect-error workflowSubmit takes run's input, a string
  void e.client.workflowClient(approval, "k").workflowSubmit(1);
  return e.client.objectClient(counter, "k").add(1);
}

describe("state", () => {
  it("set, then read by the handlers; get and getAll see what the handlers wrote", async () => {
    const state = env.stateOf(counter, "s1");
    expect(await state.get("value")).toBeNull();
    await state.set("value", 40);
    expect(await env.client.objectClient(counter, "s1").add(2)).toBe(42);
    expect(await state.get<number>("value")).toBe(42);
    expect(await state.getAll()).toEqual({ value: 42 });
  });

  it("setAll replaces the key's state", async () => {
    const state = env.stateOf("counter", "s2");
    await state.set("other", "x");
    await state.setAll({ value: 10, note: "seeded" });
    expect(await state.getAll()).toEqual({ value: 10, note: "seeded" });
    expect(await env.client.objectClient(counter, "s2").add(1)).toBe(11);
  });

  it("sees writes of a send once the environment is idle", async () => {
    await env.client.objectSendClient(counter, "s3").add(5);
    expect(await env.stateOf(counter, "s3").get("value")).toBe(5);
  });

  it("refuses services, which have no state", async () => {
    await expect(env.stateOf(greeter, "k").set("x", 1)).rejects.toThrow(/is a service/);
  });
});

describe("journals", () => {
  it("list entries with their types, names and decoded values", async () => {
    const sent = await env.client.objectSendClient(counter, "j1").add(4);
    await env.client.result(sent);
    expect(await env.journal(sent.invocationId)).toEqual([
      { index: 1, type: "GetState", name: "value", completed: true },
      { index: 2, type: "SetState", name: "value", completed: true, value: 4 },
    ]);
    const greeting = await env.client.serviceSendClient(greeter).greet("Bo");
    await env.client.result(greeting);
    expect(await env.journal(greeting.invocationId)).toEqual([{ index: 1, type: "Run", name: "lucky", completed: true, result: 7 }]);
  });

  it("show an unfinished invocation's journal as it stands", async () => {
    const run = await env.client.workflowSendClient(approval, "doc-2").run("memo");
    const journal = await env.journal(run.invocationId);
    expect(journal.map((e) => [e.type, e.name, e.completed])).toEqual([
      ["SetState", "status", true],
      ["GetPromise", "approved", false],
    ]);
  });

  it("name an unknown invocation", async () => {
    await expect(env.journal("inv_1nope")).rejects.toThrow("invocation 'inv_1nope' not found");
  });
});

describe("the environment", () => {
  it("is one per process at a time, and explains definitions made by the real SDK", async () => {
    await expect(RestateTestEnvironment.start({ services: [greeter] })).rejects.toThrow(/already running/);
    const real = { name: "greeter", service: { greet: async () => "" } };
    const other = env;
    await other.stop();
    await expect(RestateTestEnvironment.start({ services: [real] })).rejects.toThrow(/alias.*"@restatedev\/restate-sdk": "restate-dev\/sdk"/);
    env = await RestateTestEnvironment.start({ services: [greeter] });
    // A fresh database: nothing of the previous environment is left.
    expect(await env.client.serviceClient(greeter).greet("again")).toBe("Hello again #7");
    await expect(fetch(`${other.ingressUrl}/restate/health`)).rejects.toThrow();
  });
});
