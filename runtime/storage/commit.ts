/**
 * Group commit: writes from every invocation that arrive within one turn of the
 * event loop are applied in one transaction, so they share one fsync. A write's
 * callback runs only after its transaction is durable; writes commit in the
 * order they were enqueued.
 */
import type { Db } from "./db.js";

type Write = () => void;
type Durable = () => void;

export class GroupCommit {
  private writes: Write[] = [];
  private callbacks: Durable[] = [];
  private scheduled = false;
  private failed: Error | undefined;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly onFatal: (e: Error) => void,
  ) {}

  /** Queues a write; `onDurable` runs once it is committed. */
  enqueue(write: Write, onDurable?: Durable): void {
    if (this.failed) throw this.failed;
    // Shutting down: what was not queued before close() is recovered at the next start.
    if (this.closed) return;
    this.writes.push(write);
    if (onDurable) this.callbacks.push(onDurable);
    this.schedule();
  }

  /** Runs `cb` after everything queued so far is durable. */
  afterDurable(cb: Durable): void {
    if (this.closed) return;
    if (this.writes.length === 0 && !this.scheduled) {
      queueMicrotask(cb);
      return;
    }
    this.callbacks.push(cb);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.writes.length === 0 && this.callbacks.length === 0) return;
    const writes = this.writes;
    const callbacks = this.callbacks;
    this.writes = [];
    this.callbacks = [];
    if (writes.length > 0) {
      try {
        this.db.transaction(() => {
          for (const w of writes) w();
        })();
      } catch (e) {
        // The in-memory engine state no longer matches the disk: stop rather than
        // acknowledge anything else. A restart recovers from what was committed.
        this.failed = e instanceof Error ? e : new Error(String(e));
        this.onFatal(this.failed);
        return;
      }
    }
    for (const cb of callbacks) cb();
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
