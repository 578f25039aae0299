// A virtual object: durable state per key (here: one counter per name).
import * as restate from "@restatedev/restate-sdk";

export const counter = restate.object({
  name: "counter",
  handlers: {
    // Exclusive (the default): one call per key at a time, so read-modify-write is safe.
    async add(ctx: restate.ObjectContext, amount: number) {
      const value = ((await ctx.get<number>("value")) ?? 0) + amount;
      ctx.set("value", value);
      return value;
    },
    async reset(ctx: restate.ObjectContext) {
      ctx.clear("value");
    },
    // Shared: read-only, runs concurrently with the exclusive handlers.
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => {
      return (await ctx.get<number>("value")) ?? 0;
    }),
  },
});
