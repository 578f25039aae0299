/**
 * A worker in the test's own process: the handlers run here, driven by the
 * same protocol messages a worker thread gets over its port. Every message is
 * structured-cloned and delivered on a later turn of the event loop, batched,
 * as IPC would, so the engine and the handlers share nothing by reference.
 */
import { performance } from "node:perf_hooks";
import type { WorkerLink } from "../runtime/workers/link.js";
import type { EngineBound, WorkerSeam } from "../runtime/workers/seam.js";
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
    /** The engine's seam: this worker's messages reach the engine through it. */
    seam: WorkerSeam,
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
        // No load handshake in process: the environment tells the engine the worker is ready.
        if (!this.ended && msg.t !== "ready" && msg.t !== "loadError") seam.deliver(this, msg as EngineBound);
      }
    });
    this.host = new AttemptHost(
      () => registry,
      (msg) => this.post(this.toEngine, msg),
    );
    seam.connect(this);
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
