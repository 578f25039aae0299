/**
 * The SDK API restate-dev supports (README "What the SDK supports"), written as
 * a user would against @restatedev/restate-sdk 1.17. Compiled, never run: once
 * against the real SDK's .d.ts and once against restate-dev's (compat/types/).
 */
import * as restate from "@restatedev/restate-sdk";
import {
  CancelledError,
  RestatePromise,
  RetryableError,
  TerminalError,
  TimeoutError,
  isRestatePromise,
  rpc,
  serde,
  type Context,
  type DurablePromise,
  type ObjectContext,
  type ObjectSharedContext,
  type RunOptions,
  type Serde,
  type WorkflowContext,
  type WorkflowSharedContext,
} from "@restatedev/restate-sdk";

type Profile = { name: string; visits: number };

export const profile = restate.object({
  name: "profile",
  handlers: {
    async visit(ctx: ObjectContext<Profile>, name: string): Promise<number> {
      const visits = (await ctx.get("visits")) ?? 0;
      ctx.set("visits", visits + 1);
      ctx.set("name", name);
      const keys: string[] = await ctx.stateKeys();
      if (keys.length > 5) ctx.clearAll();
      ctx.clear("name");
      return visits + 1;
    },
    untyped: async (ctx: ObjectContext, item: { id: string }) => {
      const items = (await ctx.get<string[]>("items")) ?? [];
      ctx.set("items", [...items, item.id]);
      ctx.set<Uint8Array>("raw", new Uint8Array([1]), serde.binary);
      return ctx.key;
    },
    name: restate.handlers.object.shared(async (ctx: ObjectSharedContext<Profile>) => (await ctx.get("name")) ?? "anonymous"),
    exclusiveWithOptions: restate.handlers.object.exclusive(
      { ingressPrivate: true, enableLazyState: true, retryPolicy: { maxAttempts: 3, onMaxAttempts: "kill" }, description: "d", metadata: { team: "a" } },
      async (ctx: ObjectContext, n: number) => n + 1,
    ),
    sharedWithOptions: restate.handlers.object.shared({ input: serde.json, output: serde.json }, async (ctx: ObjectSharedContext, n: number) => n * 2),
  },
  options: {
    retryPolicy: { maxAttempts: 10, onMaxAttempts: "pause", initialInterval: { seconds: 1 }, maxInterval: 30_000, exponentiationFactor: 2 },
    journalRetention: { days: 1 },
    idempotencyRetention: { hours: 12 },
    inactivityTimeout: { minutes: 1 },
    abortTimeout: 600_000,
    enableLazyState: false,
    asTerminalError: (e: unknown) => (e instanceof RangeError ? new TerminalError(e.message, { errorCode: 400 }) : undefined),
  },
});

export const steps = restate.service({
  name: "steps",
  handlers: {
    async everything(ctx: Context, input: { userId: string }): Promise<{ total: number }> {
      const a = await ctx.run(() => 1);
      const b = await ctx.run("named", async () => 2);
      const runOptions: RunOptions<number> = { maxRetryAttempts: 3, maxRetryDuration: { seconds: 10 }, initialRetryInterval: 50, maxRetryInterval: { seconds: 1 }, retryIntervalFactor: 2 };
      const c = await ctx.run("with-options", () => 3, runOptions);
      await ctx.run("void-step", () => {});
      await ctx.sleep(100);
      await ctx.sleep({ seconds: 1, milliseconds: 5 }, "named-sleep");
      const id: string = ctx.rand.uuidv4();
      const r: number = ctx.rand.random();
      const now: number = await ctx.date.now();
      const iso: string = await ctx.date.toJSON();
      ctx.console.log("hello", id, r, now, iso);
      const req = ctx.request();
      const header: string | undefined = req.headers.get("x-custom");
      const invocationId = req.id;
      const body: Uint8Array = req.body;
      ctx.console.info(header, invocationId, body.length, req.target.service, req.target.handler, req.idempotencyKey);

      // Awakeables.
      const { id: awakeableId, promise } = ctx.awakeable<{ ok: boolean }>();
      ctx.resolveAwakeable(awakeableId, { ok: true });
      ctx.rejectAwakeable(awakeableId, "no");
      ctx.rejectAwakeable(awakeableId, new TerminalError("no", { errorCode: 400 }));
      const bytes = ctx.awakeable(serde.binary);
      const raw: Uint8Array = await bytes.promise;
      const answer: { ok: boolean } = await promise.orTimeout({ seconds: 5 });

      // Calls and sends.
      const visits: number = await ctx.objectClient(profile, input.userId).visit("Ada");
      const name: string = await ctx.objectClient(profile, input.userId).name();
      const handle = ctx.objectSendClient(profile, input.userId).visit("Bob", rpc.sendOpts({ delay: { seconds: 5 } }));
      ctx.objectSendClient(profile, input.userId).visit("Eve", restate.SendOpts.from({ delay: 1000, idempotencyKey: "k" }));
      const childId = await handle.invocationId;
      const call = ctx.serviceClient(other).double(21, rpc.opts({ idempotencyKey: "x", headers: { a: "b" }, name: "named-call" }));
      const callId = await call.invocationId;
      const doubled: number = await call;
      ctx.serviceSendClient(other).double(1);
      const wfResult: string = await ctx.workflowClient(approval, "k").run({ amount: 1 });
      await ctx.workflowClient(approval, "k").approve("yes");
      ctx.workflowSendClient(approval, "k2").run({ amount: 2 });
      const generic: Uint8Array = await ctx.genericCall({ service: "other", method: "double", parameter: new Uint8Array([1]) });
      const typed: number = await ctx.genericCall<number, number>({ service: "other", method: "double", parameter: 2, inputSerde: serde.json, outputSerde: serde.json });
      ctx.genericSend({ service: "other", method: "double", parameter: new Uint8Array([1]), delay: { seconds: 1 } });
      const attached: number = await ctx.invocation(childId).attach<number>();
      ctx.invocation(callId).cancel();

      // Combinators.
      const [x, y] = await RestatePromise.all([ctx.run(() => 1), ctx.sleep(10).map(() => "slept")]);
      const first = await RestatePromise.race([ctx.run(() => "a"), ctx.sleep(10).map(() => "b")]);
      const any = await RestatePromise.any([ctx.run(() => 1), ctx.run(() => 2)]);
      const settled = await RestatePromise.allSettled([ctx.run(() => 1)]);
      const mapped: string = await ctx.run(() => 1).map((v, failure) => (failure ? failure.message : String(v)));
      if (isRestatePromise(call)) ctx.console.debug(x, y, first, any, settled.length, mapped);

      return { total: a + b + c + visits + name.length + doubled + wfResult.length + generic.length + typed + attached + raw.length + (answer.ok ? 1 : 0) };
    },
    async errors(ctx: Context) {
      try {
        await ctx.run("may-fail", () => {
          throw new RetryableError("later", { retryAfter: { seconds: 1 } });
        });
      } catch (e) {
        if (e instanceof TimeoutError || e instanceof CancelledError) throw e;
        if (e instanceof TerminalError) throw new TerminalError(`failed: ${e.message}`, { errorCode: e.code, metadata: { step: "may-fail" } });
      }
      throw new RetryableError("retry me", { retryAfter: 500 });
    },
  },
});

