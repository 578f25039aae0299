/**
 * The three examples of the Restate skill document (templates/shop), run as
 * written: payments with four ctx.run steps, the cart object calling payments,
 * the booking saga compensating in reverse order. The fake APIs log every call.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { REPO, call, describeInvocation, startUp, type UpProcess } from "./helpers/runtime.js";

let up: UpProcess;
let log: string;
beforeAll(async () => {
  const dir = makeProject({});
  cpSync(join(REPO, "templates", "shop", "src"), join(dir, "src"), { recursive: true });
  log = join(dir, "fake-apis.jsonl");
  up = await startUp(dir, { env: { FAKE_APIS_LOG: log } });
});
afterAll(async () => {
  await up?.stop();
  cleanupProjects();
});

function apiCalls(): Array<{ api: string; op: string; args: any }> {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

describe("shop example", () => {
  it("payments: runs reserve → charge → confirm → notify once each", async () => {
    const r = await call(up.ingressUrl, "/payments/processPayment", { orderId: "o1", userId: "u9", amount: 42 });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ orderId: "o1", status: "completed" });
    const calls = apiCalls().filter((c) => JSON.stringify(c.args).includes("o1") || c.args.userId === "u9");
    expect(calls.map((c) => `${c.api}.${c.op}`)).toEqual(["inventory.reserve", "stripe.charge", "orderDb.confirm", "email.send"]);
    expect(calls[1]!.args).toEqual({ userId: "u9", amount: 42 });
    const inv = await describeInvocation(up.adminUrl, r.headers.get("x-restate-id")!);
    expect(inv.journal.map((e: any) => e.name)).toEqual(["reserve-inventory", "charge-payment", "confirm-order", "notify"]);
  });

  it("cart: addItem keeps state per key, checkout calls payments and clears the cart", async () => {
    expect((await call(up.ingressUrl, "/cart/u1/addItem", { productId: "p1", quantity: 2 })).json).toEqual({ items: 1 });
    expect((await call(up.ingressUrl, "/cart/u1/addItem", { productId: "p2", quantity: 1 })).json).toEqual({ items: 2 });
    expect((await call(up.ingressUrl, "/cart/u2/addItem", { productId: "p3", quantity: 5 })).json).toEqual({ items: 1 });
    expect((await call(up.ingressUrl, "/cart/u1/getItems")).json).toEqual([
      { productId: "p1", quantity: 2 },
      { productId: "p2", quantity: 1 },
    ]);
    const checkout = await call(up.ingressUrl, "/cart/u1/checkout");
    expect(checkout.status).toBe(200);
    expect(checkout.json).toMatchObject({ orderId: "u1", status: "completed" });
    expect(apiCalls().filter((c) => c.api === "stripe" && c.args.userId === "u1").map((c) => c.args.amount)).toEqual([3]);
    const inv = await describeInvocation(up.adminUrl, checkout.headers.get("x-restate-id")!);
    const callEntry = inv.journal.find((e: any) => e.type === "Call");
    expect(callEntry).toMatchObject({ name: "payments/processPayment", completed: true });
    expect(callEntry.target.invocationId).toMatch(/^inv_1/);
    expect((await call(up.ingressUrl, "/cart/u1/getItems")).json).toEqual([]);
    expect((await call(up.ingressUrl, "/cart/u2/getItems")).json).toHaveLength(1);
  });

  it("cart: checking out an empty cart fails at once with a TerminalError", async () => {
    const r = await call(up.ingressUrl, "/cart/empty/checkout");
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 400, message: "Cart is empty", source: "invocation" });
  });

  it("booking: confirms a trip when every booking succeeds", async () => {
    const r = await call(up.ingressUrl, "/booking/bookTrip", { flight: "LH1", hotel: "Ritz", car: "Mini" });
    expect(r.json).toMatchObject({ status: "confirmed" });
    expect(apiCalls().filter((c) => c.op === "cancel")).toHaveLength(0);
  });

  it("booking: compensates in reverse order when a booking is refused", async () => {
    const r = await call(up.ingressUrl, "/booking/bookTrip", { flight: "LH2", hotel: "Savoy", car: "unavailable-van" });
    expect(r.status).toBe(409);
    expect(r.json.message).toBe("car: unavailable-van is not available");
    const calls = apiCalls();
    const flight = calls.find((c) => c.api === "flight" && c.args.request === "LH2")!;
    const tail = calls.slice(calls.indexOf(flight)).map((c) => `${c.api}.${c.op}`);
    expect(tail).toEqual(["flight.book", "hotel.book", "car.refuse", "hotel.cancel", "flight.cancel"]);
    const inv = await describeInvocation(up.adminUrl, r.headers.get("x-restate-id")!);
    expect(inv.journal.map((e: any) => e.name)).toEqual(["book-flight", "book-hotel", "book-car", "cancel-hotel", "cancel-flight"]);
  });
});
