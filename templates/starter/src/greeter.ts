// A service: stateless handlers, called over HTTP or from other handlers.
import * as restate from "@restatedev/restate-sdk";

export const greeter = restate.service({
  name: "greeter",
  handlers: {
    async greet(ctx: restate.Context, name: string) {
      // A TerminalError fails the call at once (here with HTTP 400); any other error is retried.
      if (typeof name !== "string" || name === "") {
        throw new restate.TerminalError('send a name as JSON, e.g. "Ada"', { errorCode: 400 });
      }
      // Side effects (API calls, database writes, anything non-deterministic) go in ctx.run:
      // the result is journaled, so a retry or a restart after a crash replays it
      // instead of running the action again.
      const luckyNumber = await ctx.run("pick lucky number", () => Math.floor(Math.random() * 100));
      // A durable timer: it survives restarts too.
      await ctx.sleep(100);
      return `Hello, ${name}! Your lucky number is ${luckyNumber}.`;
    },
  },
});
