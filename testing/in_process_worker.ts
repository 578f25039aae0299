/**
 * A worker in the test's own process: the handlers run here, driven by the
 * same protocol messages a worker process gets over IPC. Every message is
 * structured-cloned and delivered on a later turn of the event loop, batched,
 * as IPC would, so the engine and the handlers share nothing by reference.
 */
import { performance } from "node:perf_hooks";
import type { WorkerLink } from "../runtime/workers/link.js";
import { AttemptHost } from "../sdk/worker/attempt_host.js";
import { BatchingSender } from "../sdk/worker/channel.js";
import type { HandlerRegistry } from "../sdk/worker/registry.js";
import type { FromWorker, ToWorker } from "../sdk/worker/protocol.js";

export class InProcessWorker implements WorkerLink {
  private ended = false;
  private readonly host: AttemptHost;
  private readonly toWorker: BatchingSender<ToWorker>;
  private readonly toEngine: BatchingSender<FromWorker>;
  /** Messages sent either way and not delivered yet. */
  private inFlight = 0;
  /** performance.now() of the last message either way. */
  lastActivity = performance.now();

  constructor(
    readonly id: number,
    registry: HandlerRegistry,
    deliver: (worker: InProcessWorker, msg: FromWorker) => void,
  ) {
    this.toWorker = new BatchingSender((batch) => {
      for (const msg of batch) {
        this.inFlight--;
        if (!this.ended) this.host.handle(msg);
      }
    });
    this.toEngine = new BatchingSender((batch) => {
      for (const msg of batch) {
        this.inFlight--;
        if (!this.ended) deliver(this, msg);
      }
    });
    this.host = new AttemptHost(
      () => registry,
      (msg) => this.post(this.toEngine, msg),
    );
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** Messages are on their way, or a ctx.run closure runs: the handlers are doing work. */
  get busy(): boolean {
    return this.inFlight > 0 || this.host.runningClosures;
  }

  send(msg: ToWorker): void {
    this.post(this.toWorker, msg);
  }

  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.host.closeAll();
  }

  private post<T>(channel: BatchingSender<T>, msg: T): void {
    if (this.ended) return;
    this.lastActivity = performance.now();
    this.inFlight++;
    channel.send(structuredClone(msg));
  }
}
