import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { adminApi, type AdminApi } from "../../runtime/admin/routes.js";
import { ingressRoutes } from "../../runtime/ingress/routes.js";
import { Deployments } from "../../runtime/deployments.js";
import { engineFixture, request, text, type EngineFixture } from "./helpers/engine.js";

let f: EngineFixture;
let admin: AdminApi;
beforeEach(() => {
  f = engineFixture();
  admin = adminApi(f.engine, { dbFile: f.dbFile, deployments: new Deployments(f.db, { enqueue: (w) => f.engine.write(w) }, () => f.engine.now()), rules: f.engine.rules, ingressUrl: "http://127.0.0.1:1/" });
});
afterEach(() => {
  admin.close();
  f.close();
});

const json = (body: Uint8Array | string | undefined) => JSON.parse(text(body)) as Record<string, unknown>;

describe("admin.routes (port-free)", () => {
  it("lists the services the worker registered", async () => {
    const res = await admin.handler(request("GET", "/services"));
    expect(res.status).toBe(200);
    const services = (json(res.body).services as Array<{ name: string; ty: string }>).map((s) => [s.name, s.ty]);
    expect(services).toEqual([
      ["greeter", "Service"],
      ["counter", "VirtualObject"],
    ]);
    expect((await admin.handler(request("GET", "/services/nope"))).status).toBe(404);
  });

  it("kills a running invocation; it reads completed with 409 killed once the kill is durable", async () => {
    const sent = await ingressRoutes(f.engine)(request("POST", "/greeter/greet/send", '"Ada"'));
    const { invocationId } = json(sent.body) as { invocationId: string };
    const killed = await admin.handler(request("PATCH", `/invocations/${invocationId}/kill`));
    expect(killed.status).toBe(200);
    expect(f.worker.sent.map((m) => m.t)).toContain("abort");
    const lookup = f.engine.lookup(invocationId);
    expect(lookup).toMatchObject({ state: "completed", completion: { result: { kind: "failure", code: 409, message: "killed" } } });
    const again = await admin.handler(request("PATCH", `/invocations/${invocationId}/kill`));
    expect(again.status).toBe(409);
  });

  it("names a bad invocation id and an unknown route", async () => {
    expect((await admin.handler(request("PATCH", "/invocations/bad/cancel"))).status).toBe(400);
    const res = await admin.handler(request("GET", "/nope"));
    expect(res.status).toBe(404);
    expect(json(res.body).message).toMatch(/no admin route for GET \/nope/);
  });
});
