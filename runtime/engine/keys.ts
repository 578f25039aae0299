/**
 * Keys of virtual objects and workflows: who holds each (locks.ts), the
 * inbox order, and the state cache of keys in use. The cache holds writes not
 * committed yet, so the next exclusive invocation on a key starts as soon as
 * the previous one returns, without waiting for its commit; shared handlers
 * read committed state from SQLite instead.
 */
import { KeyLocks, lockKey } from "./locks.js";

export type StateEntries = Array<[string, Uint8Array]>;

export type StateWrite = { type: "SetState"; name: string; value: Uint8Array } | { type: "ClearState"; name: string } | { type: "ClearAllState" };

export class Keys {
  private readonly locks = new KeyLocks();
  private readonly cache = new Map<string, Map<string, Uint8Array>>();

  constructor(
    /** The last inbox sequence number handed out (from the database). */
    private inboxSeq: number,
    /** Committed state of a key. */
    private readonly load: (service: string, key: string) => StateEntries,
  ) {}

  /** An exclusive invocation arrives on its key: its place in arrival order, and whether it holds the key now. */
  enter(service: string, key: string, id: string): { inboxSeq: number; holds: boolean } {
    return { inboxSeq: ++this.inboxSeq, holds: this.locks.acquire(lockKey(service, key), id) };
  }

  /** Recovery: a holder or a waiter, restored in arrival order. */
  restore(service: string, key: string, id: string, holds: boolean): void {
    this.locks.restore(lockKey(service, key), id, holds);
  }

  /** Recovery: keys nobody holds go to their first live waiter; returns the new holders. */
  promoteFree(isLive: (id: string) => boolean): string[] {
    const holders: string[] = [];
    for (const k of this.locks.freeKeysWithWaiters()) {
      const next = this.locks.promote(k, isLive);
      if (next) holders.push(next);
    }
    return holders;
  }

  /** `id` leaves the key (or its inbox); returns who holds it next. */
  release(service: string, key: string, id: string, isWaiting: (id: string) => boolean): string | undefined {
    return this.locks.release(lockKey(service, key), id, isWaiting);
  }

  status(service: string, key: string): { holder: string | undefined; inbox: string[] } {
    return this.locks.status(lockKey(service, key));
  }

  /** The state the key's holder sees: cached, loaded from SQLite on first use. */
  holderState(service: string, key: string): Map<string, Uint8Array> {
    const k = lockKey(service, key);
    let state = this.cache.get(k);
    if (!state) {
      state = new Map(this.load(service, key));
      this.cache.set(k, state);
    }
    return state;
  }

  /** State of a key as its next exclusive handler sees it: the cache while the key is in use, else SQLite. */
  read(service: string, key: string): StateEntries {
    const cached = this.cache.get(lockKey(service, key));
    return cached ? [...cached.entries()] : this.load(service, key);
  }

  /** A state write, applied to the cache if the key is in use (the caller commits it). */
  write(service: string, key: string, w: StateWrite): void {
    const cached = this.cache.get(lockKey(service, key));
    if (!cached) return;
    if (w.type === "SetState") cached.set(w.name, w.value);
    else if (w.type === "ClearState") cached.delete(w.name);
    else cached.clear();
  }

  /** Once a key's writes are durable and nobody holds it, SQLite is its truth again. */
  evict(service: string, key: string): void {
    const k = lockKey(service, key);
    if (!this.locks.has(k)) this.cache.delete(k);
  }
}
