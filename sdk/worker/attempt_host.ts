/**
 * The worker side of the protocol, independent of the transport: runs the
 * attempts the runtime sends with the handlers of a registry, and sends what
 * they produce back. The worker thread entry (host.ts) wires it to its message port;
 * the testing kit wires it to an engine in the same process.
 */
import { Attempt } from "../attempt.js";
import { ContextImpl } from "../context_impl.js";
import type { HandlerRegistry } from "./registry.js";
import type { FromWorker, ToWorker } from "./protocol.js";

export class AttemptHost {
  private readonly attempts = new Map<number, Attempt>();

  constructor(
    private readonly registry: () => HandlerRegistry | undefined,
    private readonly send: (msg: FromWorker) => void,
  ) {}

  handle(msg: ToWorker): void {
    switch (msg.t) {
      case "start": {
        const handler = this.registry()?.get(msg.target.service, msg.target.handler);
        if (!handler) {
          this.send({ t: "error", attemptId: msg.attemptId, code: 404, message: `handler ${msg.target.service}/${msg.target.handler} is not in this build` });
          return;
        }
        const attempt = new Attempt(msg, handler, (m) => {
          if (m.t === "output" || m.t === "error" || m.t === "suspended" || m.t === "checked") this.attempts.delete(msg.attemptId);
          this.send(m);
        }, (a) => new ContextImpl(a));
        this.attempts.set(msg.attemptId, attempt);
        void attempt.execute();
        return;
      }
      case "notify":
        this.attempts.get(msg.attemptId)?.notify(msg);
        return;
      case "abort":
        this.attempts.get(msg.attemptId)?.close();
        this.attempts.delete(msg.attemptId);
        return;
      case "cancel":
        this.attempts.get(msg.attemptId)?.onCancel(msg.seq);
        return;
      case "suspend":
        this.attempts.get(msg.attemptId)?.onSuspendRequest();
        return;
    }
  }

  /** Whether some attempt is running a ctx.run closure (doing work, not waiting on the runtime). */
  get runningClosures(): boolean {
    for (const a of this.attempts.values()) if (a.hasRunInFlight) return true;
    return false;
  }

  /** Ends every attempt: nothing more is sent (the worker stops). */
  closeAll(): void {
    for (const a of this.attempts.values()) a.close();
    this.attempts.clear();
  }
}
