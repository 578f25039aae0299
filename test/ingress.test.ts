/**
 * Ingress conformance: what an HTTP client (curl, fetch, @restatedev/restate-sdk-clients)
 * sees, checked against the measured behaviour of Restate 1.7.12
 * (shared/reference/restate-behaviour.md).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as clients from "@restatedev/restate-sdk-clients";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { call, eventually, sleep, startUp, type UpProcess } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";

const greeter = restate.service({
  name: "Greeter",
  handlers: {
    async greet(ctx: restate.Context, name?: string) {
      return "Hello " + (name ?? "nobody") + "!";
    },
    async header(ctx: restate.Context, name: string) {
      return ctx.request().headers.get(name) ?? "missing";
    },
    async fail(ctx: restate.Context) {
      throw new restate.TerminalError("plain failure");
    },
    async unprocessable(ctx: restate.Context) {
      throw new restate.TerminalError("cannot process that", { errorCode: 422 });
    },
    async teapot(ctx: restate.Context) {
      throw new restate.TerminalError("short and stout", { errorCode: 418 });
    },
    async slow(ctx: restate.Context, ms: number) {
      await ctx.sleep(ms);
      return "slept " + ms;
    },
    hidden: restate.handlers.handler({ ingressPrivate: true }, async (ctx: restate.Context) => "secret"),
  },
});

const internal = restate.service({
  name: "Internal",
  handlers: {
    async ping(ctx: restate.Context) {
      return "pong";
    },
  },
  options: { ingressPrivate: true },
});

const counter = restate.object({
  name: "Counter",
  handlers: {
    // Counts its executions in state: idempotent duplicates must not bump it.
    async bump(ctx: restate.ObjectContext, by?: number) {
      const runs = ((await ctx.get<number>("runs")) ?? 0) + 1;
      ctx.set("runs", runs);
      return { runs, by: by ?? null };
    },
    async slowBump(ctx: restate.ObjectContext, ms: number) {
      const runs = ((await ctx.get<number>("runs")) ?? 0) + 1;
      ctx.set("runs", runs);
      await ctx.sleep(ms);
      return { runs, slept: ms };
    },
    runs: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("runs")) ?? 0),
    key: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => ctx.key),
  },
});

restate.serve({ services: [greeter, internal, counter] });
`,
};

// Definition-shaped values for the typed sdk-clients (the real definitions live in the fixture).
type GreeterApi = {
  greet: (ctx: unknown, name: string) => Promise<string>;
  unprocessable: (ctx: unknown) => Promise<string>;
  fail: (ctx: unknown) => Promise<string>;
};
type CounterApi = {
  bump: (ctx: unknown, by: number) => Promise<{ runs: number; by: number | null }>;
  runs: (ctx: unknown) => Promise<number>;
};
const Greeter: clients.ServiceDefinition<"Greeter", GreeterApi> = { name: "Greeter" };
const Counter: clients.VirtualObjectDefinition<"Counter", CounterApi> = { name: "Counter" };

const INV_ID = /^inv_1[0-9A-Za-z]+$/;
const ISO_NANOS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
const DAY = 86_400_000;

let up: UpProcess;
let base: string;
let unique = 0;
/** A fresh object key, so tests don't share state. */
const freshKey = (what: string) => `${what}-${Date.now()}-${unique++}`;

beforeAll(async () => {
  up = await startUp(makeProject(PROJECT));
  base = up.ingressUrl;
});
afterAll(async () => {
  await up?.stop();
  cleanupProjects();
});

