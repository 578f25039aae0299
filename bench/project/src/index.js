// Benchmark services for bench/run.js.
//
// Plain JavaScript against the public @restatedev/restate-sdk API, so the very
// same file runs under the real SDK + restate-server and under `restate-dev up`.
import * as restate from "@restatedev/restate-sdk";

const bench = restate.service({
  name: "bench",
  handlers: {
    // Returns immediately: measures the fixed cost of one invocation.
    async noop(_ctx, _input) {
      return {};
    },

    // Three durable side-effect steps, each journaled before the next one starts.
    async steps3(ctx, _input) {
      const a = await ctx.run("step-1", () => 1);
      const b = await ctx.run("step-2", () => a + 1);
      const c = await ctx.run("step-3", () => b + 1);
      return { a, b, c };
    },
  },
});

const counter = restate.object({
  name: "counter",
  handlers: {
    // Exclusive handler: one invocation per key at a time, state read + write.
    async add(ctx, delta) {
      const count = (await ctx.get("count")) ?? 0;
      const next = count + (typeof delta === "number" ? delta : 1);
      ctx.set("count", next);
      return next;
    },
  },
});

restate.serve({ services: [bench, counter], port: Number(process.env.PORT ?? 9080) });
