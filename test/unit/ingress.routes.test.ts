import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ingressRoutes } from "../../runtime/ingress/routes.js";
import type { Handler } from "../../runtime/ingress/http.js";
import { engineFixture, request, text, type EngineFixture } from "./helpers/engine.js";

let f: EngineFixture;
let ingress: Handler;
beforeEach(() => {
  f = engineFixture();
  ingress = ingressRoutes(f.engine);
});
afterEach(() => f.close());

describe("ingress.routes (port-free)", () => {
  it("a send is accepted with its invocation id once durable, and its attempt starts on the worker", async () => {
    const res = await ingress(request("POST", "/greeter/greet/send", '"Ada"', { "content-type": "application/json" }));
    expect(res.status).toBe(202);
    const body = JSON.parse(text(res.body)) as { invocationId: string; status: string };
    expect(body.status).toBe("Accepted");
    expect(body.invocationId).toMatch(/^inv_/);
    const start = f.worker.sent.find((m) => m.t === "start");
    expect(start).toMatchObject({ t: "start", invocationId: body.invocationId, target: { service: "greeter", handler: "greet" } });
    expect(f.engine.lookup(body.invocationId).state).toBe("running");
  });

  it("an unknown service is a 404 in Restate's error shape", async () => {
    const res = await ingress(request("POST", "/nope/greet", "{}"));
    expect(res.status).toBe(404);
    expect(JSON.parse(text(res.body))).toMatchObject({ message: expect.stringMatching(/nope/) });
  });

  it("a bad awakeable id is a 400, an unknown invocation to attach to a 404", async () => {
    expect((await ingress(request("POST", "/restate/awakeables/not-an-id/resolve", "1"))).status).toBe(400);
    expect((await ingress(request("GET", "/restate/invocation/inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/attach"))).status).toBe(404);
  });

  it("health lists the services", async () => {
    const res = await ingress(request("GET", "/restate/health"));
    expect(res.status).toBe(200);
    expect(JSON.parse(text(res.body))).toEqual({ services: ["greeter", "counter"] });
  });
});
