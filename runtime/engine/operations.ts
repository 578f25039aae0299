/**
 * Operator actions (admin API, the testing kit): cancel, kill, pause, resume,
 * purge, restart-as-new, state repair. Each checks what the operator asked
 * for, has the lifecycle (engine.ts) carry it out, and settles once what it
 * wrote is durable. This module imports the engine; the engine never imports it.
 */
import type { JournalEntry } from "../../sdk/worker/protocol.js";
import { entryFromRow, isCompleted, toBytes } from "../storage/codec.js";
import type { Engine, StateChange } from "./engine.js";
import { requestError } from "../errors.js";
import { instanceKey } from "./scopes.js";
import type { ActiveInvocation } from "./invocation.js";

function activeOr404(engine: Engine, id: string, completedMessage: string): ActiveInvocation {
  const inv = engine.activeInvocation(id);
  if (inv && inv.status !== "completed") return inv;
  if (inv || engine.storedInvocation(id)) throw requestError("CONFLICT", 409, completedMessage);
  throw requestError("NOT_FOUND", 404, `The requested invocation '${id}' does not exist`);
}

/** Cancel: the handler gets a CancelledError at its next await and may compensate; child calls are cancelled too. */
export function cancel(engine: Engine, id: string): Promise<void> {
  return engine.durably(() => {
    activeOr404(engine, id, `The invocation '${id}' was already completed.`);
    engine.cancelInvocation(id);
  });
}

/** Kill: ends the invocation at once with 409 "killed"; no user code runs; child calls are killed too. */
export function kill(engine: Engine, id: string): Promise<void> {
  return engine.durably(() => {
    activeOr404(engine, id, `The invocation '${id}' was already completed.`);
    engine.killInvocation(id);
  });
}

/** Pause: stops running or retrying; resume, restart or kill it later. */
export function pause(engine: Engine, id: string): Promise<void> {
  return engine.durably(() => {
    const inv = activeOr404(engine, id, `The invocation '${id}' is not running, cannot be paused.`);
    if (inv.status === "paused") return;
    if (inv.status === "pending" || inv.status === "scheduled") {
      throw requestError("CONFLICT", 409, `The invocation '${id}' is not running, cannot be paused.`);
    }
    engine.pauseInvocation(inv);
  });
}

/**
 * Resume a paused, suspended or backing-off invocation now. `deployment`
 * (`latest`, `keep` or a `dp_…` id, as Restate's) pins it to that build first;
 * a running attempt on another build suspends and continues there by replay.
 */
export function resume(engine: Engine, id: string, deployment?: string): Promise<void> {
  return engine.durably(() => {
    const inv = activeOr404(engine, id, `The invocation '${id}' is completed, cannot be resumed.`);
    if (inv.status === "pending" || inv.status === "scheduled") {
      throw requestError("TOO_EARLY", 425, `The invocation '${id}' is either inboxed or scheduled, cannot be resumed.`);
    }
    if (deployment !== undefined && deployment !== "keep") {
      const target = deployment === "latest" ? engine.latestDeployment() : deployment;
      if (target === undefined) throw requestError("NO_DEPLOYMENT", 409, `No deployment is loaded yet, so the invocation '${id}' cannot move to one.`);
      if (!engine.keepsDeployment(target)) {
        throw requestError("NOT_KEPT", 409, `The build of deployment '${target}' is no longer kept (nothing was pinned to it); the invocation '${id}' can move to latest.`);
      }
      engine.moveInvocation(inv, target);
    }
    engine.resumeInvocation(inv);
  });
}

/** Purge a completed invocation: journal, result and metadata are forgotten. */
export function purge(engine: Engine, id: string): Promise<void> {
  return engine.durably(() => {
    if (engine.activeInvocation(id)) throw requestError("CONFLICT", 409, `The invocation '${id}' is not yet completed.`);
    const row = engine.storedInvocation(id);
    if (!row) throw requestError("NOT_FOUND", 404, `The requested invocation '${id}' does not exist`);
    engine.forget(row);
  });
}

/**
 * Restart a completed invocation as a new one with the same input and
 * headers. With `from`, journal entries 1..from are copied (they must all
 * be completed); `overrides` replaces recorded values of copied entries.
 * Resolves with the new invocation's id.
 */
export function restartAsNew(engine: Engine, id: string, from?: number, overrides?: Map<number, Uint8Array>): Promise<string> {
  return engine.durably(() => {
    if (engine.activeInvocation(id)) throw requestError("CONFLICT", 409, `The invocation '${id}' is still running.`);
    const row = engine.storedInvocation(id);
    if (!row) throw requestError("NOT_FOUND", 404, `The requested invocation '${id}' does not exist`);
    if (row.handler_type === "workflow") throw requestError("UNSUPPORTED", 422, `The invocation '${id}' is a workflow run: restarting workflows is not supported.`);
    const journal = new Map<number, JournalEntry>();
    if (from !== undefined && from > 0) {
      const rows = engine.storedJournal(id).map((r) => ({ ...r }));
      const last = rows.length ? rows[rows.length - 1]!.idx : 0;
      if (from > last) throw requestError("OUT_OF_RANGE", 400, `The given index is out of range of currently stored journal for invocation '${id}'.`);
      for (const r of rows) {
        if (r.idx > from) break;
        const entry = entryFromRow(r);
        if (!isCompleted(entry)) {
          throw requestError("BAD_RANGE", 400, `The journal prefix of invocation '${id}' up to entry ${from} holds entry ${entry.index} (${entry.type}) without its completion: restart from an earlier entry.`);
        }
        journal.set(entry.index, entry);
      }
    }
    for (const [index, value] of overrides ?? []) {
      const entry = journal.get(index);
      if (!entry || !entry.result) throw requestError("BAD_OVERRIDE", 400, `entry ${index} is not a completed entry of the copied prefix (1..${from ?? 0})`);
      entry.result = { kind: "value", value };
    }
    const accepted = engine.invoke(
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
  });
}

/** Writes state of a key (repair, tests). Serialized with the key's invocations through the commit order. */
export function writeState(engine: Engine, service: string, objectKey: string, change: StateChange, scope?: string): Promise<void> {
  // A scope's copy of the key is a key of its own (flow control).
  const key = instanceKey(objectKey, scope)!;
  return engine.durably(() => {
    const svc = engine.service(service);
    if (!svc) throw requestError("NOT_FOUND", 404, `The requested service '${service}' does not exist`);
    if (svc.ty === "SERVICE") throw requestError("BAD_REQUEST", 400, `'${service}' is a service: only virtual objects and workflows have state`);
    if ("replace" in change) {
      engine.applyState(service, key, { type: "ClearAllState" });
      for (const [name, value] of change.replace) engine.applyState(service, key, { type: "SetState", name, value });
    } else if ("set" in change) engine.applyState(service, key, { type: "SetState", name: change.set, value: change.value });
    else if ("clear" in change) engine.applyState(service, key, { type: "ClearState", name: change.clear });
    else engine.applyState(service, key, { type: "ClearAllState" });
  });
}
