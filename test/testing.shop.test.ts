/**
 * restate-dev/testing's fault injection on the shop template (templates/shop/src,
 * imported as a project's tests import it): a crash after any journal entry of
 * the booking saga or the payment still books, charges and compensates exactly
 * once per step, counted through the fake APIs' log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RestateTestEnvironment } from "../testing/index.js";

// The fake APIs read FAKE_APIS_LOG when they are loaded.
const dir = mkdtempSync(join(tmpdir(), "restate-dev-shop-"));
const LOG = join(dir, "fake-apis.jsonl");
process.env.FAKE_APIS_LOG = LOG;
const { bookingService } = await import("../templates/shop/src/booking.js");
const { cartObject } = await import("../templates/shop/src/cart.js");
const { paymentService } = await import("../templates/shop/src/payments.js");

type ApiCall = { api: string; op: string; args: Record<string, unknown>; id: string };
function apiCalls(): ApiCall[] {
  if (!existsSync(LOG)) return [];
  return readFileSync(LOG, "utf8").trim().split("\n").map((l) => JSON.parse(l) as ApiCall);
}
const mentions = (text: string) => (c: ApiCall) => JSON.stringify(c.args).includes(text);

let env: RestateTestEnvironment;
beforeAll(async () => {
  env = await RestateTestEnvironment.start({ services: [bookingService, cartObject, paymentService] });
});
afterAll(async () => {
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a crash after each journal entry", () => {
  it.each([1, 2, 3])("of a booking (entry %i): one booking per step", async (entries) => {
    const trip = { flight: `LH-${entries}`, hotel: `Ritz-${entries}`, car: `Mini-${entries}` };
    const crash = env.crashAfter({ service: bookingService, entries });
    const result = await env.client.serviceClient(bookingService).bookTrip(trip);
    expect(result).toMatchObject({ status: "confirmed" });
    expect(crash.crashed).toHaveLength(1);
    const calls = apiCalls().filter((c) => Object.values(trip).includes(c.args.request as string));
    expect(calls.map((c) => `${c.api}.${c.op}`)).toEqual(["flight.book", "hotel.book", "car.book"]);
  });

  it.each([1, 2, 3, 4, 5])("of a saga that compensates (entry %i): one booking and one cancellation per step", async (entries) => {
    const trip = { flight: `AF-${entries}`, hotel: `Savoy-${entries}`, car: `unavailable-${entries}` };
    const crash = env.crashAfter({ service: bookingService, entries });
    await expect(env.client.serviceClient(bookingService).bookTrip(trip)).rejects.toMatchObject({ code: 409, message: `car: ${trip.car} is not available` });
    expect(crash.crashed).toHaveLength(1);
    const booked = apiCalls().filter((c) => Object.values(trip).includes(c.args.request as string));
    expect(booked.map((c) => `${c.api}.${c.op}`)).toEqual(["flight.book", "hotel.book", "car.refuse"]);
    const cancelled = apiCalls().filter((c) => c.op === "cancel" && booked.some((b) => b.id === c.args.bookingId));
    expect(cancelled.map((c) => c.api)).toEqual(["hotel", "flight"]);
  });

  it.each([
    ["payments", 1],
    ["payments", 2],
    ["payments", 3],
    ["payments", 4],
    ["cart", 1],
    ["cart", 2],
    ["cart", 3],
  ] as const)("of a checkout (%s, entry %i): one charge", async (service, entries) => {
    const user = `u-${service}-${entries}`;
    await env.client.objectClient(cartObject, user).addItem({ productId: "p1", quantity: 2, price: 5 });
    const crash = env.crashAfter({ service, entries });
    expect(await env.client.objectClient(cartObject, user).checkout()).toMatchObject({ orderId: user, status: "completed" });
    expect(crash.crashed).toHaveLength(1);
    const calls = apiCalls().filter(mentions(user));
    expect(calls.map((c) => `${c.api}.${c.op}`)).toEqual(["inventory.reserve", "stripe.charge", "orderDb.confirm", "email.send"]);
    expect(calls[1]!.args).toEqual({ userId: user, amount: 10 });
    expect(await env.stateOf(cartObject, user).get("items")).toBeNull();
  });
});
