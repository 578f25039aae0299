// services/payment.ts — Durable payment service (from the Restate skill document)
import * as restate from "@restatedev/restate-sdk";
import { emailApi, inventoryApi, orderDb, stripeApi } from "./fakes.js";

export const paymentService = restate.service({
  name: "payments",
  handlers: {
    // This handler is durable — if it crashes between steps,
    // it resumes where it left off without re-executing completed steps
    async processPayment(ctx: restate.Context, order: { orderId: string; userId: string; amount: number }) {
      // Step 1: Reserve inventory (durable — won't re-run if already done)
      const reserved = await ctx.run("reserve-inventory", async () => {
        return await inventoryApi.reserve(order.orderId);
      });
      // Step 2: Charge payment
      const charge = await ctx.run("charge-payment", async () => {
        return await stripeApi.charge(order.userId, order.amount);
      });
      // Step 3: Confirm order
      await ctx.run("confirm-order", async () => {
        await orderDb.confirm(order.orderId, charge.id);
      });
      // Step 4: Send notification (won't duplicate even if retried)
      await ctx.run("notify", async () => {
        await emailApi.send(order.userId, "Order confirmed!");
      });
      return { orderId: order.orderId, chargeId: charge.id, reservationId: reserved.reservationId, status: "completed" };
    },
  },
});