/** fetch without the helper's defaults: for requests that must not carry a content-type. */
async function raw(path: string, init: RequestInit = {}) {
  const res = await fetch(base + path, { method: "POST", ...init });
  const text = await res.text();
  return { status: res.status, statusText: res.statusText, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

async function runsOf(key: string): Promise<number> {
  const r = await call(base, `/Counter/${key}/runs`);
  expect(r.status).toBe(200);
  return r.json as number;
}

/** Asserts Restate's error shape: JSON `{code, message, source}` plus `x-restate-error-source`. */
function expectError(r: { status: number; headers: Headers; json: any }, status: number, message: string, source: "ingress" | "invocation") {
  expect({ status: r.status, body: r.json }).toEqual({ status, body: { code: status, message, source } });
  expect(r.headers.get("content-type")).toBe("application/json");
  expect(r.headers.get("x-restate-error-source")).toBe(source);
}

/** Restate prints idempotency-expires as RFC 3339 with a `+00:00` offset. */
function expectExpiresInADay(r: { headers: Headers }) {
  const v = r.headers.get("idempotency-expires");
  expect(v).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);
  expectIsoNear(v, Date.now() + DAY, 60_000);
}

function expectIsoNear(value: string | null, expectedMs: number, toleranceMs: number) {
  expect(value).not.toBeNull();
  expect(Math.abs(Date.parse(value!) - expectedMs)).toBeLessThan(toleranceMs);
}

describe("call shapes", () => {
  it("POST /{service}/{handler} → 200 JSON with an x-restate-id and no idempotency-expires", async () => {
    const r = await call(base, "/Greeter/greet", JSON.stringify("Ada"));
    expect(r.status).toBe(200);
    expect(r.json).toBe("Hello Ada!");
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("x-restate-id")).toMatch(INV_ID);
    expect(r.headers.get("idempotency-expires")).toBeNull();
  });

  it("POST /{object}/{key}/{handler} decodes a URL-encoded key", async () => {
    const key = "a b/c?d";
    const r = await call(base, `/Counter/${encodeURIComponent(key)}/key`);
    expect(r.status).toBe(200);
    expect(r.json).toBe(key);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("x-restate-id")).toMatch(INV_ID);
  });

  it("canonical /restate/call/... works for services and objects", async () => {
    const s = await call(base, "/restate/call/Greeter/greet", JSON.stringify("Bob"));
    expect(s.status).toBe(200);
    expect(s.json).toBe("Hello Bob!");
    expect(s.headers.get("x-restate-id")).toMatch(INV_ID);
    const o = await call(base, "/restate/call/Counter/canon%20key/key");
    expect(o.status).toBe(200);
    expect(o.json).toBe("canon key");
  });

  it("GET invokes the handler without input", async () => {
    const s = await call(base, "/Greeter/greet", undefined, { method: "GET" });
    expect(s.status).toBe(200);
    expect(s.json).toBe("Hello nobody!");
    expect(s.headers.get("x-restate-id")).toMatch(INV_ID);
    const key = freshKey("get");
    const o = await call(base, `/Counter/${key}/bump`, undefined, { method: "GET" });
    expect(o.status).toBe(200);
    expect(o.json).toEqual({ runs: 1, by: null });
    expect(await runsOf(key)).toBe(1);
  });

  it("request headers reach ctx.request().headers", async () => {
    const r = await call(base, "/Greeter/header", JSON.stringify("x-custom"), { headers: { "x-custom": "hello there" } });
    expect(r.status).toBe(200);
    expect(r.json).toBe("hello there");
    expect((await call(base, "/Greeter/header", JSON.stringify("x-custom"))).json).toBe("missing");
  });

  it("every request without idempotency key is a new invocation", async () => {
    const key = freshKey("nokey");
    const a = await call(base, `/Counter/${key}/bump`, 1);
    const b = await call(base, `/Counter/${key}/bump`, 1);
    expect([a.json, b.json]).toEqual([{ runs: 1, by: 1 }, { runs: 2, by: 1 }]);
    expect(a.headers.get("x-restate-id")).not.toBe(b.headers.get("x-restate-id"));
  });
});

