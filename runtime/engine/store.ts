/**
 * The invocation store: unfinished invocations in memory (SQLite is the truth
 * they are rebuilt from), their attempts, idempotency keys, and everything
 * waiting for an invocation: clients (HTTP attach, calls answered live),
 * journal entries of other invocations, awakeable resolutions that came
 * before their entry. It changes nothing in the database: the lifecycle
 * (engine.ts) writes, and asks the store what to complete.
 */
import type { Result } from "../../sdk/worker/protocol.js";
import type { ActiveInvocation, AttemptRef } from "./invocation.js";
import type { EntryWaiter } from "./waits.js";

export interface Completion {
  id: string;
  result: Result;
  completedAt: number;
  expiresAt?: number;
}

interface CompletionWaiter {
  resolve: (c: Completion) => void;
  reject: (e: Error) => void;
}

export class InvocationStore {
  private readonly active = new Map<string, ActiveInvocation>();

  /** Invocations not completed yet (running, waiting, queued). */
  get activeCount(): number {
    return this.active.size;
  }
  private readonly attempts = new Map<number, ActiveInvocation>();
  private nextAttemptId = 1;
  private readonly idempotency = new Map<string, string>();
  /** Memory only: clients reconnect. */
  private readonly clients = new Map<string, Set<CompletionWaiter>>();
  /**
   * Journal entries waiting for another invocation's completion that is not their
   * own child: idempotent calls attached to a running invocation, AttachInvocation.
   * Rebuilt from the journal on recovery (`rearm`); completed in the same
   * transaction as the invocation they wait for.
   */
  private readonly entryWaiters = new Map<string, EntryWaiter[]>();
  /** Awakeable resolutions for an entry the invocation's attempt has not recorded yet: durable, applied when it is. */
  private readonly earlyResults = new Map<string, Map<number, Result>>();
  /** Results of invocations that completed but whose completion is not durable yet (still active). */
  private readonly completing = new Map<string, Result>();

  // --- invocations ---------------------------------------------------------------

  get(id: string): ActiveInvocation | undefined {
    return this.active.get(id);
  }

  has(id: string): boolean {
    return this.active.has(id);
  }

  add(inv: ActiveInvocation): void {
    this.active.set(inv.id, inv);
  }

  /** Its completion is durable: it leaves memory. */
  remove(id: string): void {
    this.active.delete(id);
    this.completing.delete(id);
  }

  all(): IterableIterator<ActiveInvocation> {
    return this.active.values();
  }

  /** In creation order (oldest first). */
  byAge(): ActiveInvocation[] {
    return [...this.active.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  // --- attempts --------------------------------------------------------------------

  /** An id no attempt has had, for an attempt or a dry run. */
  newAttemptId(): number {
    return this.nextAttemptId++;
  }

  beginAttempt(inv: ActiveInvocation, workerId: number, now: number): AttemptRef {
    const attempt: AttemptRef = { attemptId: this.newAttemptId(), workerId, startedAt: now, newEntries: 0 };
    inv.attempt = attempt;
    this.attempts.set(attempt.attemptId, inv);
    return attempt;
  }

  /** The attempt is over; returns it (undefined if none ran). */
  endAttempt(inv: ActiveInvocation): AttemptRef | undefined {
    const attempt = inv.attempt;
    inv.attempt = undefined;
    if (attempt) this.attempts.delete(attempt.attemptId);
    return attempt;
  }

  byAttempt(attemptId: number): ActiveInvocation | undefined {
    return this.attempts.get(attemptId);
  }

  /** The invocations with an attempt on `workerId`. */
  onWorker(workerId: number): ActiveInvocation[] {
    return [...this.attempts.values()].filter((inv) => inv.attempt?.workerId === workerId);
  }

  // --- idempotency -------------------------------------------------------------------

  idempotent(mapKey: string): string | undefined {
    return this.idempotency.get(mapKey);
  }

  rememberIdempotency(mapKey: string, id: string): void {
    this.idempotency.set(mapKey, id);
  }

  forgetIdempotency(mapKey: string, id: string): void {
    if (this.idempotency.get(mapKey) === id) this.idempotency.delete(mapKey);
  }

  // --- clients waiting for a completion ---------------------------------------------------

  /** Resolves with the completion passed to `completed`; `signal` removes the waiter. */
  waitForCompletion(id: string, signal?: AbortSignal): Promise<Completion> {
    return new Promise((resolve, reject) => {
      const w: CompletionWaiter = { resolve, reject };
      let set = this.clients.get(id);
      if (!set) this.clients.set(id, (set = new Set()));
      set.add(w);
      signal?.addEventListener(
        "abort",
        () => {
          const s = this.clients.get(id);
          s?.delete(w);
          if (s?.size === 0) this.clients.delete(id);
        },
        { once: true },
      );
    });
  }

  /** The completion is durable: its clients hear it. */
  completed(completion: Completion): void {
    const set = this.clients.get(completion.id);
    this.clients.delete(completion.id);
    for (const w of set ?? []) w.resolve(completion);
  }

  /** Nothing can be made durable any more: every waiting client hears `error`. */
  refuseAll(error: Error): void {
    for (const set of this.clients.values()) for (const w of set) w.reject(error);
    this.clients.clear();
  }

  // --- entries waiting for another invocation ------------------------------------------------

  addEntryWaiter(targetId: string, waiter: EntryWaiter): void {
    const list = this.entryWaiters.get(targetId) ?? [];
    if (!list.some((w) => w.id === waiter.id && w.index === waiter.index)) list.push(waiter);
    this.entryWaiters.set(targetId, list);
  }

  dropEntryWaiter(targetId: string, id: string, index: number): void {
    dropWaiter(this.entryWaiters, targetId, id, index);
  }

  /** The target completed: the entries to complete with its result. */
  takeEntryWaiters(targetId: string): EntryWaiter[] {
    const list = this.entryWaiters.get(targetId) ?? [];
    this.entryWaiters.delete(targetId);
    return list;
  }

  // --- completions not durable yet -----------------------------------------------------------

  markCompleting(id: string, result: Result): void {
    this.completing.set(id, result);
  }

  /** The result of an invocation whose completion is queued but not durable yet. */
  completingResult(id: string): Result | undefined {
    return this.completing.get(id);
  }

  // --- awakeable resolutions that came first ---------------------------------------------------

  early(id: string, index: number): Result | undefined {
    return this.earlyResults.get(id)?.get(index);
  }

  /** Records an early resolution; false if one is recorded for that entry already (first value wins). */
  addEarly(id: string, index: number, result: Result): boolean {
    let m = this.earlyResults.get(id);
    if (!m) this.earlyResults.set(id, (m = new Map()));
    if (m.has(index)) return false;
    m.set(index, result);
    return true;
  }

  /** The invocation completed: true if it had early resolutions (their rows go too). */
  dropEarly(id: string): boolean {
    return this.earlyResults.delete(id);
  }
}

export function dropWaiter<K>(map: Map<K, EntryWaiter[]>, k: K, id: string, index: number): void {
  const list = map.get(k);
  if (!list) return;
  const rest = list.filter((w) => w.id !== id || w.index !== index);
  if (rest.length > 0) map.set(k, rest);
  else map.delete(k);
}
