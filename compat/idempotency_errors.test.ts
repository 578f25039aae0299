/** Idempotency keys, retries, terminal errors and the ingress's error statuses, on both targets. */
import { describe, expect, it } from "vitest";
import { rpc } from "@restatedev/restate-sdk-clients";
import type { ledger } from "./fixtures/features/src/operations.js";
import { call } from "../test/helpers/runtime.js";
import { FEATURES, sideEffects } from "./harness/features.js";
import { selectedTargets, useTarget } from "./harness/targets.js";

describe.each(selectedTargets())("idempotency and errors on %s", (kind) => {
  const t = useTarget(kind, FEATURES);
  const get = (path: string) => call(t.ingressUrl, path, undefined, { method: "GET" });

  describe("idempotency keys", () => {
    it("a repeated call returns the first result (the body is not compared) and runs once", async () => {
      const headers = { "idempotency-key": `k1-${kind}` };
      const first = await call(t.ingressUrl, "/ledger/charge", 5, { headers });
      const again = await call(t.ingressUrl, "/ledger/charge", 7, { headers });
      expect(first.status).toBe(200);
      expect(first.json).toEqual({ chargeId: expect.stringMatching(/^ch_/), amount: 5 });
      expect(again.json).toEqual(first.json);
      expect(again.headers.get("x-restate-id")).toBe(first.headers.get("x-restate-id"));
      expect(first.headers.get("idempotency-expires")).toBeNull();
      expect(Date.parse(again.headers.get("idempotency-expires")!)).toBeGreaterThan(Date.now());
      expect(sideEffects(t, { op: "charge", key: "7" })).toHaveLength(0);
      // Attach and output by idempotency key.
      expect((await get(`/restate/invocation/ledger/charge/k1-${kind}/attach`)).json).toEqual(first.json);
      expect((await get(`/restate/invocation/ledger/charge/k1-${kind}/output`)).json).toEqual(first.json);
    });

    it("concurrent duplicates run the handler once", async () => {
      const headers = { "idempotency-key": `k2-${kind}` };
      const all = await Promise.all([11, 11, 11, 11].map((n) => call(t.ingressUrl, "/ledger/charge", n, { headers })));
      expect(new Set(all.map((r) => r.text)).size).toBe(1);
      expect(new Set(all.map((r) => r.headers.get("x-restate-id"))).size).toBe(1);
      expect(sideEffects(t, { op: "charge", key: "11" })).toHaveLength(1);
    });

    it("a repeated send is PreviouslyAccepted with the same invocation id", async () => {
      const headers = { "idempotency-key": `k3-${kind}` };
      const first = await call(t.ingressUrl, "/ledger/charge/send", 13, { headers });
      const again = await call(t.ingressUrl, "/ledger/charge/send", 13, { headers });
      expect(first.status).toBe(202);
      expect(first.json).toEqual({ invocationId: expect.stringMatching(/^inv_1/), status: "Accepted" });
      expect(again.status).toBe(202);
      expect(again.json).toEqual({ invocationId: first.json.invocationId, status: "PreviouslyAccepted" });
      const result = await get(`/restate/invocation/${first.json.invocationId}/attach`);
      expect(result.json).toMatchObject({ amount: 13 });
      expect(sideEffects(t, { op: "charge", key: "13" })).toHaveLength(1);
    });

    it("sdk-clients: rpc.opts({ idempotencyKey }) and result() of an attachable send", async () => {
      const client = t.ingress.serviceClient<typeof ledger>({ name: "ledger" });
      const a = await client.charge(17, rpc.opts({ idempotencyKey: `k4-${kind}` }));
      const b = await client.charge(17, rpc.opts({ idempotencyKey: `k4-${kind}` }));
      expect(b).toEqual(a);
      const send = await t.ingress.serviceSendClient<typeof ledger>({ name: "ledger" }).charge(19, rpc.sendOpts({ idempotencyKey: `k5-${kind}` }));
      expect(send.attachable).toBe(true);
      expect(await t.ingress.result(send)).toMatchObject({ amount: 19 });
      expect(sideEffects(t, { op: "charge", key: "17" })).toHaveLength(1);
    });

    it("without a key every call is a new invocation", async () => {
      const a = await call(t.ingressUrl, "/ledger/charge", 23);
      const b = await call(t.ingressUrl, "/ledger/charge", 23);
      expect(a.headers.get("x-restate-id")).not.toBe(b.headers.get("x-restate-id"));
      expect(sideEffects(t, { op: "charge", key: "23" })).toHaveLength(2);
      // ... and a completed one stays attachable by id.
      expect((await get(`/restate/invocation/${a.headers.get("x-restate-id")}/output`)).json).toEqual(a.json);
    });
  });

  describe("retries and terminal errors", () => {
    it("a handler failing with a plain Error is retried until it succeeds", async () => {
      const r = await call(t.ingressUrl, "/errs/flaky", JSON.stringify(`f-${kind}`));
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ attempts: 3 });
    });

    it("a ctx.run step is retried by its RunOptions; only the step runs again", async () => {
      const r = await call(t.ingressUrl, "/errs/runRetries", JSON.stringify(`r-${kind}`));
      expect(r.json).toBe(3);
      expect(sideEffects(t, { op: "step", key: `r-${kind}` })).toHaveLength(3);
    });

    it("a ctx.run step out of retries throws a TerminalError with the step's message", async () => {
      const r = await call(t.ingressUrl, "/errs/runExhausted", JSON.stringify(`x-${kind}`));
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ code: 500, message: "inner", source: "invocation" });
      expect(sideEffects(t, { op: "doomed", key: `x-${kind}` })).toHaveLength(2);
    });

    it("TerminalError: 500 by default, else its errorCode, with the invocation's id", async () => {
      const plain = await call(t.ingressUrl, "/errs/fail", { message: "no luck" });
      expect(plain.status).toBe(500);
      expect(plain.json).toEqual({ code: 500, message: "no luck", source: "invocation" });
      expect(plain.headers.get("x-restate-error-source")).toBe("invocation");
      expect(plain.headers.get("x-restate-id")).toMatch(/^inv_1/);
      for (const code of [400, 404, 418, 422, 503]) {
        const r = await call(t.ingressUrl, "/errs/fail", { message: `code ${code}`, code });
        expect(r.status).toBe(code);
        expect(r.json).toEqual({ code, message: `code ${code}`, source: "invocation" });
      }
    });
  });

  describe("the ingress's own statuses", () => {
    const ingressError = (status: number, message: string) => ({ status, json: { code: status, message, source: "ingress" } });
    const shape = (r: { status: number; json: unknown }) => ({ status: r.status, json: r.json });

    it("unknown service and handler: 404", async () => {
      expect(shape(await call(t.ingressUrl, "/nope/greet", {}))).toEqual(
        ingressError(404, "service 'nope' not found, make sure to register the service before calling it."),
      );
      expect(shape(await call(t.ingressUrl, "/errs/nope", {}))).toEqual(
        ingressError(404, "the service 'errs' exists, but the handler 'nope' was not found, check that the handler exists in the latest registered service version."),
      );
    });

    it("bad requests: 400, from the ingress or (malformed JSON) from the SDK", async () => {
      const wrongType = await call(t.ingressUrl, "/errs/echo", "hello", { headers: { "content-type": "text/plain" } });
      expect(shape(wrongType)).toEqual(ingressError(400, "input validation error: Content-type 'text/plain' does not match 'application/json'"));
      expect(wrongType.headers.get("x-restate-error-source")).toBe("ingress");
      const malformed = await call(t.ingressUrl, "/errs/echo", "{nope", { headers: { "content-type": "application/json" } });
      expect(malformed.status).toBe(400);
      expect(malformed.json).toEqual({ code: 400, message: expect.stringMatching(/^Failed to deserialize input: /), source: "invocation" });
      expect(malformed.headers.get("x-restate-id")).toMatch(/^inv_1/);
      expect(shape(await call(t.ingressUrl, "/errs/echo?delay=1s", {}))).toEqual(
        ingressError(400, "cannot use the delay query parameter with calls. The delay is supported only with sends"),
      );
      const badPath = ingressError(400, "bad path, expected either /:service-name/:handler or /:object-name/:object-key/:handler");
      expect(shape(await call(t.ingressUrl, "/errs/some-key/echo", {}))).toEqual(badPath);
      expect(shape(await call(t.ingressUrl, "/store/keys", {}))).toEqual(badPath);
    });

    it("methods: GET invokes a handler, PUT is 405", async () => {
      const got = await get("/errs/echo");
      expect(got.status).toBe(200);
      expect(got.text).toBe("");
      expect(shape(await call(t.ingressUrl, "/errs/echo", {}, { method: "PUT" }))).toEqual(ingressError(405, "method not allowed"));
    });

    it("attach and output: malformed id 400, unknown id 404, running invocation 470", async () => {
      const bad = await get("/restate/invocation/garbage/attach");
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ code: 400, message: expect.stringMatching(/^bad invocation id 'garbage'/), source: "ingress" });
      const known = (await call(t.ingressUrl, "/errs/echo", 1)).headers.get("x-restate-id")!;
      // The same id with its last character changed: well-formed, unknown.
      const unknown = known.slice(0, -1) + (known.endsWith("A") ? "B" : "A");
      expect((await get(`/restate/invocation/${unknown}/attach`)).status).toBe(404);
      const running = (await call(t.ingressUrl, "/caller/sleepFor/send", 2000)).json.invocationId;
      expect(shape(await get(`/restate/invocation/${running}/output`))).toEqual(ingressError(470, "the invocation exists but has not completed yet"));
    });
  });
});