describe("sends", () => {
  it("/send suffix → 202 {invocationId, status: Accepted} + x-restate-id; the invocation runs", async () => {
    const key = freshKey("send");
    const r = await call(base, `/Counter/${key}/bump/send`, 7);
    expect(r.status).toBe(202);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.json).toEqual({ invocationId: expect.stringMatching(INV_ID), status: "Accepted" });
    expect(r.headers.get("x-restate-id")).toBe(r.json.invocationId);
    const attached = await call(base, `/restate/invocation/${r.json.invocationId}/attach`, undefined, { method: "GET" });
    expect(attached.json).toEqual({ runs: 1, by: 7 });
  });

  it("canonical /restate/send/... → 202 Accepted, for services and objects", async () => {
    const s = await call(base, "/restate/send/Greeter/greet", JSON.stringify("Cy"));
    expect(s.status).toBe(202);
    expect(s.json).toEqual({ invocationId: expect.stringMatching(INV_ID), status: "Accepted" });
    expect(s.headers.get("x-restate-id")).toBe(s.json.invocationId);
    const key = freshKey("csend");
    const o = await call(base, `/restate/send/Counter/${key}/bump`, 2);
    expect(o.status).toBe(202);
    expect(o.json.status).toBe("Accepted");
    await eventually(async () => ((await runsOf(key)) === 1 ? true : undefined), 5000, "the send to run");
  });

  it("?delay=1500ms → 202 with an ISO executionTime (9 fractional digits); nothing runs before it", async () => {
    const key = freshKey("delay");
    const sentAt = Date.now();
    const r = await call(base, `/Counter/${key}/bump/send?delay=1500ms`, 1);
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ invocationId: expect.stringMatching(INV_ID), status: "Accepted", executionTime: expect.stringMatching(ISO_NANOS) });
    expect(r.headers.get("x-restate-id")).toBe(r.json.invocationId);
    const due = Date.parse(r.json.executionTime);
    expectIsoNear(r.json.executionTime, sentAt + 1500, 400);
    await sleep(Math.max(0, due - Date.now() - 400));
    expect(await runsOf(key)).toBe(0);
    const attached = await call(base, `/restate/attach/${r.json.invocationId}`, undefined, { method: "GET" });
    expect(attached.status).toBe(200);
    expect(Date.now()).toBeGreaterThanOrEqual(due);
    expect(await runsOf(key)).toBe(1);
  });

  it("?delay=PT1S (ISO-8601) on /restate/send → executionTime one second out", async () => {
    const sentAt = Date.now();
    const r = await call(base, "/restate/send/Greeter/greet?delay=PT1S", JSON.stringify("Di"));
    expect(r.status).toBe(202);
    expect(r.json.status).toBe("Accepted");
    expect(r.json.executionTime).toMatch(ISO_NANOS);
    expectIsoNear(r.json.executionTime, sentAt + 1000, 400);
  });
});

describe("idempotency-key", () => {
  it("a duplicate gets the first result and id, with idempotency-expires; the body is not compared; runs once", async () => {
    const key = freshKey("idem");
    const headers = { "idempotency-key": "order-1" };
    const first = await call(base, `/Counter/${key}/bump`, 1, { headers });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ runs: 1, by: 1 });
    expect(first.headers.get("idempotency-expires")).toBeNull();
    const dup = await call(base, `/Counter/${key}/bump`, 2, { headers });
    expect(dup.status).toBe(200);
    expect(dup.json).toEqual({ runs: 1, by: 1 });
    expect(dup.headers.get("content-type")).toBe("application/json");
    expect(dup.headers.get("x-restate-id")).toBe(first.headers.get("x-restate-id"));
    expectExpiresInADay(dup);
    expect(await runsOf(key)).toBe(1);
    // Another key is another invocation.
    const other = await call(base, `/Counter/${key}/bump`, 3, { headers: { "idempotency-key": "order-2" } });
    expect(other.json).toEqual({ runs: 2, by: 3 });
  });

  it("concurrent duplicates share one invocation, answered live", async () => {
    const key = freshKey("conc");
    const headers = { "idempotency-key": "same" };
    const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => call(base, `/Counter/${key}/slowBump`, 300 + i, { headers })));
    expect(rs.map((r) => r.status)).toEqual(Array(6).fill(200));
    // Whichever request arrived first set the input; all get its result.
    expect(rs[0]!.json).toEqual({ runs: 1, slept: expect.any(Number) });
    expect(rs.map((r) => r.json)).toEqual(Array(6).fill(rs[0]!.json));
    expect(new Set(rs.map((r) => r.headers.get("x-restate-id"))).size).toBe(1);
    // All were answered live, none from a stored result (measured on 1.7.12).
    expect(rs.map((r) => r.headers.get("idempotency-expires"))).toEqual(Array(6).fill(null));
    expect(await runsOf(key)).toBe(1);
  });

  it("on a service call too", async () => {
    const headers = { "idempotency-key": freshKey("svc") };
    const first = await call(base, "/Greeter/greet", JSON.stringify("Eve"), { headers });
    const dup = await call(base, "/restate/call/Greeter/greet", JSON.stringify("Mallory"), { headers });
    expect(dup.json).toBe("Hello Eve!");
    expect(dup.headers.get("x-restate-id")).toBe(first.headers.get("x-restate-id"));
  });

  it("a duplicate send → 202 PreviouslyAccepted with the same id; runs once", async () => {
    const key = freshKey("isend");
    const headers = { "idempotency-key": "send-1" };
    const first = await call(base, `/Counter/${key}/bump/send`, 1, { headers });
    expect(first.status).toBe(202);
    expect(first.json.status).toBe("Accepted");
    const dup = await call(base, `/restate/send/Counter/${key}/bump`, 1, { headers });
    expect(dup.status).toBe(202);
    expect(dup.json).toEqual({ invocationId: first.json.invocationId, status: "PreviouslyAccepted" });
    expect(dup.headers.get("x-restate-id")).toBe(first.json.invocationId);
    await call(base, `/restate/attach/${first.json.invocationId}`, undefined, { method: "GET" });
    expect(await runsOf(key)).toBe(1);
    // A call with the same key after completion is served the stored result.
    const callDup = await call(base, `/Counter/${key}/bump`, 1, { headers });
    expect(callDup.json).toEqual({ runs: 1, by: 1 });
    expect(callDup.headers.get("x-restate-id")).toBe(first.json.invocationId);
    expectExpiresInADay(callDup);
  });
});

