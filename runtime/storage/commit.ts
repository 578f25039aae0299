/**
 * Group commit: writes from every invocation that arrive within one turn of the
 * event loop are applied in one transaction, so they share one fsync. A write's
 * callback runs only after its transaction is durable; writes commit in the
 * order they were enqueued, so a callback (or a `durable()` barrier) also
 * covers every write queued before it.
 *
 * A batch is durable once an fdatasync of the WAL that started after its
 * transaction has finished (wal_sync.ts). One sync runs at a time, on the
 * thread pool (inline when a single caller is served); writes queued while it
 * runs wait for it and then share one transaction and the next sync. A sync
 * is started only when some callback or barrier waits: a batch that
 * acknowledges nothing is made durable by the next awaited sync, or within
 * LAZY_SYNC_MS.
 *
 * This is the one place the runtime learns that something is durable. Anything
 * that leaves the runtime because of a write — an HTTP answer, a notification
 * that lets user code continue, a worker told it may run side effects — is sent
 * from a callback or a barrier of this class (see runtime/engine/engine.ts).
 */
import type { Db } from "./db.js";
import { commitDelayMs, faultPoint } from "../faults.js";
import { WalSync } from "./wal_sync.js";

type Write = () => void;
type Durable = () => void;

interface Barrier {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Commits at least this far apart on average leave time for a sync inline. */
const QUIET_GAP_MS = 0.25;

/** A write nobody waits for is synced after this long at the latest. */
const LAZY_SYNC_MS = 50;

/** How long without a flush makes the commit quiet (see schedule). */
const QUIET_MS = 1;

/** Callbacks waiting for the transaction numbered `seq` (and every one before it) to be durable. */
interface Batch {
  seq: number;
  wrote: boolean;
  callbacks: Array<Durable | Barrier>;
}

export class GroupCommit {
  private writes: Write[] = [];
  private callbacks: Array<Durable | Barrier> = [];
  private scheduled = false;
  private failed: Error | undefined;
  private closed = false;
  private readonly log: WalSync;
  /** Transactions committed to the WAL so far, and how many of them are known durable. */
  private written = 0;
  private durableSeq = 0;
  private syncing = false;
  /** Callbacks (acknowledgements) in `waiting`: with none, no sync is needed yet. */
  private waitingCallbacks = 0;
  /** The time between commits, averaged over the last few. */
  private meanGapMs = 10;
  private lazySync: NodeJS.Timeout | undefined;
  /** Writes are queued for when the sync in flight ends (see commitQueued). */
  private deferred = false;
  private readonly waiting: Batch[] = [];
  private lastFlush = 0;

