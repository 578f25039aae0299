/**
 * Builds and their workers, engine side: which worker takes new attempts, the
 * deployment (build) each worker runs, how many unfinished invocations are
 * pinned to each deployment, how many attempts each worker runs, the workers
 * of builds nothing is pinned to any more being retired (stopped the moment
 * they hold no attempt), and reload checks (dry runs) waiting for their
 * answer. The lifecycle asks; this returns decisions.
 */
import type { Checked } from "../../sdk/worker/protocol.js";
import type { WorkerLink } from "../workers/link.js";
import type { Clock } from "./clock.js";

export class Builds {
  private worker: WorkerLink | undefined;
  private currentDeployment: string | undefined;
  /** The deployment each live worker runs (undefined without deployments: the testing kit). */
  private readonly deploymentOf = new Map<number, string | undefined>();
  private readonly links = new Map<number, WorkerLink>();
  /** The live worker of each deployment that has one (the current one's too). */
  private readonly workerOf = new Map<string, WorkerLink>();
  /** Unfinished invocations pinned to each deployment. */
  private readonly pins = new Map<string, number>();
  /** Attempts per worker. */
  private readonly load = new Map<number, number>();
  /** Workers of builds nothing is pinned to -> what to do once they hold no attempt. */
  private readonly retiring = new Map<number, () => void>();
  /** Workers stopped on purpose (a reload's deadline): their attempts move on, not counted as failures. */
  private readonly stopping = new Set<number>();
  private readonly checks = new Map<number, (msg: Checked) => void>();

  constructor(private readonly clock: Clock) {}

  /** The worker that takes new attempts. */
  get current(): WorkerLink | undefined {
    return this.worker;
  }

  /** The deployment new invocations run on (the newest build). */
  get latest(): string | undefined {
    return this.currentDeployment;
  }

  /** `worker` (running `deploymentId`) takes every new attempt from now on; returns the one it replaces. */
  makeCurrent(worker: WorkerLink, deploymentId?: string): WorkerLink | undefined {
    const previous = this.worker;
    this.worker = worker;
    if (deploymentId !== undefined) this.currentDeployment = deploymentId;
    this.attach(worker, deploymentId ?? this.currentDeployment);
    return previous;
  }

  /** `worker` runs `deploymentId` (an older build that invocations are pinned to). */
  attach(worker: WorkerLink, deploymentId: string | undefined): void {
    this.deploymentOf.set(worker.id, deploymentId);
    this.links.set(worker.id, worker);
    if (deploymentId !== undefined) this.workerOf.set(deploymentId, worker);
  }

  /** The live worker running `deploymentId`, if any. */
  workerFor(deploymentId: string): WorkerLink | undefined {
    return this.workerOf.get(deploymentId);
  }

  /** A live worker by id. */
  linkOf(workerId: number): WorkerLink | undefined {
    return this.links.get(workerId);
  }

  deploymentOfWorker(workerId: number): string | undefined {
    return this.deploymentOf.get(workerId);
  }

  /**
   * An invocation's pin moves from `from` to `to` (undefined: none; a completion
   * unpins). Returns `from` when that left an older build with nothing pinned to it.
   */
  repin(from: string | undefined, to: string | undefined): string | undefined {
    if (from === to) return undefined;
    if (to !== undefined) this.pins.set(to, (this.pins.get(to) ?? 0) + 1);
    if (from === undefined) return undefined;
    const left = (this.pins.get(from) ?? 1) - 1;
    if (left > 0) {
      this.pins.set(from, left);
      return undefined;
    }
    this.pins.delete(from);
    return from === this.currentDeployment ? undefined : from;
  }

  pinned(deploymentId: string): number {
    return this.pins.get(deploymentId) ?? 0;
  }

  /** Deployments with unfinished invocations pinned to them, and how many. */
  allPins(): Map<string, number> {
    return new Map(this.pins);
  }

  /** A worker nothing is pinned to: `retired` runs once it holds no attempt (see attemptEnded). */
  retire(workerId: number, retired: () => void): void {
    this.retiring.set(workerId, retired);
  }

  /** Something is pinned to a retiring worker's build again: it stays. */
  unretire(workerId: number): void {
    this.retiring.delete(workerId);
  }

  isRetiring(workerId: number): boolean {
    return this.retiring.has(workerId);
  }

  /** The worker is about to be stopped on purpose: its attempts will move on without counting a failure. */
  stoppingOnPurpose(workerId: number): void {
    this.stopping.add(workerId);
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
   * A worker ended. `retired` (with its callback) if it was being retired or
   * stopped on purpose: its attempts move on without counting a failure; else `crashed`.
   */
  exited(worker: WorkerLink): { retired: (() => void) | undefined } | "crashed" {
    const deploymentId = this.deploymentOf.get(worker.id);
    this.deploymentOf.delete(worker.id);
    this.links.delete(worker.id);
    if (deploymentId !== undefined && this.workerOf.get(deploymentId) === worker) this.workerOf.delete(deploymentId);
    if (this.worker === worker) this.worker = undefined;
    const onPurpose = this.stopping.delete(worker.id);
    if (this.retiring.has(worker.id)) {
      const done = this.retiring.get(worker.id);
      this.retiring.delete(worker.id);
      return { retired: done };
    }
    return onPurpose ? { retired: undefined } : "crashed";
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
