/** Retention options: journals, results and workflow state are dropped when their time is up. */
import { describe, expect, it } from "vitest";
import { call, describeInvocation, eventually, type UpProcess, runForFile } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";

const brief = restate.service({
  name: "brief",
  options: { idempotencyRetention: 1600, journalRetention: 800 },
  handlers: {
    async hello(ctx: restate.Context, name: string) {
      return ctx.run("greet", () => "hello " + name);
    },
  },
});

const onboarding = restate.workflow({
  name: "onboarding",
  options: { workflowRetention: { milliseconds: 400 } },
  handlers: {
    async run(ctx: restate.WorkflowContext) {
      ctx.set("done", true);
      return "ok";
    },
    async done(ctx: restate.WorkflowSharedContext) {
      return (await ctx.get<boolean>("done")) ?? false;
    },
  },
});

restate.serve({ services: [brief, onboarding] });
`,
};

let up: UpProcess;
runForFile(PROJECT, (started) => (up = started));

describe("retention", () => {
  it("drops the journal after journalRetention and the result after idempotencyRetention", async () => {
    const r = await call(up.ingressUrl, "/brief/hello", JSON.stringify("ann"), { headers: { "idempotency-key": "k1" } });
    const id = r.headers.get("x-restate-id")!;
    expect((await describeInvocation(up.adminUrl, id)).journal).toHaveLength(1);
    await eventually(async () => ((await describeInvocation(up.adminUrl, id)).journal.length === 0 ? true : undefined), 3000, "journal drop");
    expect((await call(up.ingressUrl, `/restate/invocation/${id}/output`, undefined, { method: "GET" })).json).toBe("hello ann");
    await eventually(async () => ((await call(up.ingressUrl, `/restate/invocation/${id}/output`, undefined, { method: "GET" })).status === 404 ? true : undefined), 3000, "result drop");
    // The idempotency key is free again: the same key runs anew.
    const again = await call(up.ingressUrl, "/brief/hello", JSON.stringify("bob"), { headers: { "idempotency-key": "k1" } });
    expect(again.json).toBe("hello bob");
    expect(again.headers.get("x-restate-id")).not.toBe(id);
  });

  it("drops a workflow's run, state and key after workflowRetention, so the key can run again", async () => {
    expect((await call(up.ingressUrl, "/onboarding/w1/run")).json).toBe("ok");
    expect((await call(up.ingressUrl, "/onboarding/w1/done")).json).toBe(true);
    await eventually(async () => ((await call(up.ingressUrl, "/onboarding/w1/done")).json === false ? true : undefined), 3000, "workflow expiry");
    expect((await call(up.ingressUrl, "/onboarding/w1/run")).status).toBe(200);
  });
});