export const other = restate.service({
  name: "other",
  handlers: {
    double: async (ctx: Context, n: number) => n * 2,
    withOptions: restate.handlers.handler({ input: serde.binary, output: serde.binary, accept: "*/*", ingressPrivate: false }, async (ctx: Context, data: Uint8Array) => data),
  },
  options: { ingressPrivate: false, retryPolicy: { maxAttempts: 5 } },
});

type ApprovalState = { stage: string };

export const approval = restate.workflow({
  name: "approval",
  handlers: {
    async run(ctx: WorkflowContext<ApprovalState>, request: { amount: number }): Promise<string> {
      ctx.set("stage", "waiting");
      const decision: DurablePromise<string> = ctx.promise<string>("decision");
      const peeked: string | undefined = await decision.peek();
      const value = await decision.get().orTimeout({ days: 1 });
      return `${peeked ?? ""}${value}${request.amount}`;
    },
    async approve(ctx: WorkflowSharedContext<ApprovalState>, value: string) {
      await ctx.promise<string>("decision").resolve(value);
    },
    async refuse(ctx: WorkflowSharedContext, reason: string) {
      await ctx.promise<string>("decision").reject(reason);
    },
    async stage(ctx: WorkflowSharedContext<ApprovalState>) {
      return (await ctx.get("stage")) ?? "not started";
    },
  },
  options: { workflowRetention: { days: 7 } },
});

// With handlers.workflow.* the real SDK's types want every handler wrapped (a plain
// method next to a wrapped one is rejected by @restatedev/restate-sdk 1.17.2).
export const wrappedFlow = restate.workflow({
  name: "wrappedFlow",
  handlers: {
    run: restate.handlers.workflow.workflow({ retryPolicy: { maxAttempts: 3 } }, async (ctx: WorkflowContext, n: number) => n + 1),
    key: restate.handlers.workflow.shared({ ingressPrivate: true }, async (ctx: WorkflowSharedContext) => ctx.key),
  },
});

const customSerde: Serde<Date> = {
  contentType: "text/plain",
  serialize: (d: Date) => new TextEncoder().encode(d.toISOString()),
  deserialize: (b: Uint8Array) => new Date(new TextDecoder().decode(b)),
};

export const dated = restate.service({
  name: "dated",
  handlers: {
    echo: restate.handlers.handler({ input: customSerde, output: customSerde }, async (ctx: Context, d: Date) => d),
  },
});

restate.endpoint().bind(profile).bind(steps).bind(other).bind(approval).bind(wrappedFlow).bind(dated).defaultServiceOptions({ journalRetention: { days: 1 } }).listen(9080);
void restate.serve({ services: [profile, steps, other, approval, dated], port: 9080, defaultServiceOptions: { retryPolicy: { maxAttempts: 5 } } });
