// A workflow: run() executes exactly once per key (here: the user's email address)
// and can wait durably, for seconds or for days, on promises resolved by other handlers.
import * as restate from "@restatedev/restate-sdk";

export type User = { name: string };

export const signup = restate.workflow({
  name: "signup",
  handlers: {
    async run(ctx: restate.WorkflowContext, user: User) {
      const email = ctx.key;
      ctx.set("status", "sending email");
      await ctx.run("send confirmation email", () =>
        sendEmail(email, `Hi ${user.name}, confirm your address: curl -X POST localhost:8080/signup/${email}/confirm`),
      );
      ctx.set("status", "waiting for confirmation");
      // A durable promise: survives restarts until confirm() resolves it.
      const confirmedAt = await ctx.promise<string>("email-confirmed");
      ctx.set("status", "confirmed");
      return { email, name: user.name, confirmedAt };
    },
    // The other handlers of a workflow are shared: they run while run() waits,
    // read its state, and resolve its promises.
    async confirm(ctx: restate.WorkflowSharedContext) {
      await ctx.promise<string>("email-confirmed").resolve(await ctx.date.toJSON());
      return "confirmed";
    },
    async status(ctx: restate.WorkflowSharedContext) {
      return (await ctx.get<string>("status")) ?? "not started";
    },
  },
});

// A stand-in for your email provider.
async function sendEmail(to: string, text: string): Promise<void> {
  console.log(`[email to ${to}] ${text}`);
}
