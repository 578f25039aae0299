/**
 * The one path between the engine and its workers, in both directions.
 * A transport (a worker thread, the testing kit's in-process worker)
 * connects its link here and hands every message it receives to `deliver`;
 * the engine subscribes once and sends through `send`. Nothing in between
 * relays: the pool manages threads, not messages.
 */
import type { FromWorker, ToWorker } from "../../sdk/worker/protocol.js";
import type { WorkerLink } from "./link.js";

/** What a worker says to the engine: everything but the load handshake (`ready`, `loadError`), which the pool handles. */
export type EngineBound = Exclude<FromWorker, { t: "ready" | "loadError" }>;

export interface WorkerSubscriber {
  message(worker: WorkerLink, msg: EngineBound): void;
  /** The worker ended (crashed, killed, stopped): its attempts are the subscriber's to retry. */
  exited(worker: WorkerLink, description: string): void;
}

export class WorkerSeam {
  private readonly links = new Map<number, WorkerLink>();
  private subscriber: WorkerSubscriber | undefined;

  /** The engine's end. One subscriber per seam. */
  subscribe(subscriber: WorkerSubscriber): void {
    if (this.subscriber) throw new Error("this worker seam already has a subscriber");
    this.subscriber = subscriber;
  }

  /** A transport's link joins; messages to its id reach it from now on. */
  connect(link: WorkerLink): void {
    this.links.set(link.id, link);
  }

  /** Engine to worker; dropped when the worker has ended. */
  send(workerId: number, msg: ToWorker): void {
    this.links.get(workerId)?.send(msg);
  }

  /** An attempt on this worker was aborted for making no progress: a worker stuck in a loop is stopped. */
  stopIfStuck(workerId: number): void {
    this.links.get(workerId)?.stopIfStuck?.();
  }

  /** Worker to engine: a transport calls this for every message it receives. */
  deliver(link: WorkerLink, msg: EngineBound): void {
    this.subscriber?.message(link, msg);
  }

  /** A transport's worker ended. */
  ended(link: WorkerLink, description: string): void {
    this.links.delete(link.id);
    this.subscriber?.exited(link, description);
  }
}