describe("attach and output", () => {
  it("a completed invocation: all four URL shapes return the stored result with idempotency-expires", async () => {
    const done = await call(base, "/Greeter/greet", JSON.stringify("Fay"));
    const id = done.headers.get("x-restate-id")!;
    for (const path of [`/restate/invocation/${id}/attach`, `/restate/invocation/${id}/output`, `/restate/attach/${id}`, `/restate/output/${id}`]) {
      const r = await call(base, path, undefined, { method: "GET" });
      expect({ path, status: r.status, body: r.json }).toEqual({ path, status: 200, body: "Hello Fay!" });
      expect(r.headers.get("x-restate-id")).toBe(id);
      expect(r.headers.get("content-type")).toBe("application/json");
      expectExpiresInADay(r);
    }
  });

  it("a completed failure is replayed by attach", async () => {
    const done = await call(base, "/Greeter/unprocessable");
    const id = done.headers.get("x-restate-id")!;
    const r = await call(base, `/restate/attach/${id}`, undefined, { method: "GET" });
    expectError(r, 422, "cannot process that", "invocation");
    expect(r.headers.get("x-restate-id")).toBe(id);
  });

  it("output before completion → 470 `<none>`; attach waits and answers live", async () => {
    const sent = await call(base, "/Greeter/slow/send", 1200);
    const id = sent.json.invocationId as string;
    for (const path of [`/restate/invocation/${id}/output`, `/restate/output/${id}`]) {
      const r = await raw(path, { method: "GET" });
      expectError(r, 470, "the invocation exists but has not completed yet", "ingress");
      // Restate 1.7.12 sends the status line `HTTP/1.1 470 <none>` and no x-restate-id.
      expect(r.statusText).toBe("<none>");
      expect(r.headers.get("x-restate-id")).toBeNull();
    }
    const attached = await call(base, `/restate/invocation/${id}/attach`, undefined, { method: "GET" });
    expect(attached.status).toBe(200);
    expect(attached.json).toBe("slept 1200");
    expect(attached.headers.get("x-restate-id")).toBe(id);
    // Answered live: not from a stored result.
    expect(attached.headers.get("idempotency-expires")).toBeNull();
    const output = await call(base, `/restate/output/${id}`, undefined, { method: "GET" });
    expect(output.status).toBe(200);
    expect(output.json).toBe("slept 1200");
    expectExpiresInADay(output);
  });

  it("a malformed id → 400 bad invocation id", async () => {
    for (const path of ["/restate/invocation/garbage/attach", "/restate/invocation/garbage/output", "/restate/attach/garbage", "/restate/output/garbage"]) {
      expectError(await call(base, path, undefined, { method: "GET" }), 400, "bad invocation id 'garbage': bad format", "ingress");
    }
  });

  it("an unknown well-formed id → 404: attach from the invocation side, output from the ingress", async () => {
    const real = (await call(base, "/Greeter/greet", JSON.stringify("x"))).headers.get("x-restate-id")!;
    const unknown = real.slice(0, -1) + (real.endsWith("A") ? "B" : "A");
    for (const path of [`/restate/invocation/${unknown}/attach`, `/restate/attach/${unknown}`]) {
      const r = await call(base, path, undefined, { method: "GET" });
      expectError(r, 404, "not found", "invocation");
      expect(r.headers.get("x-restate-id")).toBe(unknown);
    }
    for (const path of [`/restate/invocation/${unknown}/output`, `/restate/output/${unknown}`]) {
      const r = await call(base, path, undefined, { method: "GET" });
      expectError(r, 404, "invocation not found", "ingress");
      expect(r.headers.get("x-restate-id")).toBeNull();
    }
  });

  it("POST to an attach URL → 405", async () => {
    const id = (await call(base, "/Greeter/greet", JSON.stringify("x"))).headers.get("x-restate-id")!;
    for (const path of [`/restate/invocation/${id}/attach`, `/restate/attach/${id}`]) {
      expectError(await call(base, path, undefined, { method: "POST" }), 405, "method not allowed", "ingress");
    }
  });
});

