/** Awakeables (from the ingress, sdk-clients and handlers) and a workflow with durable promises, on both targets. */
import { describe, expect, it } from "vitest";
import type { approvalFlow } from "./fixtures/features/src/awakeables.js";
import { call, eventually } from "../test/helpers/runtime.js";
import { FEATURES, sideEffects } from "./harness/features.js";
import { selectedTargets, useTarget, type Target } from "./harness/targets.js";

/** Starts approvals/<key>/request (one-way) and returns its invocation id and awakeable id. */
async function requestApproval(t: Target, key: string): Promise<{ invocationId: string; awakeable: string }> {
  const sent = await call(t.ingressUrl, `/approvals/${key}/request/send`);
  expect(sent.status).toBe(202);
  const awakeable = await eventually(() => sideEffects(t, { op: "awakeable", key })[0]?.id, 10_000, "the awakeable id");
  expect(awakeable).toMatch(/^sign_1/);
  return { invocationId: sent.json.invocationId, awakeable };
}

const attach = (t: Target, id: string) => call(t.ingressUrl, `/restate/invocation/${id}/attach`, undefined, { method: "GET" });

describe.each(selectedTargets())("awakeables and workflows on %s", (kind) => {
  const t = useTarget(kind, FEATURES);

  it("awakeable resolved through the ingress: 202 with an empty body; a second resolve is ignored", async () => {
    const { invocationId, awakeable } = await requestApproval(t, `ingress-${kind}`);
    const r = await call(t.ingressUrl, `/restate/awakeables/${awakeable}/resolve`, { by: "the ingress" });
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    expect((await call(t.ingressUrl, `/restate/a/${awakeable}/resolve`, { by: "someone later" })).status).toBe(202);
    const result = await attach(t, invocationId);
    expect(result.status).toBe(200);
    expect(result.json).toBe("approved by the ingress");
    expect(result.headers.get("x-restate-id")).toBe(invocationId);
  });

  it("awakeable rejected through the ingress: the invocation fails with 500 and the reason", async () => {
    const { invocationId, awakeable } = await requestApproval(t, `reject-${kind}`);
    const r = await call(t.ingressUrl, `/restate/a/${awakeable}/reject`, "not today", { headers: { "content-type": "text/plain" } });
    expect(r.status).toBe(202);
    const result = await attach(t, invocationId);
    expect(result.status).toBe(500);
    expect(result.json).toEqual({ code: 500, message: "not today", source: "invocation" });
  });

  it("awakeable resolved with sdk-clients, and by another handler", async () => {
    const viaClient = await requestApproval(t, `client-${kind}`);
    await t.ingress.resolveAwakeable(viaClient.awakeable, { by: "sdk-clients" });
    expect((await attach(t, viaClient.invocationId)).json).toBe("approved by sdk-clients");

    const viaHandler = await requestApproval(t, `handler-${kind}`);
    expect((await call(t.ingressUrl, "/approver/approve", JSON.stringify(viaHandler.awakeable))).status).toBe(200);
    expect((await attach(t, viaHandler.invocationId)).json).toBe("approved by a handler");

    const rejected = await requestApproval(t, `handler-reject-${kind}`);
    await call(t.ingressUrl, "/approver/reject", JSON.stringify(rejected.awakeable));
    expect((await attach(t, rejected.invocationId)).json).toEqual({ code: 500, message: "rejected by a handler", source: "invocation" });
  });

  it("awakeable ids that are not ids are a 400 from the ingress", async () => {
    const r = await call(t.ingressUrl, "/restate/awakeables/garbage/resolve", { by: "nobody" });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 400, message: "bad awakeable id 'garbage': bad format", source: "ingress" });
  });

  it("workflow: run waits on a durable promise; peek, resolve, output and attach", async () => {
    const wf = t.ingress.workflowClient<typeof approvalFlow>({ name: "approvalFlow" }, `wf-${kind}`);
    const submitted = await wf.workflowSubmit({ amount: 7 });
    expect(submitted.status).toBe("Accepted");
    await expect.poll(() => wf.stage(), { timeout: 10_000 }).toBe("waiting");
    expect(await wf.peek()).toBeNull();
    const output = await call(t.ingressUrl, `/restate/workflow/approvalFlow/wf-${kind}/output`, undefined, { method: "GET" });
    expect(output.status).toBe(470);
    expect(output.json).toEqual({ code: 470, message: "the invocation exists but has not completed yet", source: "ingress" });

    expect(await wf.decide("yes")).toBe("ok");
    expect(await wf.workflowAttach()).toEqual({ amount: 7, decision: "yes", peekedBefore: null });
    expect(await wf.peek()).toBe("yes");
    expect(await wf.stage()).toBe("decided");

    // A durable promise completes once: resolving it again is a 409 TerminalError in the handler.
    const again = await call(t.ingressUrl, `/approvalFlow/wf-${kind}/decide`, JSON.stringify("no"));
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ code: 409, message: "promise was already completed", source: "invocation" });
    expect(await wf.peek()).toBe("yes");
  });

  it("workflow: a rejected durable promise fails run with 500 and the reason", async () => {
    const wf = t.ingress.workflowClient<typeof approvalFlow>({ name: "approvalFlow" }, `refused-${kind}`);
    await wf.workflowSubmit({ amount: 1 });
    await expect.poll(() => wf.stage(), { timeout: 10_000 }).toBe("waiting");
    await wf.refuse("too expensive");
    const attached = await call(t.ingressUrl, `/restate/workflow/approvalFlow/refused-${kind}/attach`, undefined, { method: "GET" });
    expect(attached.status).toBe(500);
    expect(attached.json).toEqual({ code: 500, message: "too expensive", source: "invocation" });
  });
});
