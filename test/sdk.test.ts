/** The context API as a handler sees it: determinism across attempts, state, request, serdes. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { call, describeInvocation, startUp, type UpProcess } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
import { existsSync, writeFileSync } from "node:fs";

const features = restate.service({
  name: "features",
  handlers: {
    async deterministic(ctx: restate.Context, name: string) {
      ctx.console.log("log line of " + name);
      const now = await ctx.date.now();
      const values = { random: ctx.rand.random(), uuid: ctx.rand.uuidv4(), now };
      const file = process.env.OUT + "/" + name + ".json";
      if (!existsSync(file)) {
        writeFileSync(file, JSON.stringify(values));
        throw new Error("fail the first attempt");
      }
      return values;
    },
    async request(ctx: restate.Context) {
      const req = ctx.request();
      return { id: req.id, target: String(req.target), header: req.headers.get("x-test") ?? null, body: new TextDecoder().decode(req.body) };
    },
    async key(ctx: restate.Context) {
      return (ctx as unknown as restate.ObjectContext).key;
    },
    echoBytes: restate.handlers.handler(
      { input: restate.serde.binary, output: restate.serde.binary },
      async (ctx: restate.Context, data: Uint8Array) => new Uint8Array([...data].reverse()),
    ),
  },
});

const store = restate.object({
  name: "store",
  handlers: {
    async play(ctx: restate.ObjectContext) {
      ctx.set("a", 1);
      ctx.set("b", { nested: true });
      ctx.set("c", "three");
      ctx.clear("a");
      const afterClear = await ctx.stateKeys();
      const b = await ctx.get("b");
      const missing = await ctx.get("a");
      return { afterClear, b, missing };
    },
    async wipe(ctx: restate.ObjectContext) {
      ctx.clearAll();
      return ctx.stateKeys();
    },
    keys: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => ctx.stateKeys()),
    tryWrite: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => {
      (ctx as unknown as restate.ObjectContext).set("x", 1);
      return "wrote";
    }),
  },
});

restate.serve({ services: [features, store] });
`,
};

let up: UpProcess;
let dir: string;
beforeAll(async () => {
  dir = makeProject(PROJECT);
  up = await startUp(dir, { env: { OUT: dir } });
});
afterAll(async () => {
  await up?.stop();
  cleanupProjects();
});

describe("context", () => {
  it("rand and date.now return the same values on a retry; console is silent while replaying", async () => {
    const r = await call(up.ingressUrl, "/features/deterministic", JSON.stringify("x"));
    expect(r.status).toBe(200);
    const first = JSON.parse(readFileSync(join(dir, "x.json"), "utf8"));
    expect(r.json).toEqual(first);
    expect(r.json.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(up.output().match(/log line of x/g)).toHaveLength(1);
    expect(up.output()).toMatch(/\[features\/deterministic\]\[inv_1\w+\] log line of x/);
    // A different invocation gets different randomness.
    const other = await call(up.ingressUrl, "/features/deterministic", JSON.stringify("y"));
    expect(other.json.random).not.toBe(r.json.random);
  });

  it("request() carries the id, target, headers and raw body", async () => {
    const r = await call(up.ingressUrl, "/features/request", { hello: "world" }, { headers: { "x-test": "42" } });
    expect(r.json).toEqual({ id: r.headers.get("x-restate-id"), target: "features/request", header: "42", body: '{"hello":"world"}' });
  });

  it("ctx.key on a plain service is a TerminalError", async () => {
    const r = await call(up.ingressUrl, "/features/key");
    expect(r.status).toBe(500);
    expect(r.json.message).toBe("this handler type doesn't support key()");
  });

  it("binary serdes pass bytes through, with their content type", async () => {
    const res = await fetch(`${up.ingressUrl}/features/echoBytes`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([3, 2, 1]);
  });

  it("state: set, get, clear, stateKeys, clearAll, journaled in order", async () => {
    const r = await call(up.ingressUrl, "/store/s1/play");
    expect(r.json).toEqual({ afterClear: ["b", "c"], b: { nested: true }, missing: null });
    expect((await call(up.ingressUrl, "/store/s1/keys")).json).toEqual(["b", "c"]);
    const inv = await describeInvocation(up.adminUrl, r.headers.get("x-restate-id")!);
    expect(inv.journal.map((e: any) => `${e.type}${e.name ? ":" + e.name : ""}`)).toEqual([
      "SetState:a",
      "SetState:b",
      "SetState:c",
      "ClearState:a",
      "GetStateKeys",
      "GetState:b",
      "GetState:a",
    ]);
    expect((await call(up.ingressUrl, "/store/s1/wipe")).json).toEqual([]);
    expect((await call(up.ingressUrl, "/store/s1/keys")).json).toEqual([]);
  });

  it("a shared handler cannot write state", async () => {
    const r = await call(up.ingressUrl, "/store/s2/tryWrite");
    expect(r.status).toBe(500);
    expect(r.json.message).toMatch(/not available in a shared handler/);
    expect((await call(up.ingressUrl, "/store/s2/keys")).json).toEqual([]);
  });
});
