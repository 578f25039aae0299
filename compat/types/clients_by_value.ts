/**
 * @restatedev/restate-sdk-clients given the templates' definitions as values, as
 * Restate's docs show it. Compiles against the real SDK's types. Against
 * restate-dev's it does not (known difference, README): sdk-clients finds the
 * handlers only through @restatedev/restate-sdk-core's own definition types,
 * which restate-dev's definitions are not. clients_usage.ts is the form that
 * compiles with both. Compiled, never run.
 */
import * as clients from "@restatedev/restate-sdk-clients";
import { cartObject } from "../../templates/shop/src/cart.js";
import { paymentService } from "../../templates/shop/src/payments.js";
import { counter } from "../../templates/starter/src/counter.js";
import { greeter } from "../../templates/starter/src/greeter.js";
import { signup } from "../../templates/starter/src/signup.js";

export async function useClients(url: string): Promise<void> {
  const ingress = clients.connect({ url });
  const items: { items: number } = await ingress.objectClient(cartObject, "u1").addItem({ productId: "p1", quantity: 1 });
  const all = await ingress.objectClient<typeof cartObject>({ name: "cart" }, "u1").getItems();
  const paid = await ingress.serviceClient(paymentService).processPayment({ orderId: "o", userId: "u", amount: 1 }, clients.rpc.opts({ idempotencyKey: "k" }));
  const greeting: string = await ingress.serviceClient(greeter).greet("Ada");
  const count: number = await ingress.objectClient(counter, "c").add(1);
  const send = await ingress.objectSendClient(counter, "c").add(1, clients.rpc.sendOpts({ delay: 1000, idempotencyKey: "k" }));
  const result: number = await ingress.result(send);
  const wf = ingress.workflowClient(signup, "ada@example.com");
  const submission = await wf.workflowSubmit({ name: "Ada" });
  const output = await wf.workflowOutput();
  const attached: { email: string; name: string; confirmedAt: string } = await wf.workflowAttach();
  const confirmed: string = await wf.confirm();
  await ingress.resolveAwakeable("sign_1…", { ok: true });
  await ingress.rejectAwakeable("sign_1…", "no");
  console.log(items, all.length, paid.status, greeting, count, result, submission.invocationId, output.ready, attached.email, confirmed);
}
