/** Finer points of the HTTP surface: headers, content types, serdes, private handlers, 1.7 paths, error metadata. */
import { describe, expect, it } from "vitest";
import { call } from "../test/helpers/runtime.js";
import { FEATURES, expectedFor } from "./harness/features.js";
import { selectedTargets, useTarget } from "./harness/targets.js";

describe.each(selectedTargets())("HTTP details on %s", (kind) => {
  const t = useTarget(kind, FEATURES);
  const raw = (path: string, init: RequestInit = {}) => fetch(t.ingressUrl + path, { method: "POST", ...init });

  it("GET /restate/health answers 200", async () => {
    const r = await raw("/restate/health", { method: "GET" });
    expect(r.status).toBe(200);
  });

  it("the handler sees the request's headers and target; ctx.request().idempotencyKey (known difference)", async () => {
    const r = await call(t.ingressUrl, "/http/request", undefined, { headers: { "x-custom": "hello", "idempotency-key": `hk-${kind}` } });
    expect(r.json).toEqual({
      header: "hello",
      // Restate 1.7 speaks service protocol v6 by default, whose StartMessage has no
      // idempotency key (v7 adds it): the real SDK reports none. restate-dev passes it.
      idempotencyKey: expectedFor(kind, { restate: null, "restate-dev": `hk-${kind}` }),
      target: "http/request",
    });
  });

  it("content types: JSON output, empty output without content-type, binary in and out", async () => {
    const text = await call(t.ingressUrl, "/http/text");
    expect(text.headers.get("content-type")).toBe("application/json");
    expect(text.text).toBe('"plain"');
    const nothing = await call(t.ingressUrl, "/http/nothing");
    expect(nothing.status).toBe(200);
    expect(nothing.headers.get("content-type")).toBeNull();
    expect(nothing.text).toBe("");
    const bytes = await raw("/http/bytes", { headers: { "content-type": "application/octet-stream" }, body: new Uint8Array([1, 2, 3]) });
    expect(bytes.status).toBe(200);
    expect(bytes.headers.get("content-type")).toBe("application/octet-stream");
    expect([...new Uint8Array(await bytes.arrayBuffer())]).toEqual([3, 2, 1]);
  });

  it("content types: a body without content-type is 400; no body and no content-type is fine", async () => {
    // A Uint8Array body: fetch adds no content-type (it would for a string).
    const noType = await raw("/errs/echo", { body: new TextEncoder().encode("1") });
    expect(noType.status).toBe(400);
    expect(await noType.json()).toEqual({ code: 400, message: "input validation error: Empty content-type", source: "ingress" });
    const empty = await raw("/errs/echo");
    expect(empty.status).toBe(200);
  });

  it("an ingress-private handler: 400 from the ingress, callable from a handler", async () => {
    const r = await call(t.ingressUrl, "/http/hidden");
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 400, message: "the invoked service is not public", source: "ingress" });
    expect((await call(t.ingressUrl, "/http/viaPrivate")).json).toBe("private");
  });

  it("a TerminalError's metadata is in the error body", async () => {
    const r = await call(t.ingressUrl, "/http/withMetadata");
    expect(r.status).toBe(422);
    expect(r.json).toEqual({ code: 422, message: "with metadata", metadata: { field: "amount" }, source: "invocation" });
  });

  it("1.7 canonical paths: /restate/call and /restate/send, ISO-8601 delays", async () => {
    expect((await call(t.ingressUrl, "/restate/call/errs/echo", { a: 1 })).json).toEqual({ a: 1 });
    expect((await call(t.ingressUrl, "/restate/call/store/canon/keys")).json).toEqual([]);
    const sent = await call(t.ingressUrl, "/restate/send/recorder/canon/record?delay=PT0.5S", JSON.stringify("iso"));
    expect(sent.status).toBe(202);
    expect(sent.json).toMatchObject({ status: "Accepted", executionTime: expect.any(String) });
    const bad = await call(t.ingressUrl, "/recorder/canon/record/send?delay=soon", JSON.stringify("x"));
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 400, source: "ingress" });
  });

  it("attach/output of a completed invocation carry idempotency-expires; a live answer does not", async () => {
    const live = await call(t.ingressUrl, "/errs/echo", 5);
    expect(live.headers.get("idempotency-expires")).toBeNull();
    const id = live.headers.get("x-restate-id");
    for (const op of ["attach", "output"]) {
      const r = await call(t.ingressUrl, `/restate/invocation/${id}/${op}`, undefined, { method: "GET" });
      expect(r.json).toBe(5);
      expect(r.headers.get("x-restate-id")).toBe(id);
      expect(Date.parse(r.headers.get("idempotency-expires")!)).toBeGreaterThan(Date.now());
    }
  });

  it("POST to an attach URL is 405", async () => {
    const id = (await call(t.ingressUrl, "/errs/echo", 5)).headers.get("x-restate-id");
    expect((await call(t.ingressUrl, `/restate/invocation/${id}/attach`, undefined, { method: "POST" })).status).toBe(405);
  });
});
