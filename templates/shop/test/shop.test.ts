// Starts this project's runtime as `npm run dev` does (on free ports), then calls
// the handlers over HTTP, exactly as curl or any HTTP client would.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let up: ChildProcess;
let runtime: { pid: number; ingressUrl: string };

beforeAll(async () => {
  up = spawn("npx", ["restate-dev", "up", ".", "--ingress-port", "0", "--admin-port", "0"]);
  let output = "";
  await new Promise<void>((resolve, reject) => {
    up.stdout!.on("data", (chunk) => {
      output += chunk;
      if (/^ready:/m.test(output)) resolve();
    });
    up.stderr!.on("data", (chunk) => (output += chunk));
    up.on("exit", (code) => reject(new Error(`restate-dev up exited with ${code}:\n${output}`)));
  });
  // Written by `up` once it is ready: its pid and where it listens.
  runtime = JSON.parse(readFileSync(".restate-dev/runtime.json", "utf8"));
});

afterAll(async () => {
  if (!up || up.exitCode !== null) return;
  const exited = new Promise((resolve) => up.once("exit", resolve));
  process.kill(runtime?.pid ?? up.pid!, "SIGTERM");
  await exited;
});

/** POSTs a JSON input to the ingress, like: curl -X POST localhost:8080/<path> -d '<input>' */
async function call(path: string, input?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(runtime.ingressUrl + path, {
    method: "POST",
    ...(input === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(input) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

type ApiCall = { api: string; op: string; args: Record<string, unknown>; id: string };

/** What the fake external APIs (src/fakes.ts) were asked to do, in order. */
function apiCalls(): ApiCall[] {
  const log = ".restate-dev/fake-apis.jsonl";
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line));
}

// State lives on in .restate-dev/ between runs: the tests use fresh keys.
const key = randomUUID().slice(0, 8);

describe("cart", () => {
  it("adds items, then checks out through the payments service", async () => {
    expect((await call(`/cart/${key}/addItem`, { productId: "p1", quantity: 2, price: 5 })).body).toEqual({ items: 1 });
    expect((await call(`/cart/${key}/getItems`)).body).toEqual([{ productId: "p1", quantity: 2, price: 5 }]);

    const checkout = await call(`/cart/${key}/checkout`);
    expect(checkout.body).toMatchObject({ orderId: key, status: "completed" });
    // Each step of processPayment ran exactly once.
    const calls = apiCalls().filter((c) => JSON.stringify(c.args).includes(key));
    expect(calls.map((c) => `${c.api}.${c.op}`)).toEqual(["inventory.reserve", "stripe.charge", "orderDb.confirm", "email.send"]);
    expect((await call(`/cart/${key}/getItems`)).body).toEqual([]);
  });

  it("refuses to check out an empty cart (a TerminalError: no retries)", async () => {
    const res = await call(`/cart/empty-${key}/checkout`);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe("Cart is empty");
  });
});

describe("booking saga", () => {
  it("books a flight, a hotel and a car", async () => {
    const res = await call("/booking/bookTrip", { flight: "LH1", hotel: "Ritz", car: "Mini" });
    expect(res.body).toMatchObject({ status: "confirmed" });
  });

  it("cancels the hotel, then the flight, when the car is not available", async () => {
    const trip = { flight: `LH-${key}`, hotel: `Ritz-${key}`, car: "unavailable-van" };
    const res = await call("/booking/bookTrip", trip);
    expect(res.status).toBe(409);
    expect(res.body.message).toBe("car: unavailable-van is not available");

    const booked = apiCalls().filter((c) => c.op === "book" && (c.args.request === trip.flight || c.args.request === trip.hotel));
    const cancelled = apiCalls().filter((c) => c.op === "cancel" && booked.some((b) => b.id === c.args.bookingId));
    expect(cancelled.map((c) => c.api)).toEqual(["hotel", "flight"]);
  });
});
