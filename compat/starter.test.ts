/** The starter template (greeter service, counter object, signup workflow) on both targets. */
import { describe, expect, it } from "vitest";
import type { counter } from "../templates/starter/src/counter.js";
import type { signup } from "../templates/starter/src/signup.js";
import { call } from "../test/helpers/runtime.js";
import { selectedTargets, useTarget } from "./harness/targets.js";

describe.each(selectedTargets())("starter on %s", (kind) => {
  const t = useTarget(kind, { source: "templates/starter" });

  it("greeter: a ctx.run step and a durable sleep", async () => {
    const r = await call(t.ingressUrl, "/greeter/greet", JSON.stringify("Ada"));
    expect(r.status).toBe(200);
    expect(r.json).toMatch(/^Hello, Ada! Your lucky number is \d+\.$/);
  });

  it("greeter: a TerminalError's errorCode is the HTTP status", async () => {
    const r = await call(t.ingressUrl, "/greeter/greet", JSON.stringify(""));
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 400, message: 'send a name as JSON, e.g. "Ada"', source: "invocation" });
  });

  it("counter: a count per key, through sdk-clients", async () => {
    const c = t.ingress.objectClient<typeof counter>({ name: "counter" }, `c-${kind}`);
    expect(await c.add(2)).toBe(2);
    expect(await c.add(3)).toBe(5);
    expect(await c.get()).toBe(5);
    expect(await t.ingress.objectClient<typeof counter>({ name: "counter" }, `other-${kind}`).get()).toBe(0);
    // reset returns nothing: 200 with an empty body.
    const reset = await call(t.ingressUrl, `/counter/c-${kind}/reset`);
    expect(reset.status).toBe(200);
    expect(reset.text).toBe("");
    expect(await c.get()).toBe(0);
  });

  it("signup: run waits on a durable promise that confirm resolves; run happens once per key", async () => {
    const email = `ada-${kind}@example.com`;
    const wf = t.ingress.workflowClient<typeof signup>({ name: "signup" }, email);
    const submitted = await wf.workflowSubmit({ name: "Ada" });
    expect(submitted).toMatchObject({ invocationId: expect.stringMatching(/^inv_1/), status: "Accepted" });
    // State written by the running run() is visible to the shared status handler.
    await expect.poll(() => wf.status(), { timeout: 10_000 }).toBe("waiting for confirmation");
    expect(await wf.workflowOutput()).toMatchObject({ ready: false });

    expect(await wf.confirm()).toBe("confirmed");
    expect(await wf.workflowAttach()).toEqual({ email, name: "Ada", confirmedAt: expect.any(String) });
    expect(await wf.status()).toBe("confirmed");
    expect(await wf.workflowOutput()).toMatchObject({ ready: true, result: { email, name: "Ada" } });

    // Submitting again: the first run's id, not run again.
    const again = await wf.workflowSubmit({ name: "Someone else" });
    expect(again).toMatchObject({ invocationId: submitted.invocationId, status: "PreviouslyAccepted" });
    // Calling run request/response again: 409.
    const rerun = await call(t.ingressUrl, `/signup/${email}/run`, { name: "Bob" });
    expect(rerun.status).toBe(409);
    expect(rerun.json).toEqual({ code: 409, message: "the workflow method was already invoked", source: "invocation" });
  });

  it("signup: output and attach of a workflow that never ran are 404", async () => {
    const output = await call(t.ingressUrl, `/restate/workflow/signup/nobody-${kind}/output`, undefined, { method: "GET" });
    expect(output.status).toBe(404);
    expect(output.json).toEqual({ code: 404, message: "invocation not found", source: "ingress" });
    const attach = await call(t.ingressUrl, `/restate/workflow/signup/nobody-${kind}/attach`, undefined, { method: "GET" });
    expect(attach.status).toBe(404);
    expect(attach.json).toEqual({ code: 404, message: "not found", source: "invocation" });
  });
});