describe("errors", () => {
  it("unknown service → 404", async () => {
    expectError(await call(base, "/Nope/greet", JSON.stringify("x")), 404, "service 'Nope' not found, make sure to register the service before calling it.", "ingress");
  });

  it("unknown handler → 404", async () => {
    expectError(
      await call(base, "/Greeter/nope", JSON.stringify("x")),
      404,
      "the service 'Greeter' exists, but the handler 'nope' was not found, check that the handler exists in the latest registered service version.",
      "ingress",
    );
  });

  it("a key on a service, or no key on an object → 400 bad path", async () => {
    const BAD_PATH = "bad path, expected either /:service-name/:handler or /:object-name/:object-key/:handler";
    expectError(await call(base, "/Greeter/somekey/greet", JSON.stringify("x")), 400, BAD_PATH, "ingress");
    expectError(await call(base, "/Counter/bump", 1), 400, BAD_PATH, "ingress");
  });

  it("?delay on a call → 400", async () => {
    expectError(
      await call(base, "/Greeter/greet?delay=1s", JSON.stringify("x")),
      400,
      "cannot use the delay query parameter with calls. The delay is supported only with sends",
      "ingress",
    );
  });

  it("a content-type other than application/json → 400", async () => {
    expectError(
      await call(base, "/Greeter/greet", JSON.stringify("Ada"), { headers: { "content-type": "text/plain" } }),
      400,
      "input validation error: Content-type 'text/plain' does not match 'application/json'",
      "ingress",
    );
  });

  it("application/json with parameters is accepted", async () => {
    const r = await call(base, "/Greeter/greet", JSON.stringify("Ida"), { headers: { "content-type": "application/json; charset=utf-8" } });
    expect(r.status).toBe(200);
    expect(r.json).toBe("Hello Ida!");
  });

  it("a body without content-type → 400 Empty content-type; an empty body without one is accepted", async () => {
    expectError(await raw("/Greeter/greet", { body: new TextEncoder().encode('"Ada"') }), 400, "input validation error: Empty content-type", "ingress");
    const empty = await raw("/Greeter/greet");
    expect(empty.status).toBe(200);
    expect(empty.json).toBe("Hello nobody!");
  });

  it("malformed JSON → 400 from the invocation (SDK), with an x-restate-id", async () => {
    const r = await call(base, "/Greeter/greet", "{x");
    expectError(r, 400, "Failed to deserialize input: Expected property name or '}' in JSON at position 1", "invocation");
    expect(r.headers.get("x-restate-id")).toMatch(INV_ID);
  });

  it("TerminalError → 500 by default, its errorCode otherwise (422, 418), with an x-restate-id", async () => {
    const plain = await call(base, "/Greeter/fail");
    expectError(plain, 500, "plain failure", "invocation");
    expect(plain.headers.get("x-restate-id")).toMatch(INV_ID);
    const unprocessable = await call(base, "/Greeter/unprocessable");
    expectError(unprocessable, 422, "cannot process that", "invocation");
    expect(unprocessable.headers.get("x-restate-id")).toMatch(INV_ID);
    expectError(await call(base, "/Greeter/teapot"), 418, "short and stout", "invocation");
  });

  it("an ingressPrivate handler or service → 400 not public", async () => {
    for (const path of ["/Greeter/hidden", "/restate/call/Greeter/hidden", "/Greeter/hidden/send", "/Internal/ping"]) {
      expectError(await call(base, path), 400, "the invoked service is not public", "ingress");
    }
  });

  it("PUT, DELETE, PATCH → 405 method not allowed", async () => {
    for (const method of ["PUT", "DELETE", "PATCH"]) {
      for (const path of ["/Greeter/greet", "/Counter/k/bump", "/restate/call/Greeter/greet"]) {
        expectError(await call(base, path, undefined, { method }), 405, "method not allowed", "ingress");
      }
    }
  });

  it("a body over the limit (up --max-body-size) → 413 from the ingress; one under it is served", async () => {
    const small = await startUp(makeProject(PROJECT), { args: ["--max-body-size", "1kb"] });
    try {
      const name = (n: number) => JSON.stringify("x".repeat(n));
      const ok = await call(small.ingressUrl, "/Greeter/greet", name(1000));
      expect(ok.status).toBe(200);
      const tooLarge = await call(small.ingressUrl, "/Greeter/greet", name(1100));
      expect({ status: tooLarge.status, code: tooLarge.json?.code, source: tooLarge.json?.source }).toEqual({ status: 413, code: 413, source: "ingress" });
      expect(tooLarge.headers.get("x-restate-error-source")).toBe("ingress");
      expect(tooLarge.headers.get("x-restate-id")).toBeNull();
      // Without a content-length (chunked upload) too.
      const chunks = [new TextEncoder().encode(name(600)), new TextEncoder().encode(name(600))];
      const streamed = await fetch(small.ingressUrl + "/Greeter/greet", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new ReadableStream({ pull: (c) => (chunks.length ? c.enqueue(chunks.shift()!) : c.close()) }),
        duplex: "half",
      } as RequestInit);
      expect(streamed.status).toBe(413);
    } finally {
      await small.stop();
    }
  });
});

