/**
 * Per-key exclusivity for virtual objects and workflow runs: one holder at a
 * time, the others wait in arrival order (the key's inbox). Every operation
 * is O(1) amortized, however long an inbox grows (see Inbox).
 */
export function lockKey(service: string, key: string): string {
  return `${service}\u0000${key}`;
}

/**
 * A FIFO of invocation ids with O(1) membership and removal: removal only
 * forgets the id's ticket, and the stale slot is skipped when it reaches the
 * head. A ticket number tells a removed-then-re-added id's old slot from its
 * new one. The array is compacted once more than half of it is consumed.
 */
export class Inbox {
  private slots: Array<{ id: string; ticket: number }> = [];
  private head = 0;
  private readonly live = new Map<string, number>();
  private tickets = 0;

  get size(): number {
    return this.live.size;
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  /** Appends `id` unless it waits already. */
  push(id: string): void {
    if (this.live.has(id)) return;
    const ticket = ++this.tickets;
    this.live.set(id, ticket);
    this.slots.push({ id, ticket });
  }

  remove(id: string): void {
    this.live.delete(id);
  }

  /** The first waiting id, removed; undefined when none waits. */
  shift(): string | undefined {
    while (this.head < this.slots.length) {
      const slot = this.slots[this.head++]!;
      if (this.live.get(slot.id) !== slot.ticket) continue;
      this.live.delete(slot.id);
      this.compact();
      return slot.id;
    }
    this.slots = [];
    this.head = 0;
    return undefined;
  }

  /** The waiting ids in order (admin reads; O(n)). */
  list(): string[] {
    const out: string[] = [];
    for (let i = this.head; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      if (this.live.get(slot.id) === slot.ticket) out.push(slot.id);
    }
    return out;
  }

  private compact(): void {
    if (this.head < 1024 || this.head * 2 < this.slots.length) return;
    this.slots = this.slots.slice(this.head);
    this.head = 0;
  }
}

interface KeyLock {
  holder: string | undefined;
  inbox: Inbox;
}

export class KeyLocks {
  private readonly locks = new Map<string, KeyLock>();

  /** True when `id` now holds the key; false when it waits in the inbox. */
  acquire(k: string, id: string): boolean {
    const lock = this.lockOf(k);
    if (lock.holder === undefined || lock.holder === id) {
      lock.holder = id;
      return true;
    }
    lock.inbox.push(id);
    return false;
  }

  /** Recovery: a holder or a waiter restored in arrival order. */
  restore(k: string, id: string, holds: boolean): void {
    const lock = this.lockOf(k);
    if (holds) lock.holder = id;
    else lock.inbox.push(id);
  }

  /** Releases (or removes from the inbox) `id`; returns the id that holds the key next, if any. */
  release(k: string, id: string, isLive: (id: string) => boolean): string | undefined {
    const lock = this.locks.get(k);
    if (!lock) return undefined;
    if (lock.holder !== id) {
      lock.inbox.remove(id);
      return undefined;
    }
    lock.holder = undefined;
    return this.promote(k, isLive);
  }

  /** Hands a free key to the first live waiter; returns the holder. */
  promote(k: string, isLive: (id: string) => boolean = () => true): string | undefined {
    const lock = this.locks.get(k);
    if (!lock) return undefined;
    while (lock.holder === undefined) {
      const next = lock.inbox.shift();
      if (next === undefined) break;
      if (isLive(next)) lock.holder = next;
    }
    if (lock.holder === undefined) this.locks.delete(k);
    return lock.holder;
  }

  freeKeysWithWaiters(): string[] {
    return [...this.locks.entries()].filter(([, l]) => l.holder === undefined && l.inbox.size > 0).map(([k]) => k);
  }

  has(k: string): boolean {
    return this.locks.has(k);
  }

  status(k: string): { holder: string | undefined; inbox: string[] } {
    const lock = this.locks.get(k);
    return { holder: lock?.holder, inbox: lock?.inbox.list() ?? [] };
  }

  private lockOf(k: string): KeyLock {
    let lock = this.locks.get(k);
    if (!lock) {
      lock = { holder: undefined, inbox: new Inbox() };
      this.locks.set(k, lock);
    }
    return lock;
  }
}
