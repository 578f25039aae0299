/**
 * Restate 1.7's flow control (on always in restate-dev): scopes, limit keys and
 * the concurrency rules of the rule book.
 *
 * - A scope is a namespace: an object's state and lock, and idempotency keys,
 *   belong to (scope, service, key). The engine keeps one "instance key" per
 *   (scope, key) for them (`instanceKey`); unscoped, it is the key itself.
 * - A rule caps how many invocations of a scope (or of a scope's limit key) run
 *   at once. An invocation takes a slot when its first attempt would start and
 *   keeps it until it completes; while it waits its status is `pending`.
 *   Slots are rebuilt on recovery from which invocations have started.
 */
import type { RuleBook } from "./rule_book.js";

export { instanceKey, limitKeyError, scopeError } from "./scopes.js";

/** What a flow-controlled invocation needs to say about itself. */
export interface FlowSubject {
  id: string;
  scope?: string | undefined;
  limitKey?: string | undefined;
}

/**
 * Concurrency slots per budget (a rule and the values its pattern matched).
 * The engine asks `tryAdmit` before an invocation's first attempt and calls
 * `release` when it completes; `onAdmit` hears which waiting invocations may
 * start after a release or a rule change.
 */
export class FlowControl {
  /** Invocation id → the budgets it holds a slot of. */
  private readonly admitted = new Map<string, string[]>();
  private readonly used = new Map<string, number>();
  /** Waiting invocations in arrival order. */
  private readonly waiting = new Map<string, FlowSubject>();
  private onAdmit: (id: string) => void = () => undefined;

  constructor(private readonly rules: RuleBook | undefined) {
    rules?.onChange(() => this.admitWaiting());
  }

  /** Where admitted invocations go (the engine starts their attempt). */
  listen(onAdmit: (id: string) => void): void {
    this.onAdmit = onAdmit;
  }

  isAdmitted(id: string): boolean {
    return this.admitted.has(id);
  }

  isWaiting(id: string): boolean {
    return this.waiting.has(id);
  }

  /** True when the invocation may run now (it then holds its slots); false: it waits, and `onAdmit` hears when it may. */
  tryAdmit(inv: FlowSubject): boolean {
    if (this.admitted.has(inv.id)) return true;
    if (inv.scope === undefined || !this.rules) {
      this.admitted.set(inv.id, []);
      return true;
    }
    const budgets = this.rules.budgetsFor(inv.scope, inv.limitKey);
    const full = budgets.some(({ rule, budget }) => (this.used.get(budget) ?? 0) >= rule.concurrency!);
    // First come, first served: nobody overtakes an earlier waiter of the same budgets.
    if (full || (!this.waiting.has(inv.id) && this.queuedAhead(budgets.map((b) => b.budget)))) {
      this.waiting.set(inv.id, inv);
      return false;
    }
    this.waiting.delete(inv.id);
    this.take(inv.id, budgets.map((b) => b.budget));
    return true;
  }

  /** Recovery: an invocation that had started holds its slots again, whatever the rules say now. */
  restore(inv: FlowSubject): void {
    if (this.admitted.has(inv.id)) return;
    const budgets = inv.scope !== undefined && this.rules ? this.rules.budgetsFor(inv.scope, inv.limitKey).map((b) => b.budget) : [];
    this.take(inv.id, budgets);
  }

  /** The invocation completed (or was killed): its slots go to whoever waits. */
  release(id: string): void {
    this.waiting.delete(id);
    const held = this.admitted.get(id);
    if (!held) return;
    this.admitted.delete(id);
    for (const b of held) {
      const n = (this.used.get(b) ?? 1) - 1;
      if (n > 0) this.used.set(b, n);
      else this.used.delete(b);
    }
    if (held.length > 0) this.admitWaiting();
  }

  private take(id: string, budgets: string[]): void {
    this.admitted.set(id, budgets);
    for (const b of budgets) this.used.set(b, (this.used.get(b) ?? 0) + 1);
  }

  private queuedAhead(budgets: string[]): boolean {
    if (budgets.length === 0 || this.waiting.size === 0 || !this.rules) return false;
    for (const w of this.waiting.values()) {
      const theirs = this.rules.budgetsFor(w.scope!, w.limitKey).map((b) => b.budget);
      if (theirs.some((b) => budgets.includes(b))) return true;
    }
    return false;
  }

  private admitWaiting(): void {
    for (const w of [...this.waiting.values()]) {
      if (!this.waiting.has(w.id)) continue;
      const budgets = this.rules!.budgetsFor(w.scope!, w.limitKey);
      if (budgets.some(({ rule, budget }) => (this.used.get(budget) ?? 0) >= rule.concurrency!)) continue;
      this.waiting.delete(w.id);
      this.take(w.id, budgets.map((b) => b.budget));
      this.onAdmit(w.id);
    }
  }
}