describe("health and other routes", () => {
  it("an unknown /restate/ route → 404 not found", async () => {
    expectError(await call(base, "/restate/nothing", undefined, { method: "GET" }), 404, "not found", "ingress");
  });

  it("GET /restate/health → 200 with the services", async () => {
    const r = await call(base, "/restate/health", undefined, { method: "GET" });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ services: expect.arrayContaining(["Greeter", "Counter", "Internal"]) });
    expect(r.json.services).toHaveLength(3);
  });
});

describe("@restatedev/restate-sdk-clients 1.17.2", () => {
  const ingress = () => clients.connect({ url: base });

  it("serviceClient and objectClient typed calls", async () => {
    expect(await ingress().serviceClient(Greeter).greet("Gus")).toBe("Hello Gus!");
    const key = freshKey("client");
    const counter = ingress().objectClient(Counter, key);
    expect(await counter.bump(4)).toEqual({ runs: 1, by: 4 });
    expect(await counter.runs()).toBe(1);
  });

  it("idempotent calls through the client run once", async () => {
    const key = freshKey("cidem");
    const counter = ingress().objectClient(Counter, key);
    const opts = clients.Opts.from<number, { runs: number; by: number | null }>({ idempotencyKey: "client-call" });
    expect(await counter.bump(1, opts)).toEqual({ runs: 1, by: 1 });
    expect(await counter.bump(2, opts)).toEqual({ runs: 1, by: 1 });
    expect(await counter.runs()).toBe(1);
  });

  it("serviceSendClient / objectSendClient with an idempotency key, then result(send)", async () => {
    const rs = ingress();
    const s = await rs.serviceSendClient(Greeter).greet("Hal", clients.SendOpts.from<string>({ idempotencyKey: freshKey("csvc") }));
    expect(s.status).toBe("Accepted");
    expect(s.invocationId).toMatch(INV_ID);
    expect(await rs.result(s)).toBe("Hello Hal!");

    const key = freshKey("csend");
    const opts = clients.SendOpts.from<number>({ idempotencyKey: "client-send" });
    const first = await rs.objectSendClient(Counter, key).bump(9, opts);
    expect(first.status).toBe("Accepted");
    expect(await rs.result(first)).toEqual({ runs: 1, by: 9 });
    const again = await rs.objectSendClient(Counter, key).bump(10, opts);
    expect(again.status).toBe("PreviouslyAccepted");
    expect(again.invocationId).toBe(first.invocationId);
    expect(await rs.result(again)).toEqual({ runs: 1, by: 9 });
    expect(await rs.objectClient(Counter, key).runs()).toBe(1);
  });

  it("a TerminalError surfaces as HttpCallError with the status", async () => {
    const greeter = ingress().serviceClient(Greeter);
    const e422 = await greeter.unprocessable().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(e422).toBeInstanceOf(clients.HttpCallError);
    expect((e422 as clients.HttpCallError).status).toBe(422);
    expect(JSON.parse((e422 as clients.HttpCallError).responseText)).toEqual({ code: 422, message: "cannot process that", source: "invocation" });
    await expect(greeter.fail()).rejects.toMatchObject({ status: 500 });
  });
});
