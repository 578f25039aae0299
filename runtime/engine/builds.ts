/**
 * Builds and their workers, engine side: which worker takes new attempts,
 * how many attempts each runs, the workers of replaced builds being retired
 * (stopped the moment they hold no attempt), and reload checks (dry runs)
 * waiting for their answer. The lifecycle asks; this returns decisions.
 */
import type { Checked } from "../../sdk/worker/protocol.js";
import type { WorkerLink } from "../workers/link.js";
import type { Clock } from "./clock.js";

export class Builds {
  private worker: WorkerLink | undefined;
  /** Attempts per worker. */
  private readonly load = new Map<number, number>();
  /** Workers of older builds whose attempts are moving to the current one -> what to do once they hold none. */
  private readonly retiring = new Map<number, () => void>();
  private readonly checks = new Map<number, (msg: Checked) => void>();

  constructor(private readonly clock: Clock) {}

  /** The worker that takes new attempts. */
  get current(): WorkerLink | undefined {
    return this.worker;
  }

  /** `worker` takes every new attempt from now on; returns the one it replaces. */
  makeCurrent(worker: WorkerLink): WorkerLink | undefined {
    const previous = this.worker;
    this.worker = worker;
    return previous;
  }

  /** The previous build's worker: `retired` runs once it holds no attempt (see attemptEnded). */
  retire(workerId: number, retired: () => void): void {
    this.retiring.set(workerId, retired);
  }

  isRetiring(workerId: number): boolean {
    return this.retiring.has(workerId);
  }

  attemptStarted(workerId: number): void {
    this.load.set(workerId, (this.load.get(workerId) ?? 0) + 1);
  }

  /** An attempt on `workerId` ended: a retiring worker left with none is done, and this returns its `retired`. */
  attemptEnded(workerId: number): (() => void) | undefined {
    const left = (this.load.get(workerId) ?? 1) - 1;
    if (left > 0) this.load.set(workerId, left);
    else this.load.delete(workerId);
    return left <= 0 ? this.retireIfIdle(workerId) : undefined;
  }

  /** A retiring worker with no attempt left is done: returns its `retired` (once). */
  retireIfIdle(workerId: number): (() => void) | undefined {
    const done = this.retiring.get(workerId);
    if (!done || this.attemptsOn(workerId) > 0) return undefined;
    this.retiring.delete(workerId);
    return done;
  }

  attemptsOn(workerId: number): number {
    return this.load.get(workerId) ?? 0;
  }

  /**
   * A worker ended. `retired` (with its callback) if it was being retired: its
   * attempts move on without counting a failure; else `crashed`.
   */
  exited(worker: WorkerLink): { retired: (() => void) | undefined } | "crashed" {
    if (this.retiring.has(worker.id)) {
      const done = this.retiring.get(worker.id);
      this.retiring.delete(worker.id);
      return { retired: done };
    }
    if (this.worker === worker) this.worker = undefined;
    return "crashed";
  }

  // --- reload checks -------------------------------------------------------------

  /** The answer to the dry run `attemptId`, or undefined if none comes within `timeoutMs`. */
  awaitCheck(attemptId: number, timeoutMs: number): Promise<Checked | undefined> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.checks.delete(attemptId);
        resolve(undefined);
      }, timeoutMs);
      this.checks.set(attemptId, (msg) => {
        this.clock.clearTimeout(timer);
        this.checks.delete(attemptId);
        resolve(msg);
      });
    });
  }

  /** A dry run answered. */
  checked(msg: Checked): void {
    this.checks.get(msg.attemptId)?.(msg);
  }
}
