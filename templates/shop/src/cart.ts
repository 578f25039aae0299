// services/cart.ts — Stateful shopping cart (single-writer per key)
import * as restate from "@restatedev/restate-sdk";
import { paymentService } from "./payments.js";

export type CartItem = { productId: string; quantity: number; price?: number };

export const cartObject = restate.object({
  name: "cart",
  handlers: {
    // Only one handler runs per cart ID at a time — no race conditions
    async addItem(ctx: restate.ObjectContext, item: CartItem) {
      // Get current cart state (durable K/V)
      const cart = (await ctx.get<CartItem[]>("items")) || [];
      cart.push(item);
      ctx.set("items", cart);
      return { items: cart.length };
    },
    async checkout(ctx: restate.ObjectContext) {
      const items = (await ctx.get<CartItem[]>("items")) || [];
      // A TerminalError fails the call at once; a plain Error would be retried forever.
      if (items.length === 0) throw new restate.TerminalError("Cart is empty", { errorCode: 400 });
      // Process payment durably
      const amount = items.reduce((sum, i) => sum + i.quantity * (i.price ?? 1), 0);
      const result = await ctx.serviceClient(paymentService).processPayment({
        orderId: ctx.key,
        userId: ctx.key,
        amount,
      });
      // Clear cart after successful payment
      ctx.clear("items");
      return result;
    },
    // Shared: read-only, runs concurrently with the exclusive handlers above.
    getItems: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => {
      return (await ctx.get<CartItem[]>("items")) || [];
    }),
  },
});
