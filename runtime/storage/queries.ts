/** The prepared statements the engine uses: one place for its SQL. */
import type { Db } from "./db.js";
import type { Statement } from "better-sqlite3";
import { entryParams, resultToColumns, type EntryRow } from "./codec.js";
import type { JournalEntry, Result } from "../../sdk/worker/protocol.js";

export interface InvocationRow {
  id: string;
  service: string;
  handler: string;
  key: string | null;
  service_type: string;
  handler_type: string | null;
  status: string;
  input: Buffer;
  headers: string;
  idempotency_key: string | null;
  seed: string;
  invoked_by_id: string | null;
  invoked_by_index: number | null;
  inbox_seq: number | null;
  retry_count: number;
  next_retry_at: number | null;
  scheduled_at: number | null;
  last_failure: string | null;
  result_kind: string | null;
  result: Buffer | null;
  created_at: number;
  modified_at: number;
  running_at: number | null;
  completed_at: number | null;
  cancel_seq: number | null;
  cancel_observed_index: number | null;
  restarted_from: string | null;
  scope: string | null;
  limit_key: string | null;
  suspended_waiting: string | null;
  completion_expires_at: number | null;
  journal_expires_at: number | null;
  /** The deployment it runs on (migration 7): the newest build when it was made, until moved. */
  deployment_id: string | null;
}

export type NewInvocation = Pick<
  InvocationRow,
  | "id" | "service" | "handler" | "key" | "service_type" | "handler_type" | "status" | "headers" | "idempotency_key" | "seed"
  | "invoked_by_id" | "invoked_by_index" | "inbox_seq" | "retry_count" | "next_retry_at" | "scheduled_at" | "last_failure"
  | "created_at" | "modified_at" | "running_at" | "restarted_from" | "scope" | "limit_key" | "deployment_id"
> & { input: Uint8Array };

export interface AttemptFailure {
  invocation_id: string;
  attempt: number;
  at: number;
  code: number;
  message: string;
  stack: string | null;
  related_index: number | null;
  related_type: string | null;
  related_name: string | null;
}

export class Queries {
  private readonly s: Record<string, Statement>;

