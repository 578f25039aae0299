// Runs the shop's services in-process on restate-dev's engine (nothing to start first):
// calls go through a real HTTP ingress, and a test can crash a handler midway to see
// that it resumes without repeating a step.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestateTestEnvironment } from "restate-dev/testing";
import { bookingService } from "../src/booking.js";
import { cartObject } from "../src/cart.js";
import { paymentService } from "../src/payments.js";

let env: RestateTestEnvironment;
beforeAll(async () => {
  env = await RestateTestEnvironment.start({ services: [paymentService, cartObject, bookingService] });
});
afterAll(() => env.stop());

type ApiCall = { api: string; op: string; args: Record<string, unknown>; id: string };

/** What the fake external APIs (src/fakes.ts) were asked to do, in order. */
function apiCalls(): ApiCall[] {
  const log = ".restate-dev/fake-apis.jsonl";
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line));
}

// The fake APIs' log outlives a test run: the tests use fresh names.
const key = randomUUID().slice(0, 8);

describe("cart", () => {
  it("checks out through the payments service, each step once, even if payments crashes midway", async () => {
    const cart = env.client.objectClient(cartObject, key);
    expect(await cart.addItem({ productId: "p1", quantity: 2, price: 5 })).toEqual({ items: 1 });
    expect(await cart.getItems()).toEqual([{ productId: "p1", quantity: 2, price: 5 }]);

    // Kill processPayment's attempt right after its second step (the charge) is journaled.
    env.crashAfter({ service: paymentService, entries: 2 });
    expect(await cart.checkout()).toMatchObject({ orderId: key, status: "completed" });
    const calls = apiCalls().filter((c) => JSON.stringify(c.args).includes(key));
    expect(calls.map((c) => `${c.api}.${c.op}`)).toEqual(["inventory.reserve", "stripe.charge", "orderDb.confirm", "email.send"]);
    expect(await cart.getItems()).toEqual([]);
  });

  it("refuses to check out an empty cart (a TerminalError: no retries)", async () => {
    await expect(env.client.objectClient(cartObject, `empty-${key}`).checkout()).rejects.toMatchObject({ code: 400, message: "Cart is empty" });
  });
});

describe("booking saga", () => {
  it("books a flight, a hotel and a car", async () => {
    expect(await env.client.serviceClient(bookingService).bookTrip({ flight: "LH1", hotel: "Ritz", car: "Mini" })).toMatchObject({ status: "confirmed" });
  });

  it("cancels the hotel, then the flight, when the car is not available", async () => {
    const trip = { flight: `LH-${key}`, hotel: `Ritz-${key}`, car: "unavailable-van" };
    await expect(env.client.serviceClient(bookingService).bookTrip(trip)).rejects.toMatchObject({ code: 409, message: "car: unavailable-van is not available" });

    const booked = apiCalls().filter((c) => c.op === "book" && (c.args.request === trip.flight || c.args.request === trip.hotel));
    const cancelled = apiCalls().filter((c) => c.op === "cancel" && booked.some((b) => b.id === c.args.bookingId));
    expect(cancelled.map((c) => c.api)).toEqual(["hotel", "flight"]);
  });
});
