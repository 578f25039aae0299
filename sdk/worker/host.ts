/**
 * Entry point of a worker thread: loads the user's bundle, reports its
 * services, and runs the attempts the runtime sends (attempt_host.ts) over
 * the thread's message port. A crash here costs the runtime only retries.
 */
import { pathToFileURL } from "node:url";
import { parentPort } from "node:worker_threads";
import { setServeHook } from "../endpoint.js";
import { AttemptHost } from "./attempt_host.js";
import { BatchingSender } from "./channel.js";
import { HandlerRegistry } from "./registry.js";
import type { FromWorker, ToWorker } from "./protocol.js";

const bundle = process.argv[2];
const port = parentPort;
if (!bundle || !port) {
  console.error("restate-dev worker: started without a bundle or outside a worker thread; the runtime starts workers itself.");
  process.exit(2);
}
// Stack traces of user code point into its sources (the bundle has inline source maps).
process.setSourceMapsEnabled(true);

const out = new BatchingSender<FromWorker>((batch) => port.postMessage(batch));
let registry: HandlerRegistry | undefined;
const host = new AttemptHost(() => registry, (msg) => out.send(msg));

process.on("unhandledRejection", (reason) => {
  console.error("restate-dev worker: unhandled promise rejection in user code:", reason);
});

setServeHook((definitions, defaults) => {
  if (registry) throw new Error("the services are already bound: call listen()/serve() once");
  registry = new HandlerRegistry(definitions, defaults);
});

port.on("message", (batch: ToWorker[]) => {
  for (const msg of batch) host.handle(msg);
});

try {
  await import(pathToFileURL(bundle).href);
  // listen() may be called after an await at the top of the entry; give it a turn.
  await new Promise((r) => setImmediate(r));
  if (!registry) {
    out.send({
      t: "loadError",
      message:
        "the entry file bound no services: end it with restate.endpoint().bind(myService).listen() or restate.serve({ services: [myService] })",
    });
  } else {
    out.send({ t: "ready", services: registry.manifest });
  }
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  out.send({ t: "loadError", message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
}
