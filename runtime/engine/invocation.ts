/** The engine's in-memory view of an invocation that has not completed yet. */
import type { JournalEntry, StartAttempt } from "../../sdk/worker/protocol.js";
import type { InvocationRow, NewInvocation } from "../storage/queries.js";
import { entryFromRow, toBytes, type EntryRow } from "../storage/codec.js";
import { instanceKey } from "./scopes.js";

export type InvocationStatus = "pending" | "scheduled" | "ready" | "running" | "suspended" | "backing-off" | "paused" | "completed";

export type ServiceType = "service" | "virtual_object" | "workflow";
export type HandlerType = "exclusive" | "shared" | "workflow";

export interface AttemptRef {
  attemptId: number;
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
  /** For ctx.run retry policies: failures since the last new journal entry. */
  retriesSinceEntry: number;
  lastEntryAt: number;
  lastFailure: string | undefined;
  /** Next completion sequence number. */
  nextSeq: number;
  cancel: { seq: number; observedIndex?: number } | undefined;
  /** While suspended: the entries whose completion resumes it. */
  waitingOn: Set<number> | undefined;
  restartedFrom: string | undefined;
  /** Flow control (flow_control.ts): the scope it runs in, and its limit key. */
  scope?: string | undefined;
  limitKey?: string | undefined;
  /** The deployment (build) it runs on: the newest when it was made, until a reload or an operator moves it; undefined without deployments (the testing kit). */
  deploymentId?: string | undefined;
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
    retriesSinceEntry: 0,
    lastEntryAt: row.modified_at,
    lastFailure: row.last_failure ?? undefined,
    nextSeq: maxSeq + 1,
    cancel: row.cancel_seq !== null ? { seq: row.cancel_seq, ...(row.cancel_observed_index !== null ? { observedIndex: row.cancel_observed_index } : {}) } : undefined,
    waitingOn: row.suspended_waiting ? new Set(JSON.parse(row.suspended_waiting) as number[]) : undefined,
    restartedFrom: row.restarted_from ?? undefined,
    scope: row.scope ?? undefined,
    limitKey: row.limit_key ?? undefined,
    deploymentId: row.deployment_id ?? undefined,
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

/** The row that inserts a new invocation (retries, failures and results come later). */
export function toRow(inv: ActiveInvocation): NewInvocation {
  return {
    id: inv.id,
    service: inv.service,
    handler: inv.handler,
    key: inv.key ?? null,
    service_type: inv.serviceType,
    handler_type: inv.handlerType ?? null,
    status: inv.status,
    input: inv.input,
    headers: JSON.stringify(inv.headers),
    idempotency_key: inv.idempotencyKey ?? null,
    seed: inv.seed,
    invoked_by_id: inv.parent?.id ?? null,
    invoked_by_index: inv.parent?.index ?? null,
    inbox_seq: inv.inboxSeq ?? null,
    retry_count: 0,
    next_retry_at: null,
    scheduled_at: inv.scheduledAt ?? null,
    last_failure: null,
    created_at: inv.createdAt,
    modified_at: inv.createdAt,
    running_at: null,
    restarted_from: inv.restartedFrom ?? null,
    scope: inv.scope ?? null,
    limit_key: inv.limitKey ?? null,
    deployment_id: inv.deploymentId ?? null,
  };
}

/** The highest completion sequence number in a journal (0 if none). */
export function maxSeq(journal: Map<number, JournalEntry> | undefined): number {
  let max = 0;
  for (const entry of journal?.values() ?? []) if ((entry.seq ?? 0) > max) max = entry.seq!;
  return max;
}

/** The invocations an invocation called and still waits for (cancel and kill reach them too). */
export function childCalls(inv: ActiveInvocation): string[] {
  return [...inv.journal.values()].filter((entry) => entry.type === "Call" && !entry.result && entry.target?.invocationId).map((entry) => entry.target!.invocationId!);
}

/** What a worker needs to run (or dry-run) an attempt of `inv`: its target, input, journal so far and state. */
export function startMessageOf(inv: ActiveInvocation, attemptId: number, state: Array<[string, Uint8Array]> | null, now: number): StartAttempt {
  return {
    t: "start",
    attemptId,
    invocationId: inv.id,
    target: { service: inv.service, handler: inv.handler, ...(inv.key !== undefined ? { key: inv.key } : {}) },
    input: inv.input,
    headers: inv.headers,
    ...(inv.idempotencyKey !== undefined ? { idempotencyKey: inv.idempotencyKey } : {}),
    ...(inv.scope !== undefined ? { scope: inv.scope } : {}),
    ...(inv.limitKey !== undefined ? { limitKey: inv.limitKey } : {}),
    journal: [...inv.journal.values()].sort((a, b) => a.index - b.index),
    state,
    seed: inv.seed,
    retryCountSinceLastStoredEntry: inv.retriesSinceEntry,
    durationSinceLastStoredEntry: now - inv.lastEntryAt,
    ...(inv.cancel ? { cancel: { ...inv.cancel } } : {}),
  };
}
