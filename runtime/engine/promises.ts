/**
 * Workflow durable promises: completed ones (SQLite, plus those whose row is
 * not committed yet) and the GetPromise entries waiting for them. The
 * lifecycle writes the rows and completes the entries this returns.
 */
import type { Result } from "../../sdk/worker/protocol.js";
import { resultFromColumns } from "../storage/codec.js";
import type { Queries } from "../storage/queries.js";
import { dropWaiter } from "./store.js";
import type { EntryWaiter } from "./waits.js";

export interface PromiseRef {
  service: string;
  key: string;
  name: string;
}

function promiseKey(p: PromiseRef): string {
  return `${p.service}\u0000${p.key}\u0000${p.name}`;
}

export class DurablePromises {
  private readonly waiters = new Map<string, EntryWaiter[]>();
  /** Completed promises whose row may not be committed yet. */
  private readonly recent = new Map<string, Result>();

  constructor(private readonly q: Queries) {}

  /** The promise's value, if it is completed. */
  stored(p: PromiseRef): Result | undefined {
    const recent = this.recent.get(promiseKey(p));
    if (recent) return recent;
    const row = this.q.getPromise(p.service, p.key, p.name);
    return row ? resultFromColumns(row.result_kind, row.result) : undefined;
  }

  wait(p: PromiseRef, waiter: EntryWaiter): void {
    const k = promiseKey(p);
    const list = this.waiters.get(k) ?? [];
    list.push(waiter);
    this.waiters.set(k, list);
  }

  drop(p: PromiseRef, id: string, index: number): void {
    dropWaiter(this.waiters, promiseKey(p), id, index);
  }

  /**
   * The promise is completed now (its row queued, not durable yet): returns the
   * entries waiting for it, and what to call once the row is durable.
   */
  complete(p: PromiseRef, result: Result): { waiters: EntryWaiter[]; durable: () => void } {
    const k = promiseKey(p);
    this.recent.set(k, result);
    const waiters = this.waiters.get(k) ?? [];
    this.waiters.delete(k);
    return { waiters, durable: () => this.recent.delete(k) };
  }
}
