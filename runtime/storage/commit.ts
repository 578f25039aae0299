/**
 * Group commit: writes from every invocation that arrive within one turn of the
 * event loop are applied in one transaction, so they share one fsync. A write's
 * callback runs only after its transaction is durable; writes commit in the
 * order they were enqueued, so a callback (or a `durable()` barrier) also
 * covers every write queued before it.
 *
 * This is the one place the runtime learns that something is durable. Anything
 * that leaves the runtime because of a write — an HTTP answer, a notification
 * that lets user code continue, a worker told it may run side effects — is sent
 * from a callback or a barrier of this class (see runtime/engine/engine.ts).
 */
import type { Db } from "./db.js";
import { commitDelayMs, faultPoint } from "../faults.js";

type Write = () => void;
type Durable = () => void;

interface Barrier {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class GroupCommit {
  private writes: Write[] = [];
  private callbacks: Array<Durable | Barrier> = [];
  private scheduled = false;
  private failed: Error | undefined;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly onFatal: (e: Error) => void,
    /** What a barrier rejects with once writes can no longer be made durable. */
    private readonly unavailable: (why: string) => Error,
  ) {}

  /** Queues a write; `onDurable` runs once it is committed (never, if the commit fails). */
  enqueue(write: Write, onDurable?: Durable): void {
    // After a failed commit nothing is written or acknowledged any more: the runtime is
    // stopping, and a restart recovers from what was committed. Shutting down likewise.
    if (this.failed || this.closed) return;
    this.writes.push(write);
    if (onDurable) this.callbacks.push(onDurable);
    this.schedule();
  }

  /** Runs `cb` after everything queued so far is durable. */
  afterDurable(cb: Durable): void {
    if (this.closed || this.failed) return;
    if (this.writes.length === 0 && !this.scheduled) {
      queueMicrotask(cb);
      return;
    }
    this.callbacks.push(cb);
    this.schedule();
  }

  /**
   * Resolves once everything queued so far is durable; rejects if that can no
   * longer happen (a failed commit, or shutdown). The way to acknowledge.
   */
  durable(): Promise<void> {
    if (this.failed) return Promise.reject(this.unavailable(this.failed.message));
    if (this.closed) return Promise.reject(this.unavailable("the runtime is stopping"));
    if (this.writes.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.callbacks.push({ resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (commitDelayMs > 0) setTimeout(this.flush, commitDelayMs);
    else setImmediate(this.flush);
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.failed || (this.writes.length === 0 && this.callbacks.length === 0)) return;
    const writes = this.writes;
    const callbacks = this.callbacks;
    this.writes = [];
    this.callbacks = [];
    if (writes.length > 0) {
      faultPoint("commit-before");
      try {
        this.db.transaction(() => {
          for (const w of writes) w();
        })();
      } catch (e) {
        // The in-memory engine state no longer matches the disk: stop rather than
        // acknowledge anything else. A restart recovers from what was committed.
        this.failed = e instanceof Error ? e : new Error(String(e));
        const refused = this.unavailable(this.failed.message);
        for (const cb of callbacks) if (typeof cb !== "function") cb.reject(refused);
        this.onFatal(this.failed);
        return;
      }
      faultPoint("commit-after");
    }
    for (const cb of callbacks) {
      if (typeof cb === "function") cb();
      else cb.resolve();
    }
  };

  /** Nothing queued, nothing waiting to be flushed. */
  get idle(): boolean {
    return !this.scheduled && this.writes.length === 0 && this.callbacks.length === 0;
  }

  /** Commits what is queued now, synchronously, and accepts nothing more (shutdown). */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
