/**
 * Stand-ins for the external APIs the Restate examples call. Each call is
 * appended to a log file (FAKE_APIS_LOG, default .restate-dev/fake-apis.jsonl),
 * so you can see, and tests can count, how often a side effect really ran.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { TerminalError } from "@restatedev/restate-sdk";

const LOG = process.env.FAKE_APIS_LOG ?? ".restate-dev/fake-apis.jsonl";
mkdirSync(dirname(LOG), { recursive: true });

let counter = 0;
function record(api: string, op: string, args: unknown): string {
  const id = `${api}-${process.pid}-${++counter}`;
  appendFileSync(LOG, JSON.stringify({ api, op, args, id, at: Date.now(), epoch: process.env.FAKE_APIS_EPOCH ?? null }) + "\n");
  return id;
}

export const inventoryApi = {
  async reserve(orderId: string) {
    return { reservationId: record("inventory", "reserve", { orderId }) };
  },
};

export const stripeApi = {
  async charge(userId: string, amount: number) {
    return { id: record("stripe", "charge", { userId, amount }), amount };
  },
};

export const orderDb = {
  async confirm(orderId: string, chargeId: string) {
    record("orderDb", "confirm", { orderId, chargeId });
  },
};

export const emailApi = {
  async send(userId: string, message: string) {
    record("email", "send", { userId, message });
  },
};

function bookingApi(api: string) {
  return {
    async book(request: string) {
      // A request naming "unavailable" is refused for good: the saga compensates.
      if (request.includes("unavailable")) {
        record(api, "refuse", { request });
        throw new TerminalError(`${api}: ${request} is not available`, { errorCode: 409 });
      }
      return record(api, "book", { request });
    },
    async cancel(bookingId: string) {
      record(api, "cancel", { bookingId });
    },
  };
}

export const flightApi = bookingApi("flight");
export const hotelApi = bookingApi("hotel");
export const carApi = bookingApi("car");
