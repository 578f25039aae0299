/**
 * The shop template (payments, cart, booking saga) on both targets, through the
 * HTTP ingress and @restatedev/restate-sdk-clients. Its fake APIs log every
 * side effect to FAKE_APIS_LOG, so the tests count what really ran.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { rpc } from "@restatedev/restate-sdk-clients";
import type { cartObject } from "../templates/shop/src/cart.js";
import type { paymentService } from "../templates/shop/src/payments.js";
import { call } from "../test/helpers/runtime.js";
import { readJsonLines, selectedTargets, useTarget } from "./harness/targets.js";

type FakeCall = { api: string; op: string; args: Record<string, unknown>; id: string };

describe.each(selectedTargets())("shop on %s", (kind) => {
  const t = useTarget(kind, { source: "templates/shop", env: (dir) => ({ FAKE_APIS_LOG: join(dir, "fake-apis.jsonl") }) });
  const fakeCalls = () => readJsonLines<FakeCall>(join(t.projectDir, "fake-apis.jsonl"));

  it("cart: items per key, a shared read, and a checkout that pays once", async () => {
    const key = `u-${kind}`;
    expect((await call(t.ingressUrl, `/cart/${key}/addItem`, { productId: "p1", quantity: 2 })).json).toEqual({ items: 1 });
    const second = await call(t.ingressUrl, `/cart/${key}/addItem`, { productId: "p2", quantity: 1, price: 3 });
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ items: 2 });
    expect(second.headers.get("content-type")).toBe("application/json");
    expect(second.headers.get("x-restate-id")).toMatch(/^inv_1/);
    expect((await call(t.ingressUrl, `/cart/${key}/getItems`)).json).toEqual([
      { productId: "p1", quantity: 2 },
      { productId: "p2", quantity: 1, price: 3 },
    ]);

    const checkout = await call(t.ingressUrl, `/cart/${key}/checkout`);
    expect(checkout.status).toBe(200);
    expect(checkout.json).toEqual({ orderId: key, chargeId: expect.stringMatching(/^stripe-/), reservationId: expect.stringMatching(/^inventory-/), status: "completed" });
    const mine = fakeCalls().filter((c) => c.args.orderId === key || c.args.userId === key);
    expect(mine.map((c) => `${c.api}.${c.op}`)).toEqual(["inventory.reserve", "stripe.charge", "orderDb.confirm", "email.send"]);
    expect(mine[1]!.args).toEqual({ userId: key, amount: 5 });
    expect((await call(t.ingressUrl, `/cart/${key}/getItems`)).json).toEqual([]);
  });

  it("cart: checking out an empty cart is a TerminalError with status 400", async () => {
    const r = await call(t.ingressUrl, `/cart/empty-${kind}/checkout`);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 400, message: "Cart is empty", source: "invocation" });
    expect(r.headers.get("x-restate-error-source")).toBe("invocation");
    expect(r.headers.get("x-restate-id")).toMatch(/^inv_1/);
  });

  it("cart: typed sdk-clients calls", async () => {
    const cart = t.ingress.objectClient<typeof cartObject>({ name: "cart" }, `typed-${kind}`);
    expect(await cart.addItem({ productId: "p9", quantity: 4 })).toEqual({ items: 1 });
    expect(await cart.getItems()).toEqual([{ productId: "p9", quantity: 4 }]);
    const send = await t.ingress.objectSendClient<typeof cartObject>({ name: "cart" }, `typed-${kind}`).addItem({ productId: "p10", quantity: 1 });
    expect(send).toMatchObject({ invocationId: expect.stringMatching(/^inv_1/), status: "Accepted", attachable: false });
    await expect.poll(async () => (await cart.getItems()).length).toBe(2);
  });

  it("payments: an idempotency key charges once, also through sdk-clients", async () => {
    const order = { orderId: `o-${kind}`, userId: `buyer-${kind}`, amount: 42 };
    const headers = { "idempotency-key": `pay-${kind}` };
    const first = await call(t.ingressUrl, "/payments/processPayment", order, { headers });
    const again = await call(t.ingressUrl, "/payments/processPayment", order, { headers });
    expect(first.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get("x-restate-id")).toBe(first.headers.get("x-restate-id"));
    expect(again.headers.get("idempotency-expires")).toBeTruthy();

    const payments = t.ingress.serviceClient<typeof paymentService>({ name: "payments" });
    const typed = await payments.processPayment(order, rpc.opts({ idempotencyKey: `pay-${kind}` }));
    expect(typed).toEqual(first.json);
    expect(fakeCalls().filter((c) => c.api === "stripe" && c.args.userId === order.userId)).toHaveLength(1);
  });

  it("booking: a refused car cancels the hotel, then the flight (the saga compensates)", async () => {
    const trip = { flight: `LH-${kind}`, hotel: `Ritz-${kind}`, car: `unavailable-van-${kind}` };
    const r = await call(t.ingressUrl, "/booking/bookTrip", trip);
    expect(r.status).toBe(409);
    expect(r.json).toEqual({ code: 409, message: `car: unavailable-van-${kind} is not available`, source: "invocation" });
    const flight = fakeCalls().find((c) => c.api === "flight" && c.op === "book" && c.args.request === trip.flight)!;
    const hotel = fakeCalls().find((c) => c.api === "hotel" && c.op === "book" && c.args.request === trip.hotel)!;
    const saga = fakeCalls().filter((c) => [trip.flight, trip.hotel, trip.car, flight.id, hotel.id].includes((c.args.request ?? c.args.bookingId) as string));
    expect(saga.map((c) => `${c.api}.${c.op}`)).toEqual(["flight.book", "hotel.book", "car.refuse", "hotel.cancel", "flight.cancel"]);
  });

  it("booking: a trip that books", async () => {
    const r = await call(t.ingressUrl, "/booking/bookTrip", { flight: "LH2", hotel: "Adlon", car: "van" });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ flightId: expect.stringMatching(/^flight-/), hotelId: expect.stringMatching(/^hotel-/), carId: expect.stringMatching(/^car-/), status: "confirmed" });
  });
});
