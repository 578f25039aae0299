/**
 * @restatedev/restate-sdk-clients with the templates' definitions, naming the
 * handlers with restate.Service/VirtualObject/Workflow<typeof definition>: this
 * form compiles against both the real SDK's types and restate-dev's (compare
 * clients_by_value.ts). Compiled, never run.
 */
import type * as restate from "@restatedev/restate-sdk";
import * as clients from "@restatedev/restate-sdk-clients";
import type { cartObject } from "../../templates/shop/src/cart.js";
import type { paymentService } from "../../templates/shop/src/payments.js";
import type { counter } from "../../templates/starter/src/counter.js";
import type { greeter } from "../../templates/starter/src/greeter.js";
import type { signup } from "../../templates/starter/src/signup.js";

type Cart = restate.VirtualObject<typeof cartObject>;
type Counter = restate.VirtualObject<typeof counter>;

export async function useClients(url: string): Promise<void> {
  const ingress = clients.connect({ url });
  const items: { items: number } = await ingress.objectClient<Cart>({ name: "cart" }, "u1").addItem({ productId: "p1", quantity: 1 });
  const all = await ingress.objectClient<Cart>({ name: "cart" }, "u1").getItems();
  const paid = await ingress
    .serviceClient<restate.Service<typeof paymentService>>({ name: "payments" })
    .processPayment({ orderId: "o", userId: "u", amount: 1 }, clients.rpc.opts({ idempotencyKey: "k" }));
  const greeting: string = await ingress.serviceClient<restate.Service<typeof greeter>>({ name: "greeter" }).greet("Ada");
  const count: number = await ingress.objectClient<Counter>({ name: "counter" }, "c").add(1);
  const send = await ingress.objectSendClient<Counter>({ name: "counter" }, "c").add(1, clients.rpc.sendOpts({ delay: 1000, idempotencyKey: "k" }));
  const result: number = await ingress.result(send);
  const wf = ingress.workflowClient<restate.Workflow<typeof signup>>({ name: "signup" }, "ada@example.com");
  const submission = await wf.workflowSubmit({ name: "Ada" });
  const output = await wf.workflowOutput();
  const attached: { email: string; name: string; confirmedAt: string } = await wf.workflowAttach();
  const confirmed: string = await wf.confirm();
  console.log(items, all.length, paid.status, greeting, count, result, submission.invocationId, output.ready, attached.email, confirmed);
}
