/**
 * What the engine needs of a worker: something that runs attempts and speaks
 * the protocol of sdk/worker/protocol.ts. A worker thread (worker_thread.ts)
 * is one; the testing kit's in-process worker is another. Both connect to a
 * WorkerSeam (seam.ts), the one path their messages take to and from the engine.
 */
import type { ToWorker } from "../../sdk/worker/protocol.js";

export interface WorkerLink {
  /** Unique among the workers of one engine. */
  readonly id: number;
  /** False once the worker has ended: messages sent to it are dropped. */
  readonly alive: boolean;
  send(msg: ToWorker): void;
  /** Ends the worker; attempts still on it are the engine's to retry. */
  stop(): void;
  /**
   * An attempt on it made no progress: if the worker itself no longer turns
   * its event loop (user code stuck in a loop), stop it so the rest can retry.
   */
  stopIfStuck?(): void;
}
