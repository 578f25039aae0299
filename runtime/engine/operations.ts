/** Operator actions (admin API): cancel, kill, pause, resume, purge, restart-as-new, state repair. */
import type { JournalEntry, Result } from "../../sdk/worker/protocol.js";
import { entryFromRow, isCompleted, toBytes } from "../storage/codec.js";
import type { InvocationRow } from "../storage/queries.js";
import type { Engine, StateChange } from "./engine.js";
import { EngineError } from "./errors.js";
import { idempotencyMapKey, type ActiveInvocation } from "./invocation.js";
import { setPaused } from "./failures.js";

const KILLED: Result = { kind: "failure", code: 409, message: "killed" };
const CANCELLED: Result = { kind: "failure", code: 409, message: "Cancelled" };

export function activeOr404(e: Engine, id: string, completedMessage: string): ActiveInvocation {
  const inv = e.active.get(id);
  if (inv && inv.status !== "completed") return inv;
  if (inv || e.q.getInvocation(id)) throw new EngineError("CONFLICT", 409, completedMessage);
  throw new EngineError("NOT_FOUND", 404, `The requested invocation '${id}' does not exist`);
}

export function tryOperator(e: Engine, fn: () => void): void {
  try {
    fn();
  } catch {
    // cancelling something already completed or unknown from a handler is a no-op
  }
}

/** Cancel: the handler gets a CancelledError at its next await and may compensate; child calls are cancelled too. */
export function cancel(e: Engine, id: string): void {
  const inv = activeOr404(e, id, `The invocation '${id}' was already completed.`);
  if (inv.cancel) return;
  if (inv.status === "pending" || inv.status === "scheduled") {
    // Never started: nothing to compensate.
    e.complete(inv, CANCELLED);
    return;
  }
  const seq = inv.nextSeq++;
  inv.cancel = { seq };
  const now = e.clock.now();
  e.commit.enqueue(
    () => e.q.setCancel(id, seq, null, now),
    () => {
      const attempt = inv.attempt;
      if (attempt) e.workers.get(attempt.workerId)?.send({ t: "cancel", aid: attempt.aid, seq });
      else if (e.active.has(id)) {
        // Suspended, backing off or paused: run it now so the handler sees the cancel.
        if (inv.timer) e.clock.clearTimeout(inv.timer);
        inv.timer = undefined;
        e.startAttempt(inv);
      }
    },
  );
  for (const child of childCalls(e, inv)) tryOperator(e, () => cancel(e, child));
}

/** Kill: ends the invocation at once with 409 "killed"; no user code runs; child calls are killed too. */
export function kill(e: Engine, id: string): void {
  const inv = activeOr404(e, id, `The invocation '${id}' was already completed.`);
  const attempt = inv.attempt;
  if (attempt) e.workers.get(attempt.workerId)?.send({ t: "abort", aid: attempt.aid });
  const children = childCalls(e, inv);
  e.complete(inv, KILLED);
  for (const child of children) tryOperator(e, () => kill(e, child));
}

export function childCalls(e: Engine, inv: ActiveInvocation): string[] {
  return [...inv.journal.values()].filter((e) => e.type === "Call" && !e.result && e.target?.invocationId).map((e) => e.target!.invocationId!);
}

/** Pause: stops running or retrying; resume, restart or kill it later. */
export function pause(e: Engine, id: string): void {
  const inv = activeOr404(e, id, `The invocation '${id}' is not running, cannot be paused.`);
  if (inv.status === "paused") return;
  if (inv.status === "pending" || inv.status === "scheduled") {
    throw new EngineError("CONFLICT", 409, `The invocation '${id}' is not running, cannot be paused.`);
  }
  const attempt = inv.attempt;
  if (attempt) e.workers.get(attempt.workerId)?.send({ t: "abort", aid: attempt.aid });
  e.endAttempt(inv);
  setPaused(e, inv, inv.lastFailure);
}

/** Resume a paused, suspended or backing-off invocation now. */
export function resume(e: Engine, id: string): void {
  const inv = activeOr404(e, id, `The invocation '${id}' is completed, cannot be resumed.`);
  if (inv.status === "pending" || inv.status === "scheduled") {
    throw new EngineError("TOO_EARLY", 425, `The invocation '${id}' is either inboxed or scheduled, cannot be resumed.`);
  }
  if (inv.attempt) return;
  if (inv.timer) e.clock.clearTimeout(inv.timer);
  inv.timer = undefined;
  e.setStatus(inv, "ready");
  e.startAttempt(inv);
}

