/**
 * The runtime's write connection commits with `synchronous = NORMAL` and this
 * module makes each commit durable itself, with an fdatasync of the WAL file on
 * libuv's thread pool: the runtime's event loop keeps parsing requests and
 * talking to workers while the disk syncs, and the next batch forms meanwhile.
 * Nothing is acknowledged earlier than with `FULL`: group commit (commit.ts)
 * runs a batch's callbacks only once a sync that started after the batch was
 * written has finished.
 *
 * NORMAL keeps every sync SQLite needs for the file's integrity (the WAL
 * before a checkpoint, the database after it, the WAL header when the WAL
 * restarts); it only leaves out the per-commit sync, which this does instead.
 * Checkpoints are not left to chance inside a commit (`wal_autocheckpoint = 0`):
 * `maybeCheckpoint` runs one between syncs when the WAL holds about 8 MB.
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync } from "node:fs";
import type { Db } from "./db.js";

/** Checkpoint once the WAL holds about this many pages (SQLite's default is 1000)... */
const CHECKPOINT_FRAMES = 2048;
/**
 * ...and keep the file at the size it reached (up to this), so commits
 * overwrite it in place: a WAL that grows anew after each restart costs every
 * commit and every sync a file-size change.
 */
const WAL_KEEP_BYTES = 64 * 1024 * 1024;
/** A checkpoint that readers kept from completing leaves the WAL long: the next try waits this long. */
const CHECKPOINT_PAUSE_MS = 200;

export class WalSync {
  private fd: number | undefined;
  private retryCheckpointAt = 0;
  /** Commits since the WAL last restarted, and pages per commit as the last checkpoint measured. */
  private commits = 0;
  private framesPerCommit = 4;
  /** The WAL file's largest size so far: it grows only when it holds more than ever before. */
  private highWater = 0;
  /** Not in WAL mode (an in-memory database): SQLite syncs every commit itself, as FULL does. */
  private readonly selfSyncing: boolean;

  constructor(private readonly db: Db) {
    this.selfSyncing = db.pragma("journal_mode", { simple: true }) !== "wal";
    if (this.selfSyncing) {
      db.pragma("synchronous = FULL");
      return;
    }
    db.pragma("wal_autocheckpoint = 0");
    db.pragma(`journal_size_limit = ${WAL_KEEP_BYTES}`);
    db.pragma("synchronous = NORMAL");
  }

  /** Runs `tx` as one transaction. True if it is durable already; otherwise call `sync`. */
  commit(tx: () => void): boolean {
    this.db.transaction(tx)();
    this.commits++;
    return this.selfSyncing;
  }

  /** Makes everything committed so far durable, off the event loop. */
  sync(done: (err: Error | null) => void): void {
    let fd: number;
    try {
      fd = this.walFd();
    } catch (e) {
      queueMicrotask(() => done(e as Error));
      return;
    }
    fdatasync(fd, (err) => done(err));
  }

  syncNow(): void {
    fdatasyncSync(this.walFd());
  }

  /** Checkpoints if the WAL has grown large; call between syncs. */
  maybeCheckpoint(): void {
    if (this.selfSyncing || this.fd === undefined) return;
    const size = fstatSync(this.fd).size;
    const grew = size > this.highWater && size > CHECKPOINT_FRAMES * 4096;
    this.highWater = Math.max(this.highWater, size);
    if (!grew && this.commits * this.framesPerCommit < CHECKPOINT_FRAMES) return;
    const now = Date.now();
    if (now < this.retryCheckpointAt) return;
    const [r] = this.db.pragma("wal_checkpoint(PASSIVE)") as Array<{ log: number; checkpointed: number }>;
    if (!r) return;
    if (this.commits > 0 && r.log > 0) this.framesPerCommit = Math.max(1, r.log / this.commits);
    // Readers kept it from copying everything: the WAL cannot restart yet, so it stays long.
    if (r.checkpointed < r.log) this.retryCheckpointAt = now + CHECKPOINT_PAUSE_MS;
    else this.commits = 0;
  }

  /** Back to SQLite's own syncing (FULL), for the checkpoint and close at shutdown. */
  close(syncInFlight: boolean): void {
    try {
      this.db.pragma("synchronous = FULL");
    } catch {
      // the connection is broken (a failed write): nothing more is written through it
    }
    // A sync still running on the thread pool keeps its descriptor; the process is stopping anyway.
    if (this.fd !== undefined && !syncInFlight) closeSync(this.fd);
    this.fd = undefined;
  }

  private walFd(): number {
    // The WAL exists from the first write until the connection closes, and is
    // reused in place (never replaced) while it is open.
    this.fd ??= openSync(`${this.db.name}-wal`, "r");
    return this.fd;
  }
}