  constructor(
    db: Db,
    private readonly onFatal: (e: Error) => void,
    /** What a barrier rejects with once writes can no longer be made durable. */
    private readonly unavailable: (why: string) => Error,
    /** Whether one caller at most is being served (then a sync inline is fastest); by default never. */
    private readonly oneCaller: () => boolean = () => false,
  ) {
    this.log = new WalSync(db);
  }

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
    if (this.idle) {
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
    if (this.idle) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.callbacks.push({ resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.deferred) return;
    this.scheduled = true;
    if (commitDelayMs > 0) setTimeout(this.flush, commitDelayMs);
    // Quiet (one request at a time): commit as soon as the current task is done, which
    // still gathers all it wrote; busy: at the end of the turn, with everyone else's writes.
    else if (performance.now() - this.lastFlush > QUIET_MS) queueMicrotask(this.flush);
    else setImmediate(this.flush);
  }

  readonly flush = (): void => this.commitQueued(false);

  private commitQueued(force: boolean): void {
    this.scheduled = false;
    if (this.failed || (this.writes.length === 0 && this.callbacks.length === 0)) return;
    // A sync is running: what is queued now could only be made durable by the next
    // one anyway, so it waits and goes into one transaction with everything that
    // comes meanwhile (a chain of hand-overs on one key, say) when this one ends.
    if (this.syncing && !force) {
      this.deferred = true;
      return;
    }
    this.deferred = false;
    const writes = this.writes;
    const callbacks = this.callbacks;
    this.writes = [];
    this.callbacks = [];
    let synced = false;
    const at = performance.now();
    this.meanGapMs += (Math.min(at - this.lastFlush, 10) - this.meanGapMs) / 8;
    this.lastFlush = at;
    if (writes.length > 0) {
      faultPoint("commit-before");
      try {
        synced = this.log.commit(() => {
          for (const w of writes) w();
        });
      } catch (e) {
        this.fail(e, callbacks);
        return;
      }
      this.written++;
    }
    this.waiting.push({ seq: this.written, wrote: writes.length > 0, callbacks });
    this.waitingCallbacks += callbacks.length;
    if (synced) this.reached(this.written);
    else if (this.written <= this.durableSeq) this.reached(this.durableSeq);
    else this.syncIfAwaited();
  }

  /**
   * A sync only when something waits for it. Writes that acknowledge nothing
   * (an invocation's insert before anyone asks for it to be durable, a state
   * command) ride along with the next sync that someone does wait for, or
   * this lazy one.
   */
  private syncIfAwaited(): void {
    if (this.waitingCallbacks === 0) {
      this.lazySync ??= setTimeout(() => {
        this.lazySync = undefined;
        if (!this.failed && !this.closed && this.written > this.durableSeq) this.startSync();
      }, LAZY_SYNC_MS);
      return;
    }
    if (this.quiet()) this.syncInline();
    else this.startSync();
  }

  /**
   * One caller at a time (no sync in flight, and the engine says so): the sync is made right here, which spares
   * the hand-over to the thread pool and back. Under load it goes to the pool,
   * so the event loop keeps working while the disk syncs.
   */
  private quiet(): boolean {
    // Commits far apart on average: not one of a burst of clients coming back at once.
    return !this.syncing && this.meanGapMs > QUIET_GAP_MS && this.oneCaller();
  }

  private syncInline(): void {
    try {
      this.log.syncNow();
    } catch (e) {
      return this.fail(e, []);
    }
    this.synced(this.written);
  }

  private startSync(): void {
    if (this.syncing) return;
    this.syncing = true;
    const upTo = this.written;
    this.log.sync((err) => {
      this.syncing = false;
      if (this.failed) return;
      if (err) return this.fail(err, []);
      if (!this.synced(upTo)) return;
      if (this.deferred) this.commitQueued(false);
      else if (this.written > this.durableSeq) this.syncIfAwaited();
    });
  }

  /** A sync up to `seq` finished: its callbacks run, then a checkpoint if the WAL has grown. False if nothing more should follow. */
  private synced(seq: number): boolean {
    this.reached(seq);
    if (this.closed) return false;
    try {
      this.log.maybeCheckpoint();
      return true;
    } catch (e) {
      this.fail(e, []);
      return false;
    }
  }

  /** Transactions up to `seq` are durable: their callbacks run, in commit order. */
  private reached(seq: number): void {
    if (seq > this.durableSeq) this.durableSeq = seq;
    while (this.waiting.length > 0 && this.waiting[0]!.seq <= this.durableSeq) {
      const batch = this.waiting.shift()!;
      this.waitingCallbacks -= batch.callbacks.length;
      if (batch.wrote) faultPoint("commit-after");
      for (const cb of batch.callbacks) {
        if (typeof cb === "function") cb();
        else cb.resolve();
      }
    }
  }

  /**
   * The in-memory engine state no longer matches the disk: stop rather than
   * acknowledge anything else. A restart recovers from what was committed.
   */
  private fail(e: unknown, current: Array<Durable | Barrier>): void {
    this.failed = e instanceof Error ? e : new Error(String(e));
    clearTimeout(this.lazySync);
    this.waitingCallbacks = 0;
    const refused = this.unavailable(this.failed.message);
    const all = [...this.waiting.splice(0).flatMap((b) => b.callbacks), ...current, ...this.callbacks.splice(0)];
    for (const cb of all) if (typeof cb !== "function") cb.reject(refused);
    this.onFatal(this.failed);
  }

  /**
   * Everything is written (readers see it) and nothing waits for a sync: what is
   * not synced yet acknowledges nothing. For the testing kit's "settled".
   */
  get settled(): boolean {
    return !this.scheduled && !this.deferred && this.writes.length === 0 && this.callbacks.length === 0 && this.waitingCallbacks === 0;
  }

  /** Nothing queued, nothing waiting to be flushed or synced. */
  get idle(): boolean {
    return !this.scheduled && this.writes.length === 0 && this.callbacks.length === 0 && this.waiting.length === 0;
  }

  /** Commits what is queued now, synchronously and durably, and accepts nothing more (shutdown). */
  close(): void {
    if (this.closed) return;
    this.commitQueued(true);
    if (!this.failed && this.written > this.durableSeq) {
      try {
        this.log.syncNow();
        this.reached(this.written);
      } catch (e) {
        this.fail(e, []);
      }
    }
    this.closed = true;
    clearTimeout(this.lazySync);
    this.log.close(this.syncing);
  }
}
