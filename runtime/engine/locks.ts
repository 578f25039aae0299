/**
 * Per-key exclusivity for virtual objects and workflow runs: one holder at a
 * time, the others wait in arrival order (the key's inbox). Also caches the
 * state of keys in use, so the next holder can start before the previous
 * holder's writes are committed.
 */
export function lockKey(service: string, key: string): string {
  return `${service}\u0000${key}`;
}

interface KeyLock {
  holder: string | undefined;
  queue: string[];
}

export class KeyLocks {
  private readonly locks = new Map<string, KeyLock>();

  /** True when `id` now holds the key; false when it waits in the inbox. */
  acquire(k: string, id: string): boolean {
    let lock = this.locks.get(k);
    if (!lock) {
      lock = { holder: undefined, queue: [] };
      this.locks.set(k, lock);
    }
    if (lock.holder === undefined || lock.holder === id) {
      lock.holder = id;
      return true;
    }
    if (!lock.queue.includes(id)) lock.queue.push(id);
    return false;
  }

  /** Recovery: a holder or a waiter restored in arrival order. */
  restore(k: string, id: string, holds: boolean): void {
    let lock = this.locks.get(k);
    if (!lock) {
      lock = { holder: undefined, queue: [] };
      this.locks.set(k, lock);
    }
    if (holds) lock.holder = id;
    else lock.queue.push(id);
  }

  /** Releases (or removes from the inbox) `id`; returns the id that holds the key next, if any. */
  release(k: string, id: string, isLive: (id: string) => boolean): string | undefined {
    const lock = this.locks.get(k);
    if (!lock) return undefined;
    if (lock.holder !== id) {
      lock.queue = lock.queue.filter((x) => x !== id);
      return undefined;
    }
    lock.holder = undefined;
    return this.promote(k, lock, isLive);
  }

  /** Hands a free key to the first live waiter. */
  promote(k: string, lock: KeyLock | undefined = this.locks.get(k), isLive: (id: string) => boolean = () => true): string | undefined {
    if (!lock) return undefined;
    while (lock.holder === undefined && lock.queue.length > 0) {
      const next = lock.queue.shift()!;
      if (isLive(next)) lock.holder = next;
    }
    if (lock.holder === undefined) this.locks.delete(k);
    return lock.holder;
  }

  freeKeysWithWaiters(): string[] {
    return [...this.locks.entries()].filter(([, l]) => l.holder === undefined && l.queue.length > 0).map(([k]) => k);
  }

  has(k: string): boolean {
    return this.locks.has(k);
  }

  status(k: string): { holder: string | undefined; inbox: string[] } {
    const lock = this.locks.get(k);
    return { holder: lock?.holder, inbox: [...(lock?.queue ?? [])] };
  }
}
