/**
 * Cancellation (with compensation, propagated to the in-flight call) and kill,
 * through the admin API's PATCH /invocations/{id}/cancel|kill, on both targets.
 */
import { describe, expect, it } from "vitest";
import { call, eventually, sleep } from "../test/helpers/runtime.js";
import { FEATURES, sideEffects } from "./harness/features.js";
import { selectedTargets, useTarget, type Target } from "./harness/targets.js";

/** Sends trips/book and waits until its call to hotel/reserve runs; returns both invocation ids. */
async function bookTrip(t: Target, trip: string): Promise<{ parent: string; child: string }> {
  const sent = await call(t.ingressUrl, "/trips/book/send", JSON.stringify(trip));
  expect(sent.status).toBe(202);
  const child = await eventually(() => sideEffects(t, { op: "hotel-started", key: trip })[0]?.invocation, 10_000, "the hotel call to start");
  // Let the child reach its sleep (the step after its first ctx.run).
  await sleep(200);
  return { parent: sent.json.invocationId, child };
}

const ops = (t: Target, trip: string) => sideEffects(t, { key: trip }).map((e) => e.op).sort();

describe.each(selectedTargets())("cancel and kill on %s", (kind) => {
  const t = useTarget(kind, FEATURES);
  const patch = (path: string) => call(t.adminUrl, path, undefined, { method: "PATCH" });
  const attach = (id: string) => call(t.ingressUrl, `/restate/invocation/${id}/attach`, undefined, { method: "GET" });

  it("cancel: 202; CancelledError at the pending await, compensation runs, the in-flight call is cancelled too", async () => {
    const trip = `cancel-${kind}`;
    const { parent, child } = await bookTrip(t, trip);
    const r = await patch(`/invocations/${parent}/cancel`);
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    const cancelled = { code: 409, message: "Cancelled", source: "invocation" };
    const result = await attach(parent);
    expect(result.status).toBe(409);
    expect(result.json).toEqual(cancelled);
    expect((await attach(child)).json).toEqual(cancelled);
    // Each compensation ran once: the parent's for its flight, the child's for its hotel.
    expect(ops(t, trip)).toEqual(["flight-booked", "flight-cancelled", "hotel-released", "hotel-started"]);
  });

  it("kill: 200; the invocation and its call end with 409 killed, and no compensation runs", async () => {
    const trip = `kill-${kind}`;
    const { parent, child } = await bookTrip(t, trip);
    const r = await patch(`/invocations/${parent}/kill`);
    expect(r.status).toBe(200);
    expect(r.text).toBe("");
    const killed = { code: 409, message: "killed", source: "invocation" };
    const result = await attach(parent);
    expect(result.status).toBe(409);
    expect(result.json).toEqual(killed);
    expect((await attach(child)).json).toEqual(killed);
    await sleep(300);
    expect(ops(t, trip)).toEqual(["flight-booked", "hotel-started"]);
  });

  it("cancel or kill of a completed invocation: 409; of an unknown one: 404", async () => {
    const done = (await call(t.ingressUrl, "/errs/echo", 1)).headers.get("x-restate-id")!;
    for (const op of ["cancel", "kill"]) {
      const r = await patch(`/invocations/${done}/${op}`);
      expect(r.status).toBe(409);
      expect(r.json).toMatchObject({ message: `The invocation '${done}' was already completed.` });
    }
    const unknown = done.slice(0, -1) + (done.endsWith("A") ? "B" : "A");
    expect((await patch(`/invocations/${unknown}/cancel`)).status).toBe(404);
  });
});
