/**
 * A worker thread running the user's bundle. Speaks the protocol in
 * sdk/worker/protocol.ts over the thread's message port (structured clone, so
 * bytes stay bytes), batched per event-loop turn.
 *
 * A thread, not a process: a message costs half the round trip of a pipe and
 * the worker ~35 MiB less. What user code can do to its worker still costs
 * only a retry: `process.exit` ends the thread, not the runtime; an
 * exception nothing catches ends it too (an unhandled rejection is logged, see
 * host.ts); a thread stuck in a loop is stopped by `terminate()`, which
 * interrupts running JavaScript.
 */
import { Worker } from "node:worker_threads";
import { createInterface } from "node:readline";
import { BatchingSender } from "../../sdk/worker/channel.js";
import type { FromWorker, ServiceManifest, ToWorker } from "../../sdk/worker/protocol.js";
import type { WorkerLink } from "./link.js";
import type { WorkerSeam } from "./seam.js";

const HOST = new URL("../../sdk/worker/host.js", import.meta.url);

/** The thread's own lifecycle, for the pool; what it says to the engine goes through the seam. */
export interface WorkerEvents {
  ready(worker: WorkerThread, services: ServiceManifest[]): void;
  loadError(worker: WorkerThread, message: string, stack?: string): void;
  exit(worker: WorkerThread, description: string): void;
  output(worker: WorkerThread, line: string, stream: "stdout" | "stderr"): void;
}

let nextWorkerId = 1;
/** How long a worker suspected of being stuck is watched for an idle moment. */
const STUCK_PROBE_MS = 1000;

export class WorkerThread implements WorkerLink {
  readonly id = nextWorkerId++;
  private readonly thread: Worker;
  private readonly out: BatchingSender<ToWorker>;
  private exited = false;
  private stopping = false;
  private escaped: Error | undefined;

  constructor(bundle: string, private readonly events: WorkerEvents, seam: WorkerSeam, env: NodeJS.ProcessEnv = process.env) {
    this.thread = new Worker(HOST, { argv: [bundle], env: { ...env }, stdout: true, stderr: true });
    this.out = new BatchingSender((batch) => {
      if (!this.exited) this.thread.postMessage(batch);
    });
    for (const stream of ["stdout", "stderr"] as const) {
      createInterface({ input: this.thread[stream] }).on("line", (line) => events.output(this, line, stream));
    }
    this.thread.on("message", (batch: FromWorker[]) => {
      for (const msg of batch) {
        if (msg.t === "ready") events.ready(this, msg.services);
        else if (msg.t === "loadError") events.loadError(this, msg.message, msg.stack);
        else seam.deliver(this, msg);
      }
    });
    this.thread.on("error", (e) => {
      // An error that escaped user code: the thread ends ('exit' follows), and says why.
      this.escaped = e;
      events.output(this, `restate-dev worker: uncaught ${e.stack ?? e.message}`, "stderr");
    });
    this.thread.on("exit", (code) => {
      this.exited = true;
      const description = this.stopping ? "stopped" : this.escaped ? `uncaught ${this.escaped.name}: ${this.escaped.message}` : `exit code ${code}`;
      seam.ended(this, description);
      events.exit(this, description);
    });
    seam.connect(this);
  }

  get alive(): boolean {
    return !this.exited;
  }

  send(msg: ToWorker): void {
    this.out.send(msg);
  }

  stopIfStuck(): void {
    if (this.exited || this.stopping) return;
    const before = this.thread.performance.eventLoopUtilization();
    setTimeout(() => {
      if (this.exited) return;
      const busy = this.thread.performance.eventLoopUtilization(before);
      // Not one idle moment in a second: JavaScript that never yields.
      if (busy.idle === 0) {
        this.events.output(this, `restate-dev worker: its event loop has not turned for ${STUCK_PROBE_MS} ms (user code stuck in a loop?): stopping it; its attempts are retried`, "stderr");
        this.stop();
      }
    }, STUCK_PROBE_MS).unref();
  }

  /** Stops the worker, even in the middle of a loop; in-flight attempts on it are retried by the engine. */
  stop(): void {
    if (this.exited || this.stopping) return;
    this.stopping = true;
    this.out.flush();
    void this.thread.terminate();
  }
}
