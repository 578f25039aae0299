/** Cancel (with compensation and propagation), kill, pause/resume and restart-as-new through the admin API. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { call, describeInvocation, eventually, startUp, type UpProcess } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
import { appendFileSync } from "node:fs";

const log = (line: string) => appendFileSync(process.env.LOG!, line + "\\n");

const hotel = restate.service({
  name: "hotel",
  handlers: {
    async reserve(ctx: restate.Context, trip: string) {
      try {
        await ctx.sleep(30_000);
        return "hotel for " + trip;
      } catch (e) {
        await ctx.run("hotel-release", () => log("hotel released " + trip));
        throw e;
      }
    },
  },
});

const trips = restate.service({
  name: "trips",
  handlers: {
    async book(ctx: restate.Context, trip: string) {
      const booked: string[] = [];
      try {
        await ctx.run("flight", () => log("flight booked " + trip));
        booked.push("flight");
        await ctx.serviceClient(hotel).reserve(trip);
        booked.push("hotel");
        return "booked";
      } catch (e) {
        for (const b of booked.reverse()) await ctx.run("undo-" + b, () => log(b + " cancelled " + trip));
        throw e;
      }
    },
    async stepper(ctx: restate.Context, trip: string) {
      const a = await ctx.run("one", () => { log("one " + trip); return 1; });
      const b = await ctx.run("two", () => { log("two " + trip); return 2; });
      const c = await ctx.run("three", () => { log("three " + trip); return 3; });
      return a + b + c;
    },
    flaky: restate.handlers.handler({ retryPolicy: { initialInterval: 100, maxInterval: 100 } }, async (ctx: restate.Context, trip: string) => {
      await ctx.run("try", () => log("try " + trip));
      if (!process.env.FIXED) throw new Error("still broken");
      return "fixed";
    }),
  },
});

restate.serve({ services: [hotel, trips] });
`,
};

let up: UpProcess;
let logFile: string;
beforeAll(async () => {
  const dir = makeProject(PROJECT);
  logFile = join(dir, "log");
  up = await startUp(dir, { env: { LOG: logFile } });
});
afterAll(async () => {
  await up?.stop();
  cleanupProjects();
});

const logLines = () => (existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n") : []);
const patch = (path: string) => call(up.adminUrl, path, undefined, { method: "PATCH" });
const attach = (id: string) => call(up.ingressUrl, `/restate/invocation/${id}/attach`, undefined, { method: "GET" });

async function waitForCall(id: string): Promise<string> {
  return eventually(async () => {
    const inv = await describeInvocation(up.adminUrl, id);
    const c = inv.journal.find((e: any) => e.type === "Call");
    return c?.target?.invocationId;
  }, 5000, "the call to be journaled");
}

describe("cancel", () => {
  it("throws CancelledError at the pending await, runs compensations, and cancels the in-flight child call", async () => {
    const id = (await call(up.ingressUrl, "/trips/book/send", JSON.stringify("t1"))).json.invocationId;
    const child = await waitForCall(id);
    const r = await patch(`/invocations/${id}/cancel`);
    expect(r.status).toBe(202);
    const result = await attach(id);
    expect(result.status).toBe(409);
    expect(result.json).toEqual({ code: 409, message: "Cancelled", source: "invocation" });
    expect((await attach(child)).json).toEqual({ code: 409, message: "Cancelled", source: "invocation" });
    // Parent and child compensate concurrently: each once, the parent's after its booking.
    expect(logLines().filter((l) => l.endsWith(" t1")).sort()).toEqual(["flight booked t1", "flight cancelled t1", "hotel released t1"]);
    const inv = await describeInvocation(up.adminUrl, id);
    expect(inv.journal.map((e: any) => e.name)).toEqual(["flight", "hotel/reserve", "undo-flight"]);
  });

  it("of a completed invocation is 409, of an unknown one 404", async () => {
    const done = await call(up.ingressUrl, "/trips/stepper", JSON.stringify("t0"));
    const id = done.headers.get("x-restate-id")!;
    const r = await patch(`/invocations/${id}/cancel`);
    expect(r.status).toBe(409);
    expect(r.json.message).toBe(`The invocation '${id}' was already completed.`);
    expect((await patch(`/invocations/inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/cancel`)).status).toBe(404);
  });
});

describe("kill", () => {
  it("ends the invocation at once with 409 killed, runs no compensation, and kills the child call", async () => {
    const id = (await call(up.ingressUrl, "/trips/book/send", JSON.stringify("t2"))).json.invocationId;
    const child = await waitForCall(id);
    const r = await patch(`/invocations/${id}/kill`);
    expect(r.status).toBe(200);
    expect((await attach(id)).json).toEqual({ code: 409, message: "killed", source: "invocation" });
    expect((await attach(child)).json).toEqual({ code: 409, message: "killed", source: "invocation" });
    expect(logLines().filter((l) => l.endsWith(" t2"))).toEqual(["flight booked t2"]);
  });
});

describe("pause and resume", () => {
  it("a paused invocation stops retrying until resumed", async () => {
    const id = (await call(up.ingressUrl, "/trips/flaky/send", JSON.stringify("t3"))).json.invocationId;
    await eventually(async () => ((await describeInvocation(up.adminUrl, id)).retry_count >= 1 ? true : undefined));
    // Restate answers 200 when nothing was running to stop (here: backing off), 202 otherwise.
    expect((await patch(`/invocations/${id}/pause`)).status).toBe(200);
    expect((await describeInvocation(up.adminUrl, id)).status).toBe("paused");
    const failures = (await describeInvocation(up.adminUrl, id)).retry_count;
    await new Promise((r) => setTimeout(r, 400));
    expect((await describeInvocation(up.adminUrl, id)).retry_count).toBe(failures);
    expect((await patch(`/invocations/${id}/resume`)).status).toBe(200);
    await eventually(async () => ((await describeInvocation(up.adminUrl, id)).retry_count > failures ? true : undefined));
    await patch(`/invocations/${id}/kill`);
    const resumeDone = await patch(`/invocations/${id}/resume`);
    expect(resumeDone.status).toBe(409);
    expect(resumeDone.json.message).toBe(`The invocation '${id}' is completed, cannot be resumed.`);
  });
});

describe("restart-as-new", () => {
  it("from entry N reuses the journal prefix without re-running it", async () => {
    const first = await call(up.ingressUrl, "/trips/stepper", JSON.stringify("t4"));
    expect(first.json).toBe(6);
    const id = first.headers.get("x-restate-id")!;
    const r = await patch(`/invocations/${id}/restart-as-new?from=2`);
    expect(r.status).toBe(200);
    const newId = r.json.new_invocation_id;
    expect(newId).toMatch(/^inv_1/);
    expect(newId).not.toBe(id);
    expect((await attach(newId)).json).toBe(6);
    expect(logLines().filter((l) => l.endsWith(" t4"))).toEqual(["one t4", "two t4", "three t4", "three t4"]);
    const inv = await describeInvocation(up.adminUrl, newId);
    expect(inv.journal.map((e: any) => e.name)).toEqual(["one", "two", "three"]);
  });

  it("without from, runs everything again; a running invocation cannot be restarted", async () => {
    const first = await call(up.ingressUrl, "/trips/stepper", JSON.stringify("t5"));
    const r = await patch(`/invocations/${first.headers.get("x-restate-id")}/restart-as-new`);
    expect((await attach(r.json.new_invocation_id)).json).toBe(6);
    expect(logLines().filter((l) => l.endsWith(" t5"))).toHaveLength(6);
    const running = (await call(up.ingressUrl, "/trips/book/send", JSON.stringify("t6"))).json.invocationId;
    const refused = await patch(`/invocations/${running}/restart-as-new`);
    expect(refused.status).toBe(409);
    await patch(`/invocations/${running}/kill`);
  });
});