/** Purge a completed invocation: journal, result and metadata are forgotten. */
export function purge(e: Engine, id: string): void {
  if (e.active.has(id)) throw new EngineError("CONFLICT", 409, `The invocation '${id}' is not yet completed.`);
  const row = e.q.getInvocation(id);
  if (!row) throw new EngineError("NOT_FOUND", 404, `The requested invocation '${id}' does not exist`);
  forget(e, row);
}

export function forget(e: Engine, row: Pick<InvocationRow, "id" | "service" | "key" | "handler" | "handler_type" | "idempotency_key">): void {
  if (row.idempotency_key !== null) {
    const k = idempotencyMapKey({ ...row, idempotencyKey: row.idempotency_key });
    if (e.idempotency.get(k) === row.id) e.idempotency.delete(k);
  }
  e.commit.enqueue(() => {
    e.q.deleteInvocation(row.id);
    if (row.handler_type === "workflow" && row.key !== null) {
      // A workflow's state and promises live as long as its run is retained.
      e.q.clearAllState(row.service, row.key);
      e.q.deletePromises(row.service, row.key);
    }
  });
}

/**
 * Restart a completed invocation as a new one with the same input and
 * headers. With `from`, journal entries 1..from are copied (they must all
 * be completed); `overrides` replaces recorded values of copied entries.
 */
export function restartAsNew(e: Engine, id: string, from?: number, overrides?: Map<number, Uint8Array>): string {
  if (e.active.has(id)) throw new EngineError("CONFLICT", 409, `The invocation '${id}' is still running.`);
  const row = e.q.getInvocation(id);
  if (!row) throw new EngineError("NOT_FOUND", 404, `The requested invocation '${id}' does not exist`);
  if (row.handler_type === "workflow") throw new EngineError("UNSUPPORTED", 422, `The invocation '${id}' is a workflow run: restarting workflows is not supported.`);
  const journal = new Map<number, JournalEntry>();
  if (from !== undefined && from > 0) {
    const entries = e.q.journal(id).map((r) => ({ ...r }));
    const last = entries.length ? entries[entries.length - 1]!.idx : 0;
    if (from > last) throw new EngineError("OUT_OF_RANGE", 400, `The given index is out of range of currently stored journal for invocation '${id}'.`);
    for (const r of entries) {
      if (r.idx > from) break;
      const e = entryFromRow(r);
      if (!isCompleted(e)) {
        throw new EngineError("BAD_RANGE", 400, `The journal prefix of invocation '${id}' up to entry ${from} holds entry ${e.index} (${e.type}) without its completion: restart from an earlier entry.`);
      }
      journal.set(e.index, e);
    }
  }
  for (const [k, value] of overrides ?? []) {
    const e = journal.get(k);
    if (!e || !e.result) throw new EngineError("BAD_OVERRIDE", 400, `entry ${k} is not a completed entry of the copied prefix (1..${from ?? 0})`);
    e.result = { kind: "value", value };
  }
  const accepted = e.invoke(
    {
      service: row.service,
      handler: row.handler,
      ...(row.key !== null ? { key: row.key } : {}),
      input: toBytes(row.input),
      headers: JSON.parse(row.headers),
      ...(row.scope !== null ? { scope: row.scope } : {}),
      ...(row.limit_key !== null ? { limitKey: row.limit_key } : {}),
    },
    undefined,
    { from: id, journal },
  );
  return accepted.invocationId;
}

/** Writes state of a key (repair, tests). Serialized with the key's invocations through the commit order. */
export function writeState(e: Engine, service: string, key: string, change: StateChange): void {
  const svc = e.services.get(service);
  if (!svc) throw new EngineError("NOT_FOUND", 404, `The requested service '${service}' does not exist`);
  if (svc.ty === "SERVICE") throw new EngineError("BAD_REQUEST", 400, `'${service}' is a service: only virtual objects and workflows have state`);
  if ("replace" in change) {
    e.applyState(service, key, { type: "ClearAllState" });
    for (const [name, value] of change.replace) e.applyState(service, key, { type: "SetState", name, value });
  } else if ("set" in change) e.applyState(service, key, { type: "SetState", name: change.set, value: change.value });
  else if ("clear" in change) e.applyState(service, key, { type: "ClearState", name: change.clear });
  else e.applyState(service, key, { type: "ClearAllState" });
}