  constructor(db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertInvocation: p(`INSERT INTO invocations (id, service, handler, key, service_type, handler_type, status, input, headers,
          idempotency_key, seed, invoked_by_id, invoked_by_index, inbox_seq, retry_count, next_retry_at, scheduled_at, last_failure,
          created_at, modified_at, running_at, restarted_from, scope, limit_key, deployment_id)
        VALUES (@id, @service, @handler, @key, @service_type, @handler_type, @status, @input, @headers, @idempotency_key, @seed,
          @invoked_by_id, @invoked_by_index, @inbox_seq, @retry_count, @next_retry_at, @scheduled_at, @last_failure, @created_at, @modified_at,
          @running_at, @restarted_from, @scope, @limit_key, @deployment_id)`),
      setStatus: p(`UPDATE invocations SET status = ?, modified_at = ? WHERE id = ?`),
      setInbox: p(`UPDATE invocations SET status = ?, inbox_seq = ?, modified_at = ? WHERE id = ?`),
      setRunning: p(`UPDATE invocations SET status = 'running', running_at = ?, modified_at = ? WHERE id = ?`),
      setDeployment: p(`UPDATE invocations SET deployment_id = ? WHERE id = ?`),
      setBackingOff: p(`UPDATE invocations SET status = ?, retry_count = ?, next_retry_at = ?, last_failure = ?, modified_at = ? WHERE id = ?`),
      complete: p(`UPDATE invocations SET status = 'completed', result_kind = ?, result = ?, completed_at = ?, modified_at = ?,
          next_retry_at = NULL, completion_expires_at = ?, journal_expires_at = ? WHERE id = ?`),
      getInvocation: p(`SELECT * FROM invocations WHERE id = ?`),
      unfinished: p(`SELECT * FROM invocations WHERE status <> 'completed' ORDER BY created_at, inbox_seq`),
      maxInboxSeq: p(`SELECT COALESCE(MAX(inbox_seq), 0) AS seq FROM invocations`),
      insertEntry: p(`INSERT INTO journal (invocation_id, idx, type, name, value, params, result_kind, result, created_at, completed_at, completion_seq)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      completeEntry: p(`UPDATE journal SET result_kind = ?, result = ?, completed_at = ?, completion_seq = ? WHERE invocation_id = ? AND idx = ?`),
      setSuspended: p(`UPDATE invocations SET status = 'suspended', suspended_waiting = ?, modified_at = ? WHERE id = ?`),
      setCancel: p(`UPDATE invocations SET cancel_seq = ?, cancel_observed_index = ?, modified_at = ? WHERE id = ?`),
      expiredJournals: p(`SELECT id FROM invocations WHERE journal_expires_at IS NOT NULL AND journal_expires_at <= ? LIMIT 1000`),
      expiredInvocations: p(`SELECT id, service, key, handler, handler_type, idempotency_key FROM invocations WHERE completion_expires_at IS NOT NULL AND completion_expires_at <= ? LIMIT 1000`),
      nextExpiry: p(`SELECT MIN(t) AS t FROM (
          SELECT MIN(journal_expires_at) AS t FROM invocations WHERE journal_expires_at IS NOT NULL
          UNION ALL SELECT MIN(completion_expires_at) FROM invocations WHERE completion_expires_at IS NOT NULL)`),
      deleteJournal: p(`DELETE FROM journal WHERE invocation_id = ?`),
      clearJournalExpiry: p(`UPDATE invocations SET journal_expires_at = NULL WHERE id = ?`),
      deleteInvocation: p(`DELETE FROM invocations WHERE id = ?`),
      deleteFailures: p(`DELETE FROM attempt_failures WHERE invocation_id = ?`),
      deleteIdempotency: p(`DELETE FROM idempotency WHERE invocation_id = ?`),
      getPromise: p(`SELECT * FROM promises WHERE service = ? AND key = ? AND name = ?`),
      insertPromise: p(`INSERT INTO promises (service, key, name, result_kind, result, completed_at) VALUES (?, ?, ?, ?, ?, ?)`),
      deletePromises: p(`DELETE FROM promises WHERE service = ? AND key = ?`),
      insertEarly: p(`INSERT OR IGNORE INTO early_completions (invocation_id, idx, result_kind, result, created_at) VALUES (?, ?, ?, ?, ?)`),
      earlyAll: p(`SELECT invocation_id, idx, result_kind, result FROM early_completions`),
      deleteEarly: p(`DELETE FROM early_completions WHERE invocation_id = ?`),
      failures: p(`SELECT * FROM attempt_failures WHERE invocation_id = ? ORDER BY attempt`),
      journal: p(`SELECT * FROM journal WHERE invocation_id = ? ORDER BY idx`),
      setState: p(`INSERT INTO state (service, key, name, value) VALUES (?, ?, ?, ?)
        ON CONFLICT (service, key, name) DO UPDATE SET value = excluded.value`),
      clearState: p(`DELETE FROM state WHERE service = ? AND key = ? AND name = ?`),
      clearAllState: p(`DELETE FROM state WHERE service = ? AND key = ?`),
      loadState: p(`SELECT name, value FROM state WHERE service = ? AND key = ? ORDER BY name`),
      insertIdempotency: p(`INSERT INTO idempotency (service, key, handler, idempotency_key, invocation_id, expires_at) VALUES (?, ?, ?, ?, ?, NULL)`),
      expireIdempotency: p(`UPDATE idempotency SET expires_at = ? WHERE invocation_id = ?`),
      idempotencyRecords: p(`SELECT * FROM idempotency WHERE expires_at IS NULL OR expires_at > ?`),
      insertFailure: p(`INSERT OR REPLACE INTO attempt_failures (invocation_id, attempt, at, code, message, stack, related_index, related_type, related_name)
        VALUES (@invocation_id, @attempt, @at, @code, @message, @stack, @related_index, @related_type, @related_name)`),
    };
  }

  private st(name: string): Statement {
    return this.s[name]!;
  }

  insertInvocation(row: NewInvocation): void {
    this.st("insertInvocation").run(row);
  }
  setStatus(id: string, status: string, now: number): void {
    this.st("setStatus").run(status, now, id);
  }
  setInbox(id: string, status: string, inboxSeq: number, now: number): void {
    this.st("setInbox").run(status, inboxSeq, now, id);
  }
  setRunning(id: string, now: number): void {
    this.st("setRunning").run(now, now, id);
  }
  /** Pins an invocation to a deployment: its next attempts run that build. */
  setDeployment(id: string, deploymentId: string | null): void {
    this.st("setDeployment").run(deploymentId, id);
  }
  setBackingOff(id: string, status: string, retryCount: number, nextRetryAt: number | null, lastFailure: string | null, now: number): void {
    this.st("setBackingOff").run(status, retryCount, nextRetryAt, lastFailure, now, id);
  }
  /** Completes an invocation, with the times its record and its journal expire. */
  complete(id: string, result: Result, now: number, completionExpiresAt: number, journalExpiresAt: number): void {
    const c = resultToColumns(result);
    this.st("complete").run(c.result_kind, c.result, now, now, completionExpiresAt, journalExpiresAt, id);
  }
  getInvocation(id: string): InvocationRow | undefined {
    return this.st("getInvocation").get(id) as InvocationRow | undefined;
  }
  unfinished(): InvocationRow[] {
    return this.st("unfinished").all() as InvocationRow[];
  }
  maxInboxSeq(): number {
    return (this.st("maxInboxSeq").get() as { seq: number }).seq;
  }
  insertEntry(invocationId: string, e: JournalEntry, now: number, completed: boolean): void {
    const c = resultToColumns(e.result);
    this.st("insertEntry").run(invocationId, e.index, e.type, e.name ?? null, e.value ?? null, entryParams(e), c.result_kind, c.result, now, completed ? now : null, e.seq ?? null);
  }
  completeEntry(invocationId: string, index: number, result: Result, now: number, seq: number): void {
    const c = resultToColumns(result);
    this.st("completeEntry").run(c.result_kind, c.result, now, seq, invocationId, index);
  }
  setSuspended(id: string, waitingOn: number[], now: number): void {
    this.st("setSuspended").run(JSON.stringify(waitingOn), now, id);
  }
  setCancel(id: string, seq: number, observedIndex: number | null, now: number): void {
    this.st("setCancel").run(seq, observedIndex, now, id);
  }
  expiredJournals(now: number): string[] {
    return (this.st("expiredJournals").all(now) as Array<{ id: string }>).map((r) => r.id);
  }
  expiredInvocations(now: number): Array<Pick<InvocationRow, "id" | "service" | "key" | "handler" | "handler_type" | "idempotency_key">> {
    return this.st("expiredInvocations").all(now) as any;
  }
  /** When the next journal or result expires, if any does. */
  nextExpiry(): number | undefined {
    return (this.st("nextExpiry").get() as { t: number | null }).t ?? undefined;
  }
  /** Drops the journal of a completed invocation, keeping its result. */
  dropJournal(id: string): void {
    this.st("deleteJournal").run(id);
    this.st("clearJournalExpiry").run(id);
  }
  /** Forgets a completed invocation entirely. */
  deleteInvocation(id: string): void {
    this.st("deleteJournal").run(id);
    this.st("deleteFailures").run(id);
    this.st("deleteIdempotency").run(id);
    this.st("deleteInvocation").run(id);
  }
  getPromise(service: string, key: string, name: string): { result_kind: string; result: Buffer | null } | undefined {
    return this.st("getPromise").get(service, key, name) as any;
  }
  insertPromise(service: string, key: string, name: string, result: Result, now: number): void {
    const c = resultToColumns(result);
    this.st("insertPromise").run(service, key, name, c.result_kind, c.result, now);
  }
  insertEarlyCompletion(id: string, idx: number, result: Result, now: number): void {
    const c = resultToColumns(result);
    this.st("insertEarly").run(id, idx, c.result_kind, c.result, now);
  }
  earlyCompletions(): Array<{ invocation_id: string; idx: number; result_kind: string; result: Buffer | null }> {
    return this.st("earlyAll").all() as any;
  }
  deleteEarlyCompletions(id: string): void {
    this.st("deleteEarly").run(id);
  }
  deletePromises(service: string, key: string): void {
    this.st("deletePromises").run(service, key);
  }
  failures(invocationId: string): AttemptFailure[] {
    return this.st("failures").all(invocationId) as AttemptFailure[];
  }
  journal(invocationId: string): EntryRow[] {
    return this.st("journal").all(invocationId) as EntryRow[];
  }
  setState(service: string, key: string, name: string, value: Uint8Array): void {
    this.st("setState").run(service, key, name, value);
  }
  clearState(service: string, key: string, name: string): void {
    this.st("clearState").run(service, key, name);
  }
  clearAllState(service: string, key: string): void {
    this.st("clearAllState").run(service, key);
  }
  loadState(service: string, key: string): Array<{ name: string; value: Buffer }> {
    return this.st("loadState").all(service, key) as Array<{ name: string; value: Buffer }>;
  }
  insertIdempotency(service: string, key: string, handler: string, idempotencyKey: string, invocationId: string): void {
    this.st("insertIdempotency").run(service, key, handler, idempotencyKey, invocationId);
  }
  expireIdempotency(invocationId: string, expiresAt: number): void {
    this.st("expireIdempotency").run(expiresAt, invocationId);
  }
  idempotencyRecords(now: number): Array<{ service: string; key: string; handler: string; idempotency_key: string; invocation_id: string }> {
    return this.st("idempotencyRecords").all(now) as any;
  }
  insertFailure(f: AttemptFailure): void {
    this.st("insertFailure").run(f);
  }
}
