/** Awakeables and workflow durable promises. */
import type { JournalEntry, Result } from "../../sdk/worker/protocol.js";
import { parseAwakeableId } from "../../sdk/awakeable_id.js";
import { resultFromColumns } from "../storage/codec.js";
import type { Engine } from "./engine.js";
import { EngineError } from "./errors.js";
import type { ActiveInvocation } from "./invocation.js";

/** Resolves or rejects an awakeable; unknown or completed ones are ignored (first value wins). */
export function completeAwakeable(e: Engine, awakeableId: string, result: Result): void {
  const parsed = parseAwakeableId(awakeableId);
  if (!parsed) throw new EngineError("BAD_AWAKEABLE_ID", 400, `bad awakeable id '${awakeableId}': bad format`);
  const inv = e.active.get(parsed.invocationId);
  if (!inv) return;
  const entry = inv.journal.get(parsed.index);
  if (entry) {
    if (entry.type === "Awakeable") e.completeEntry(inv, parsed.index, result);
    return;
  }
  // The id reached someone before the attempt's Awakeable command reached the
  // engine (ids are made in the worker): keep the resolution, durably, until it does.
  const early = e.earlyFor(inv.id);
  if (parsed.index < 1 || early.has(parsed.index)) return;
  early.set(parsed.index, result);
  const now = e.clock.now();
  e.commit.enqueue(() => e.q.insertEarlyCompletion(inv.id, parsed.index, result, now));
}

export function promiseKey(e: Engine, inv: ActiveInvocation, name: string): string {
  return `${inv.service}\u0000${inv.key}\u0000${name}`;
}

export function storedPromise(e: Engine, inv: ActiveInvocation, name: string): Result | undefined {
  const recent = e.recentPromises.get(promiseKey(e, inv, name));
  if (recent) return recent;
  const row = e.q.getPromise(inv.service, inv.key!, name);
  return row ? resultFromColumns(row.result_kind, row.result) : undefined;
}

export function waitForPromise(e: Engine, inv: ActiveInvocation, entry: JournalEntry): void {
  const stored = storedPromise(e, inv, entry.name!);
  if (stored) {
    e.completeEntry(inv, entry.index, stored);
    return;
  }
  const k = promiseKey(e, inv, entry.name!);
  const list = e.promiseWaiters.get(k) ?? [];
  list.push({ id: inv.id, index: entry.index });
  e.promiseWaiters.set(k, list);
}

export function onPromiseCommand(e: Engine, inv: ActiveInvocation, entry: JournalEntry): void {
  const name = entry.name!;
  const stored = storedPromise(e, inv, name);
  if (entry.type === "PeekPromise") {
    e.completeEntry(inv, entry.index, stored ?? { kind: "empty" });
    return;
  }
  if (stored) {
    e.completeEntry(inv, entry.index, { kind: "failure", code: 409, message: "promise was already completed" });
    return;
  }
  const completion = entry.completion!;
  const now = e.clock.now();
  const { service, key } = inv;
  const k = promiseKey(e, inv, name);
  e.recentPromises.set(k, completion);
  e.commit.enqueue(
    () => e.q.insertPromise(service, key!, name, completion, now),
    () => e.recentPromises.delete(k),
  );
  e.completeEntry(inv, entry.index, { kind: "empty" });
  for (const w of e.promiseWaiters.get(k) ?? []) {
    const waiting = e.active.get(w.id);
    if (waiting) e.completeEntry(waiting, w.index, completion);
  }
  e.promiseWaiters.delete(k);
}
