/** The engine's in-memory view of an invocation that has not completed yet. */
import type { JournalEntry } from "../../sdk/worker/protocol.js";
import type { ClockTimer } from "./clock.js";
import type { InvocationRow } from "../storage/queries.js";
import { entryFromRow, toBytes, type EntryRow } from "../storage/codec.js";
import { instanceKey } from "./flow_control.js";

export type InvocationStatus = "pending" | "scheduled" | "ready" | "running" | "suspended" | "backing-off" | "paused" | "completed";

export type ServiceType = "service" | "virtual_object" | "workflow";
export type HandlerType = "exclusive" | "shared" | "workflow";

export interface AttemptRef {
  aid: number;
  workerId: number;
  startedAt: number;
  /** Journal entries this attempt added (not replayed). */
  newEntries: number;
}

export interface ActiveInvocation {
  id: string;
  service: string;
  handler: string;
  key: string | undefined;
  serviceType: ServiceType;
  handlerType: HandlerType | undefined;
  status: InvocationStatus;
  input: Uint8Array;
  headers: Array<[string, string]>;
  idempotencyKey: string | undefined;
  seed: string;
  parent: { id: string; index: number | undefined } | undefined;
  journal: Map<number, JournalEntry>;
  /** Failed attempts so far. */
  retryCount: number;
  nextRetryAt: number | undefined;
  scheduledAt: number | undefined;
  inboxSeq: number | undefined;
  createdAt: number;
  attempt: AttemptRef | undefined;
  timer: ClockTimer | undefined;
  /** For ctx.run retry policies: failures since the last new journal entry. */
  retriesSinceEntry: number;
  lastEntryAt: number;
  lastFailure: string | undefined;
  /** Next completion sequence number. */
  nextSeq: number;
  cancel: { seq: number; observedIndex?: number } | undefined;
  /** While suspended: the entries whose completion resumes it. */
  waitingOn: Set<number> | undefined;
  /** Inactivity, then abort timer of the running attempt. */
  inactivity: ClockTimer | undefined;
  restartedFrom: string | undefined;
  /** Flow control (flow_control.ts): the scope it runs in, and its limit key. */
  scope?: string | undefined;
  limitKey?: string | undefined;
}

/** Exclusive handlers of objects and workflow runs hold the key's lock. */
export function holdsLock(inv: Pick<ActiveInvocation, "key" | "handlerType">): boolean {
  return inv.key !== undefined && (inv.handlerType === "exclusive" || inv.handlerType === "workflow");
}

export function fromRow(row: InvocationRow, entries: EntryRow[]): ActiveInvocation {
  const journal = new Map<number, JournalEntry>();
  let maxSeq = row.cancel_seq ?? 0;
  for (const r of entries) {
    journal.set(r.idx, entryFromRow(r));
    maxSeq = Math.max(maxSeq, r.completion_seq ?? 0);
  }
  return {
    id: row.id,
    service: row.service,
    handler: row.handler,
    key: row.key ?? undefined,
    serviceType: row.service_type as ServiceType,
    handlerType: (row.handler_type ?? undefined) as HandlerType | undefined,
    status: row.status as InvocationStatus,
    input: toBytes(row.input),
    headers: JSON.parse(row.headers) as Array<[string, string]>,
    idempotencyKey: row.idempotency_key ?? undefined,
    seed: row.seed,
    parent: row.invoked_by_id ? { id: row.invoked_by_id, index: row.invoked_by_index ?? undefined } : undefined,
    journal,
    retryCount: row.retry_count,
    nextRetryAt: row.next_retry_at ?? undefined,
    scheduledAt: row.scheduled_at ?? undefined,
    inboxSeq: row.inbox_seq ?? undefined,
    createdAt: row.created_at,
    attempt: undefined,
    timer: undefined,
    retriesSinceEntry: 0,
    lastEntryAt: row.modified_at,
    lastFailure: row.last_failure ?? undefined,
    nextSeq: maxSeq + 1,
    cancel: row.cancel_seq !== null ? { seq: row.cancel_seq, ...(row.cancel_observed_index !== null ? { observedIndex: row.cancel_observed_index } : {}) } : undefined,
    waitingOn: row.suspended_waiting ? new Set(JSON.parse(row.suspended_waiting) as number[]) : undefined,
    inactivity: undefined,
    restartedFrom: row.restarted_from ?? undefined,
    scope: row.scope ?? undefined,
    limitKey: row.limit_key ?? undefined,
  };
}

/** The key its object's state and lock are kept under: the key, within its scope. */
export function objectKey(inv: Pick<ActiveInvocation, "key" | "scope">): string {
  return instanceKey(inv.key, inv.scope)!;
}

export function describeTarget(inv: Pick<ActiveInvocation, "service" | "handler" | "key">): string {
  return inv.key !== undefined ? `${inv.service}/${inv.key}/${inv.handler}` : `${inv.service}/${inv.handler}`;
}

/** Idempotency records are keyed by target and key, as in Restate (the body is not compared). */
export function idempotencyMapKey(req: { service: string; key?: string | null; handler: string; idempotencyKey?: string | null; scope?: string | undefined }): string {
  // Per scope: the key part is the instance key (recovery reads it back as stored).
  const key = req.scope !== undefined ? instanceKey(req.key ?? undefined, req.scope) : req.key;
  return `${req.service}\u0000${key ?? ""}\u0000${req.handler}\u0000${req.idempotencyKey}`;
}
