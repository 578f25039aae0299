/**
 * `env.client` is @restatedev/restate-sdk-clients' API: one test body, written
 * with sdk-clients' idioms (rpc.opts / rpc.sendOpts, result, workflowSubmit /
 * workflowAttach / workflowOutput, resolveAwakeable / rejectAwakeable, call /
 * send by name), runs against `env.client` and against a real sdk-clients
 * `connect({ url: env.ingressUrl })`. The body is typed by env.client's types.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as clients from "@restatedev/restate-sdk-clients";
import * as restate from "../sdk/index.js";
import { RestateTestEnvironment, rpc, type TestClient } from "../testing/index.js";

const greeter = restate.service({
  name: "greeter",
  handlers: {
    async greet(_ctx: restate.Context, name: string) {
      if (name === "") throw new restate.TerminalError("send a name", { errorCode: 400 });
      return `Hello ${name}`;
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
      const { id, promise } = ctx.awakeable<{ by: string }>();
      ctx.set("awakeable", id);
      const { by } = await promise;
      return { doc, by };
    },
    async awakeable(ctx: restate.WorkflowSharedContext) {
      return (await ctx.get<string>("awakeable")) ?? "";
    },
  },
});

let env: RestateTestEnvironment;
beforeAll(async () => {
  env = await RestateTestEnvironment.start({ services: [greeter, counter, approval] });
});
afterAll(async () => {
  await env?.stop();
});

/** Polls a workflow until its run has created its awakeable. */
async function awakeableOf(ingress: TestClient, key: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const id = await ingress.workflowClient(approval, key).awakeable();
    if (id) return id;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`workflow ${key} made no awakeable`);
}

/** The test body: only sdk-clients' API and its rpc helpers. */
async function scenario(ingress: TestClient, tag: string): Promise<void> {
  // service and object clients, with call options
  expect(await ingress.serviceClient(greeter).greet("Ada")).toBe("Hello Ada");
  const key = `${tag}-c`;
  expect(await ingress.objectClient(counter, key).add(2, clients.rpc.opts({ idempotencyKey: `${tag}-once` }))).toBe(2);
  expect(await ingress.objectClient(counter, key).add(2, clients.rpc.opts({ idempotencyKey: `${tag}-once` }))).toBe(2);
  expect(await ingress.objectClient(counter, key).get()).toBe(2);

  // a failed call rejects with the status and the response text
  const failed = (await ingress.serviceClient(greeter).greet("").catch((e: unknown) => e)) as { status: number; responseText: string };
  expect(failed.status).toBe(400);
  expect(failed.responseText).toContain("send a name");

  // sends, delayed and with an idempotency key (attachable), then their result
  const sent = await ingress.objectSendClient(counter, key).add(3, clients.rpc.sendOpts({ idempotencyKey: `${tag}-send`, delay: 10 }));
  expect(sent).toMatchObject({ invocationId: expect.stringMatching(/^inv_/), status: "Accepted", attachable: true });
  expect(await ingress.result(sent)).toBe(5);
  const plain = await ingress.serviceSendClient(greeter).greet("Bo");
  expect(plain).toMatchObject({ status: "Accepted", attachable: false });

  // by name, without a definition
  expect(await ingress.call({ service: "greeter", handler: "greet", parameter: "Cy" })).toBe("Hello Cy");
  expect(await ingress.send({ service: "counter", key, handler: "add", parameter: 1 })).toMatchObject({ status: "Accepted" });

  // a workflow: submit, output before and after, attach; its awakeable resolved through the client
  const wf = ingress.workflowClient(approval, `${tag}-doc`);
  const submission = await wf.workflowSubmit("contract.pdf");
  expect(submission).toMatchObject({ invocationId: expect.stringMatching(/^inv_/), status: "Accepted", attachable: true });
  expect((await wf.workflowOutput()).ready).toBe(false);
  await ingress.resolveAwakeable(await awakeableOf(ingress, `${tag}-doc`), { by: "Grace" });
  expect(await wf.workflowAttach()).toEqual({ doc: "contract.pdf", by: "Grace" });
  const output = await wf.workflowOutput();
  expect(output).toMatchObject({ ready: true, result: { doc: "contract.pdf", by: "Grace" } });
  expect(await ingress.result(submission)).toEqual({ doc: "contract.pdf", by: "Grace" });

  // a rejected awakeable fails the run
  const rejected = ingress.workflowClient(approval, `${tag}-rejected`);
  await rejected.workflowSubmit("memo.txt");
  await ingress.rejectAwakeable(await awakeableOf(ingress, `${tag}-rejected`), "not today");
  const err = (await rejected.workflowAttach().catch((e: unknown) => e)) as { status: number; responseText: string };
  expect(err.status).toBeGreaterThanOrEqual(400);
  expect(err.responseText).toContain("not today");
}

describe("one test body, two clients", () => {
  it("env.client", async () => {
    await scenario(env.client, "dev");
  });

  it("@restatedev/restate-sdk-clients connect({ url: env.ingressUrl })", async () => {
    // The same calls, typed above by env.client's types; sdk-clients takes the same definitions by value.
    const ingress = clients.connect({ url: env.ingressUrl }) as unknown as TestClient;
    await scenario(ingress, "real");
  });
});

describe("env.client's own helpers", () => {
  it("rpc from restate-dev/testing and the SDK's rpc.opts work as sdk-clients' do", async () => {
    expect(await env.client.objectClient(counter, "own").add(4, rpc.opts({ idempotencyKey: "own-1" }))).toBe(4);
    expect(await env.client.objectClient(counter, "own").add(4, restate.rpc.opts({ idempotencyKey: "own-1" }))).toBe(4);
    const s = await env.client.objectSendClient(counter, "own").add(1, rpc.sendOpts({ delay: { milliseconds: 5 } }));
    expect(await env.client.result(s)).toBe(5);
    // A failure is also a TerminalError with the handler's code and message.
    await expect(env.client.serviceClient(greeter).greet("")).rejects.toMatchObject({ name: "HttpCallError", code: 400, message: "send a name", status: 400 });
    // sdk-clients' argument rules: a second argument must be options.
    expect(() => (env.client.serviceClient(greeter).greet as (...a: unknown[]) => unknown)("a", { not: "opts" })).toThrow(/must be either Opts or SendOpts/);
  });
});
