/**
 * The durable engine: invocation lifecycle, per-key inbox and locks, journal,
 * retries, timers, suspension and cancellation. It keeps unfinished
 * invocations in memory and writes every change through group commit; SQLite
 * is the truth it recovers from.
 *
 * Ordering rule: every notification to a worker is sent from the durability
 * callback of the write that recorded it, so workers see completions (and
 * cancellations) in the order of their sequence numbers.
 */
import type { Db } from "../storage/db.js";
import { GroupCommit } from "../storage/commit.js";
import { Queries, type InvocationRow } from "../storage/queries.js";
import { isCompleted, resultFromColumns, toBytes } from "../storage/codec.js";
import type { Checked, FromWorker, HandlerManifest, JournalEntry, Notify, Result, ServiceManifest, StartAttempt } from "../../sdk/worker/protocol.js";
import type { WorkerLink } from "../workers/link.js";
import { EngineError } from "./errors.js";
import { newInvocationId, newSeed, workflowRunId } from "./ids.js";
import { fromRow, holdsLock, idempotencyMapKey, type ActiveInvocation, type HandlerType, type InvocationStatus, type ServiceType } from "./invocation.js";
import { KeyLocks, lockKey } from "./locks.js";
import { adopt, checkJournals, retireIfIdle } from "./reload.js";
import { formatMs } from "./retry.js";
import { systemClock, type Clock, type ClockTimer } from "./clock.js";
import { completeAwakeable, onPromiseCommand, waitForPromise } from "./promises.js";
import { cancel, kill, pause, purge, restartAsNew, resume, tryOperator, writeState } from "./operations.js";
import { scheduleSweep, sweep } from "./retention.js";
import { attemptFailed, retryNow } from "./failures.js";
import { afterNewEntry, replayInsteadOfOutput, type EngineTestingOptions } from "./testing_hooks.js";

export interface EngineOptions {
  db: Db;
  log: (line: string) => void;
  /** Called when a write fails: the engine can no longer acknowledge anything. */
  onFatal: (e: Error) => void;
  /** Defaults as Restate's: retention of results and journals 1 day, inactivity 1 min, abort 10 min. */
  defaults?: Partial<EngineDefaults>;
  /** The system clock unless a test drives time itself. */
  clock?: Clock;
  /** Replay hunting, fault injection and fail-fast for the testing kit (testing_hooks.ts); off by default. */
  testing?: EngineTestingOptions;
}

export interface EngineDefaults {
  idempotencyRetentionMs: number;
  journalRetentionMs: number;
  workflowRetentionMs: number;
  inactivityTimeoutMs: number;
  abortTimeoutMs: number;
}

const DAY = 86_400_000;
const DEFAULTS: EngineDefaults = {
  idempotencyRetentionMs: DAY,
  journalRetentionMs: DAY,
  workflowRetentionMs: DAY,
  inactivityTimeoutMs: 60_000,
  abortTimeoutMs: 600_000,
};

export interface InvokeRequest {
  service: string;
  handler: string;
  key?: string;
  input: Uint8Array;
  headers: Array<[string, string]>;
  idempotencyKey?: string;
  delayMs?: number;
}

export interface Accepted {
  invocationId: string;
  previouslyAccepted: boolean;
  /** A workflow's run for this key exists already (calls get 409, sends PreviouslyAccepted). */
  workflowAlreadyInvoked?: boolean;
  executionTime?: number;
  /** Resolves once the invocation is committed. */
  durable: Promise<void>;
}

export interface Completion {
  id: string;
  result: Result;
  completedAt: number;
  expiresAt?: number;
}

export type Lookup = { state: "completed"; completion: Completion } | { state: "running" } | { state: "unknown" };

/** An in-flight invocation whose journal a new build does not follow. */
export interface ReloadFinding {
  invocationId: string;
  target: string;
  status: InvocationStatus;
  mismatch?: { index: number; journaled: string; attempted: string; message: string };
  inconclusive?: string;
}


export type StateChange = { replace: Map<string, Uint8Array> } | { set: string; value: Uint8Array } | { clear: string } | { clearAll: true };


/**
 * The engine's state lives here; its behaviour is split by concern across this
 * folder (operations, reload, promises, failures, retention), whose functions
 * work on these members. Outside runtime/engine/, use the documented methods.
 */
export class Engine {
  readonly commit: GroupCommit;
  readonly q: Queries;
  readonly log: (line: string) => void;
  readonly defaults: EngineDefaults;
  readonly clock: Clock;
  readonly testing: EngineTestingOptions | undefined;

  services = new Map<string, ServiceManifest>();
  readonly active = new Map<string, ActiveInvocation>();
  readonly attempts = new Map<number, ActiveInvocation>();
  readonly locks = new KeyLocks();
  readonly idempotency = new Map<string, string>();
  readonly waiters = new Map<string, Array<(c: Completion) => void>>();
  readonly timers = new Map<string, ClockTimer>();
  /** Workflow promise name -> GetPromise entries waiting for it. */
  readonly promiseWaiters = new Map<string, Array<{ id: string; index: number }>>();
  /** Completed promises whose row may not be committed yet (SQLite has the rest). */
  readonly recentPromises = new Map<string, Result>();
  /**
   * State of keys whose exclusive handlers are active, including writes not yet
   * committed: the next exclusive invocation on a key starts as soon as the
   * previous one returns, without waiting for its commit. Shared handlers read
   * committed state from SQLite instead.
   */
  readonly stateCache = new Map<string, Map<string, Uint8Array>>();
  readonly workers = new Map<number, WorkerLink>();
  /** Workers of older builds whose attempts are moving to the current one. */
  readonly retiring = new Map<number, () => void>();
  /** Reload checks (dry runs) waiting for their answer. */
  readonly checks = new Map<number, (msg: Checked) => void>();
  worker: WorkerLink | undefined;
  nextAid = 1;
  inboxSeq: number;
  stopped = false;
  sweeper: { timer: ClockTimer; at: number } | undefined;

  constructor(opts: EngineOptions) {
    this.q = new Queries(opts.db);
    this.commit = new GroupCommit(opts.db, opts.onFatal);
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    this.testing = opts.testing;
    this.defaults = { ...DEFAULTS, ...opts.defaults };
    this.inboxSeq = this.q.maxInboxSeq();
    this.recover();
    sweep(this);
  }

  // --- services and workers ------------------------------------------------------

  listServices(): ServiceManifest[] {
    return [...this.services.values()];
  }

  service(name: string): ServiceManifest | undefined {
    return this.services.get(name);
  }

  handler(service: string, handler: string): HandlerManifest | undefined {
    return this.services.get(service)?.handlers.find((h) => h.name === handler);
  }

  /** A worker loaded the bundle: it takes every new attempt from now on. */
  workerReady(worker: WorkerLink, services: ServiceManifest[]): void {
    this.workers.set(worker.id, worker);
    this.worker = worker;
    this.services = new Map(services.map((s) => [s.name, s]));
    for (const inv of [...this.active.values()].sort((a, b) => a.createdAt - b.createdAt)) {
      if (inv.status === "ready" && !inv.attempt) this.startAttempt(inv);
    }
  }

  /**
   * A new build's worker takes over: new attempts go to it, and attempts on the
   * previous worker are asked to suspend there and resume here by replay.
   * Attempts busy in a ctx.run finish on the old code first (up to a deadline).
   */
  adopt(worker: WorkerLink, services: ServiceManifest[], retired: (old: WorkerLink) => void): void {
    return adopt(this, worker, services, retired);
  }




  /**
   * Replays the journal of every in-flight invocation against a new build,
   * offline (no closure runs, nothing is written), and reports those whose
   * journal the new code would not follow.
   */
  checkJournals(worker: WorkerLink, timeoutMs = 3000): Promise<ReloadFinding[]> {
    return checkJournals(this, worker, timeoutMs);
  }

  /** A worker died: every attempt it ran fails and is retried. */
  workerExited(worker: WorkerLink, description: string): void {
    if (this.stopped) return;
    this.workers.delete(worker.id);
    this.retiring.delete(worker.id);
    if (this.worker === worker) this.worker = undefined;
    for (const inv of [...this.attempts.values()]) {
      if (inv.attempt?.workerId !== worker.id) continue;
      attemptFailed(this, inv, { t: "error", aid: inv.attempt.aid, code: 500, message: `the worker process ended (${description}) while this attempt was running` });
    }
  }

  // --- ingress-facing API ----------------------------------------------------------

  invoke(
    req: InvokeRequest,
    parent?: { id: string; index: number | undefined },
    restart?: { from: string; journal: Map<number, JournalEntry> },
  ): Accepted {
    const svc = this.services.get(req.service);
    const h = svc?.handlers.find((x) => x.name === req.handler);
    if (!svc || !h) throw new EngineError("NOT_FOUND", 404, `handler ${req.service}/${req.handler} not found`);
    const isWorkflowRun = h.ty === "WORKFLOW";
    let id: string;
    if (isWorkflowRun) {
      // A workflow runs once per key: its id is derived from the key.
      id = workflowRunId(req.service, req.key ?? "");
      if (this.active.has(id) || this.q.getInvocation(id)) {
        return { invocationId: id, previouslyAccepted: true, workflowAlreadyInvoked: true, durable: Promise.resolve() };
      }
    } else {
      if (req.idempotencyKey !== undefined) {
        const existing = this.idempotency.get(idempotencyMapKey(req));
        if (existing) return { invocationId: existing, previouslyAccepted: true, durable: Promise.resolve() };
      }
      id = newInvocationId();
    }
    const now = this.clock.now();
    const serviceType: ServiceType = svc.ty === "SERVICE" ? "service" : svc.ty === "VIRTUAL_OBJECT" ? "virtual_object" : "workflow";
    const delayed = req.delayMs !== undefined && req.delayMs > 0;
    const inv: ActiveInvocation = {
      id,
      service: req.service,
      handler: req.handler,
      key: req.key,
      serviceType,
      handlerType: h.ty ? (h.ty.toLowerCase() as HandlerType) : undefined,
      status: delayed ? "scheduled" : "ready",
      input: req.input,
      headers: req.headers,
      idempotencyKey: isWorkflowRun ? undefined : req.idempotencyKey,
      seed: newSeed(),
      parent,
      journal: restart?.journal ?? new Map(),
      retryCount: 0,
      nextRetryAt: undefined,
      scheduledAt: delayed ? now + req.delayMs! : undefined,
      inboxSeq: undefined,
      createdAt: now,
      attempt: undefined,
      timer: undefined,
      retriesSinceEntry: 0,
      lastEntryAt: now,
      lastFailure: undefined,
      nextSeq: Math.max(0, ...[...(restart?.journal.values() ?? [])].map((e) => e.seq ?? 0)) + 1,
      cancel: undefined,
      waitingOn: undefined,
      inactivity: undefined,
      restartedFrom: restart?.from,
    };
    if (!delayed && holdsLock(inv)) this.enterInbox(inv);
    this.active.set(inv.id, inv);
    if (inv.idempotencyKey !== undefined) this.idempotency.set(idempotencyMapKey(req), inv.id);
    const durable = new Promise<void>((resolve) => this.commit.enqueue(() => this.insertInvocation(inv), resolve));
    if (delayed) this.scheduleAt(inv, inv.scheduledAt!, () => this.due(inv));
    else if (inv.status === "ready") this.startAttempt(inv);
    return { invocationId: inv.id, previouslyAccepted: false, durable, ...(delayed ? { executionTime: inv.scheduledAt! } : {}) };
  }

  /** Resolves when the invocation completes (at once if it has). */
  awaitCompletion(id: string): Promise<Completion> {
    const found = this.lookup(id);
    if (found.state === "completed") return Promise.resolve(found.completion);
    if (found.state === "unknown") return Promise.reject(new EngineError("NOT_FOUND", 404, "invocation not found"));
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  lookup(id: string): Lookup {
    if (this.active.has(id)) return { state: "running" };
    const row = this.q.getInvocation(id);
    if (!row) return { state: "unknown" };
    if (row.status !== "completed") return { state: "running" };
    return { state: "completed", completion: completionFromRow(row) };
  }

  // --- recovery ----------------------------------------------------------------------

  /** Rebuilds memory from the database after a start or a crash. */
  recover(): void {
    const now = this.clock.now();
    for (const rec of this.q.idempotencyRecords(now)) {
      this.idempotency.set(idempotencyMapKey({ ...rec, idempotencyKey: rec.idempotency_key }), rec.invocation_id);
    }
    const rows = this.q.unfinished();
    for (const row of rows) this.active.set(row.id, fromRow(row, this.q.journal(row.id)));
    const ordered = [...this.active.values()].sort((a, b) => (a.inboxSeq ?? 0) - (b.inboxSeq ?? 0) || a.createdAt - b.createdAt);
    // Lock holders first, then the inboxes in arrival order.
    for (const inv of ordered) {
      if (holdsLock(inv) && inv.status !== "scheduled" && inv.status !== "pending") this.locks.restore(lockKey(inv.service, inv.key!), inv.id, true);
    }
    for (const inv of ordered) {
      if (inv.status === "pending") this.locks.restore(lockKey(inv.service, inv.key!), inv.id, false);
    }
    for (const inv of this.active.values()) {
      switch (inv.status) {
        case "running":
        case "ready":
          inv.status = "ready";
          break;
        case "backing-off":
          this.scheduleAt(inv, inv.nextRetryAt ?? now, () => retryNow(this, inv));
          break;
        case "scheduled":
          this.scheduleAt(inv, inv.scheduledAt ?? now, () => this.due(inv));
          break;
      }
      for (const e of inv.journal.values()) this.rearm(inv, e);
    }
    for (const k of this.locks.freeKeysWithWaiters()) {
      const next = this.locks.promote(k, undefined, (id) => this.active.has(id));
      if (next) this.setStatus(this.active.get(next)!, "ready");
    }
    for (const inv of this.active.values()) {
      // A completion that arrived while the runtime was down resumes a suspension.
      if (inv.status === "suspended" && [...(inv.waitingOn ?? [])].some((i) => inv.journal.get(i)?.result)) inv.status = "ready";
    }
    if (rows.length > 0) this.log(`recovered ${rows.length} unfinished invocation(s) from the journal`);
  }

  /** Re-registers what an uncompleted entry waits for: a timer, a promise, another invocation. */
  rearm(inv: ActiveInvocation, e: JournalEntry): void {
    if (e.result) return;
    if (e.type === "Sleep" && e.wakeUpAt !== undefined) this.armSleep(inv, e);
    else if (e.type === "GetPromise") waitForPromise(this, inv, e);
    else if (e.type === "AttachInvocation") this.attachEntry(inv, e);
    else if (e.type === "Call" && e.target?.invocationId && !this.active.has(e.target.invocationId)) {
      // The callee completed but the result did not reach this entry: look it up.
      const found = this.lookup(e.target.invocationId);
      if (found.state === "completed") this.completeEntry(inv, e.index, found.completion.result);
    }
  }

  // --- locks and inbox ---------------------------------------------------------------------

  /** An exclusive invocation arrives on its key: it runs now or waits its turn. */
  enterInbox(inv: ActiveInvocation): void {
    inv.inboxSeq = ++this.inboxSeq;
    inv.status = this.locks.acquire(lockKey(inv.service, inv.key!), inv.id) ? "ready" : "pending";
  }

  releaseLock(inv: ActiveInvocation): void {
    if (!holdsLock(inv)) return;
    const next = this.locks.release(lockKey(inv.service, inv.key!), inv.id, (id) => this.active.get(id)?.status === "pending");
    if (!next) return;
    const n = this.active.get(next)!;
    this.setStatus(n, "ready");
    this.startAttempt(n);
  }

  cachedState(inv: ActiveInvocation): Map<string, Uint8Array> {
    const k = lockKey(inv.service, inv.key!);
    let state = this.stateCache.get(k);
    if (!state) {
      state = new Map(this.loadState(inv.service, inv.key!));
      this.stateCache.set(k, state);
    }
    return state;
  }

  loadState(service: string, key: string): Array<[string, Uint8Array]> {
    return this.q.loadState(service, key).map((r) => [r.name, toBytes(r.value)]);
  }

  /**
   * State of a key as its next exclusive handler sees it: the key's cache
   * (with writes not committed yet) while it is active, else SQLite.
   */
  readState(service: string, key: string): Array<[string, Uint8Array]> {
    const cached = this.stateCache.get(lockKey(service, key));
    return cached ? [...cached.entries()] : this.loadState(service, key);
  }

  /** Once a key's writes are durable and nobody holds it, SQLite is its truth again. */
  evictState(service: string, key: string): void {
    const k = lockKey(service, key);
    if (!this.locks.has(k)) this.stateCache.delete(k);
  }

  // --- attempts ------------------------------------------------------------------------------

  startAttempt(inv: ActiveInvocation): void {
    if (this.stopped || inv.attempt) return;
    const worker = this.worker;
    if (!worker) {
      inv.status = "ready"; // started when a worker is ready
      return;
    }
    const aid = this.nextAid++;
    const now = this.clock.now();
    inv.attempt = { aid, workerId: worker.id, startedAt: now, newEntries: 0 };
    inv.status = "running";
    inv.waitingOn = undefined;
    this.attempts.set(aid, inv);
    this.commit.enqueue(() => this.q.setRunning(inv.id, now));
    worker.send(this.startMessage(inv, aid));
    this.touch(inv);
  }

  startMessage(inv: ActiveInvocation, aid: number): StartAttempt {
    const now = this.clock.now();
    let state: Array<[string, Uint8Array]> | null = null;
    if (inv.key !== undefined && inv.serviceType !== "service") {
      state = holdsLock(inv) ? [...this.cachedState(inv).entries()] : this.loadState(inv.service, inv.key);
    }
    return {
      t: "start",
      aid,
      invocationId: inv.id,
      target: { service: inv.service, handler: inv.handler, ...(inv.key !== undefined ? { key: inv.key } : {}) },
      input: inv.input,
      headers: inv.headers,
      ...(inv.idempotencyKey !== undefined ? { idempotencyKey: inv.idempotencyKey } : {}),
      journal: [...inv.journal.values()].sort((a, b) => a.index - b.index),
      state,
      seed: inv.seed,
      retryCountSinceLastStoredEntry: inv.retriesSinceEntry,
      durationSinceLastStoredEntry: now - inv.lastEntryAt,
      ...(inv.cancel ? { cancel: { ...inv.cancel } } : {}),
    };
  }

  endAttempt(inv: ActiveInvocation): void {
    if (inv.attempt) this.attempts.delete(inv.attempt.aid);
    inv.attempt = undefined;
    if (inv.inactivity) this.clock.clearTimeout(inv.inactivity);
    inv.inactivity = undefined;
  }

  /**
   * Activity on an attempt restarts its inactivity timer. When it fires, the
   * worker is asked to suspend (it does if the handler only waits); if the
   * attempt is still there after the abort timeout, it is aborted and retried.
   */
  touch(inv: ActiveInvocation): void {
    const attempt = inv.attempt;
    if (!attempt) return;
    if (inv.inactivity) this.clock.clearTimeout(inv.inactivity);
    const opts = this.optionsOf(inv);
    const inactivity = opts.inactivityTimeout ?? this.defaults.inactivityTimeoutMs;
    const abort = opts.abortTimeout ?? this.defaults.abortTimeoutMs;
    inv.inactivity = this.clock.setTimeout(() => {
      if (inv.attempt?.aid !== attempt.aid) return;
      this.workers.get(attempt.workerId)?.send({ t: "suspend", aid: attempt.aid });
      inv.inactivity = this.clock.setTimeout(() => {
        if (inv.attempt?.aid !== attempt.aid) return;
        attemptFailed(this, inv, {
          t: "error",
          aid: attempt.aid,
          code: 500,
          message: `the attempt made no progress for ${formatMs(inactivity)} and did not suspend within the abort timeout of ${formatMs(abort)}: aborted`,
        });
      }, abort);
    }, inactivity);
  }

  optionsOf(inv: ActiveInvocation): { inactivityTimeout?: number; abortTimeout?: number; idempotencyRetention?: number; journalRetention?: number; workflowRetention?: number } {
    const s = this.services.get(inv.service)?.options ?? {};
    const h = this.handler(inv.service, inv.handler)?.options ?? {};
    return { ...s, ...h };
  }

  onWorkerMessage(_worker: WorkerLink, msg: FromWorker): void {
    if (this.stopped || msg.t === "ready" || msg.t === "loadError") return;
    if (msg.t === "checked") {
      this.checks.get(msg.aid)?.(msg);
      return;
    }
    const inv = this.attempts.get(msg.aid);
    if (!inv) return; // a stale attempt: its invocation moved on
    const workerId = inv.attempt!.workerId;
    this.handleAttemptMessage(inv, msg);
    if (this.retiring.has(workerId)) retireIfIdle(this, workerId);
  }

  handleAttemptMessage(inv: ActiveInvocation, msg: Exclude<FromWorker, { t: "ready" | "loadError" | "checked" }>): void {
    switch (msg.t) {
      case "command":
        this.touch(inv);
        this.onCommand(inv, msg.entry);
        if (inv.attempt?.aid === msg.aid) {
          inv.attempt.newEntries++;
          if (this.testing) afterNewEntry(this, inv);
        }
        return;
      case "output":
        if (this.testing && replayInsteadOfOutput(this, inv)) return;
        this.endAttempt(inv);
        this.complete(inv, msg.result);
        return;
      case "error":
        attemptFailed(this, inv, msg);
        return;
      case "suspended":
        this.suspend(inv, msg.waitingOn);
        return;
      case "cancelObserved":
        if (inv.cancel) {
          inv.cancel.observedIndex = msg.index;
          const { seq } = inv.cancel;
          const now = this.clock.now();
          this.commit.enqueue(() => this.q.setCancel(inv.id, seq, msg.index, now));
        }
        return;
    }
  }

  send(inv: ActiveInvocation, aid: number, msg: Omit<Notify, "t" | "aid">): void {
    if (inv.attempt?.aid !== aid) return;
    this.touch(inv);
    this.workers.get(inv.attempt.workerId)?.send({ t: "notify", aid, ...msg });
  }

  onCommand(inv: ActiveInvocation, entry: JournalEntry): void {
    const aid = inv.attempt!.aid;
    if (inv.journal.has(entry.index)) {
      attemptFailed(this, inv, { t: "error", aid, code: 571, message: `protocol violation: entry ${entry.index} is already in the journal` });
      return;
    }
    const now = this.clock.now();
    inv.journal.set(entry.index, entry);
    inv.retriesSinceEntry = 0;
    inv.lastEntryAt = now;
    const id = inv.id;
    const q = this.q;
    const journal = (completed: boolean) => () => q.insertEntry(id, entry, now, completed);
    switch (entry.type) {
      case "GetState":
      case "GetStateKeys":
      case "CompleteAwakeable":
      case "CancelInvocation":
        this.commit.enqueue(journal(true));
        if (entry.type === "CompleteAwakeable") completeAwakeable(this, entry.targetId!, entry.completion!);
        if (entry.type === "CancelInvocation") tryOperator(this, () => cancel(this, entry.targetId!));
        return;
      case "SetState":
      case "ClearState":
      case "ClearAllState":
        this.applyState(inv.service, inv.key!, entry, journal(true));
        return;
      case "Run":
        // The handler continues only once the result is durable.
        entry.seq = inv.nextSeq++;
        this.commit.enqueue(journal(true), () => this.send(inv, aid, { index: entry.index, what: "ack" }));
        return;
      case "Sleep":
        this.commit.enqueue(journal(false));
        this.armSleep(inv, entry);
        return;
      case "Awakeable":
        this.commit.enqueue(journal(false));
        return;
      case "GetPromise":
        this.commit.enqueue(journal(false));
        waitForPromise(this, inv, entry);
        return;
      case "PeekPromise":
      case "CompletePromise":
        this.commit.enqueue(journal(false));
        onPromiseCommand(this, inv, entry);
        return;
      case "AttachInvocation":
        this.commit.enqueue(journal(false));
        this.attachEntry(inv, entry);
        return;
      case "Call":
      case "OneWayCall":
        this.onCall(inv, aid, entry, now);
        return;
    }
  }

  /** State commands write through the key's cache and commit with their journal entry. */
  applyState(service: string, key: string, entry: Pick<JournalEntry, "type" | "name" | "value">, alsoWrite?: () => void): void {
    const cache = this.stateCache.get(lockKey(service, key));
    const q = this.q;
    let write: () => void;
    if (entry.type === "SetState") {
      cache?.set(entry.name!, entry.value!);
      write = () => q.setState(service, key, entry.name!, entry.value!);
    } else if (entry.type === "ClearState") {
      cache?.delete(entry.name!);
      write = () => q.clearState(service, key, entry.name!);
    } else {
      cache?.clear();
      write = () => q.clearAllState(service, key);
    }
    this.commit.enqueue(() => {
      alsoWrite?.();
      write();
    });
  }

  /** A call or send: the child is created in the same transaction as the parent's entry. */
  onCall(inv: ActiveInvocation, aid: number, entry: JournalEntry, now: number): void {
    const t = entry.target!;
    if (!this.handler(t.service, t.handler)) {
      // Calling something that does not exist is a terminal failure of the call.
      const message = this.services.has(t.service)
        ? `the service '${t.service}' exists, but the handler '${t.handler}' was not found`
        : `service '${t.service}' not found`;
      this.commit.enqueue(() => this.q.insertEntry(inv.id, entry, now, entry.type !== "Call"));
      if (entry.type === "Call") this.completeEntry(inv, entry.index, { kind: "failure", code: 404, message });
      return;
    }
    const delayMs = t.invokeAt !== undefined ? Math.max(1, t.invokeAt - now) : undefined;
    const accepted = this.invoke(
      {
        service: t.service,
        handler: t.handler,
        ...(t.key !== undefined ? { key: t.key } : {}),
        input: entry.value ?? new Uint8Array(0),
        headers: t.headers ?? [],
        ...(t.idempotencyKey !== undefined ? { idempotencyKey: t.idempotencyKey } : {}),
        ...(delayMs !== undefined ? { delayMs } : {}),
      },
      { id: inv.id, index: entry.type === "Call" ? entry.index : undefined },
    );
    t.invocationId = accepted.invocationId;
    // Queued in the same turn as the child's insert: one flush, one transaction.
    this.commit.enqueue(() => this.q.insertEntry(inv.id, entry, now, entry.type !== "Call"));
    void accepted.durable.then(() => this.send(inv, aid, { index: entry.index, what: "invocationId", invocationId: accepted.invocationId }));
    if (entry.type === "Call" && accepted.previouslyAccepted) {
      if (accepted.workflowAlreadyInvoked) {
        this.completeEntry(inv, entry.index, { kind: "failure", code: 409, message: "the workflow method was already invoked" });
      } else {
        // An idempotent call that already ran (or runs): attach to its result.
        void this.awaitCompletion(accepted.invocationId).then((c) => this.completeEntry(inv, entry.index, c.result));
      }
    }
  }

  /**
   * Completes an entry of a live invocation: journal, sequence number, and the
   * notification to its attempt, or a resumption if it was suspended on it.
   */
  completeEntry(inv: ActiveInvocation, index: number, result: Result): void {
    if (this.active.get(inv.id) !== inv) return;
    const entry = inv.journal.get(index);
    if (!entry || entry.result) return;
    entry.result = result;
    entry.seq = inv.nextSeq++;
    const seq = entry.seq;
    const now = this.clock.now();
    this.commit.enqueue(
      () => this.q.completeEntry(inv.id, index, result, now, seq),
      () => {
        const aid = inv.attempt?.aid;
        if (aid !== undefined) this.send(inv, aid, { index, what: "result", result, seq });
        else if (inv.status === "suspended" && inv.waitingOn?.has(index)) this.resumeSuspended(inv);
      },
    );
  }

  armSleep(inv: ActiveInvocation, entry: JournalEntry): void {
    const k = `${inv.id}#${entry.index}`;
    if (this.timers.has(k)) return;
    this.timers.set(
      k,
      this.clock.setTimeout(() => {
        this.timers.delete(k);
        this.completeEntry(inv, entry.index, { kind: "empty" });
      }, Math.max(0, entry.wakeUpAt! - this.clock.now())),
    );
  }

  attachEntry(inv: ActiveInvocation, entry: JournalEntry): void {
    this.awaitCompletion(entry.targetId!).then(
      (c) => this.completeEntry(inv, entry.index, c.result),
      () => this.completeEntry(inv, entry.index, { kind: "failure", code: 404, message: `invocation '${entry.targetId}' not found` }),
    );
  }

  // --- suspension ------------------------------------------------------------------------------

  suspend(inv: ActiveInvocation, waitingOn: number[]): void {
    const movingOff = this.retiring.has(inv.attempt!.workerId);
    this.endAttempt(inv);
    inv.waitingOn = new Set(waitingOn);
    if (movingOff || waitingOn.some((i) => inv.journal.get(i)?.result)) {
      // Its worker is being replaced (continue on the new code at once), or a completion raced the suspension.
      this.resumeSuspended(inv);
      return;
    }
    inv.status = "suspended";
    const now = this.clock.now();
    this.commit.enqueue(() => this.q.setSuspended(inv.id, waitingOn, now));
  }

  resumeSuspended(inv: ActiveInvocation): void {
    if (inv.attempt || !this.active.has(inv.id)) return;
    inv.waitingOn = undefined;
    this.startAttempt(inv);
  }

  // --- failures and retries ----------------------------------------------------------------------




  /** A delayed send is due. */
  due(inv: ActiveInvocation): void {
    if (!this.active.has(inv.id) || inv.status !== "scheduled") return;
    if (holdsLock(inv)) {
      this.enterInbox(inv);
      const { inboxSeq } = inv;
      const status = inv.status as InvocationStatus;
      const now = this.clock.now();
      this.commit.enqueue(() => this.q.setInbox(inv.id, status, inboxSeq!, now));
      if (status === "ready") this.startAttempt(inv);
      return;
    }
    this.setStatus(inv, "ready");
    this.startAttempt(inv);
  }

  scheduleAt(inv: ActiveInvocation, at: number, fn: () => void): void {
    if (inv.timer) this.clock.clearTimeout(inv.timer);
    inv.timer = this.clock.setTimeout(() => {
      inv.timer = undefined;
      fn();
    }, Math.max(0, at - this.clock.now()));
  }

  setStatus(inv: ActiveInvocation, status: InvocationStatus): void {
    inv.status = status;
    const now = this.clock.now();
    this.commit.enqueue(() => this.q.setStatus(inv.id, status, now));
  }

  // --- completion ----------------------------------------------------------------------------

  complete(inv: ActiveInvocation, result: Result): void {
    if (inv.status === "completed") return;
    const now = this.clock.now();
    if (inv.timer) this.clock.clearTimeout(inv.timer);
    inv.timer = undefined;
    this.endAttempt(inv);
    inv.status = "completed";
    for (const e of inv.journal.values()) {
      // Timers of sleeps it will never wake from.
      const k = `${inv.id}#${e.index}`;
      const t = this.timers.get(k);
      if (t) this.clock.clearTimeout(t);
      this.timers.delete(k);
    }
    const opts = this.optionsOf(inv);
    const isWorkflowRun = inv.handlerType === "workflow";
    const retention = isWorkflowRun
      ? (opts.workflowRetention ?? this.defaults.workflowRetentionMs)
      : (opts.idempotencyRetention ?? this.defaults.idempotencyRetentionMs);
    const expiresAt = now + retention;
    const journalExpiresAt = now + Math.min(retention, opts.journalRetention ?? this.defaults.journalRetentionMs);
    // The next exclusive invocation of the key may start now: its state comes
    // from the cache, and its writes commit after this completion.
    this.releaseLock(inv);
    this.commit.enqueue(
      () => {
        this.q.complete(inv.id, result, now);
        this.q.setExpiry(inv.id, expiresAt, journalExpiresAt);
        if (inv.idempotencyKey !== undefined) this.q.expireIdempotency(inv.id, expiresAt);
      },
      () => {
        scheduleSweep(this, journalExpiresAt);
        this.active.delete(inv.id);
        if (inv.key !== undefined) this.evictState(inv.service, inv.key);
        const completion: Completion = { id: inv.id, result, completedAt: now, expiresAt };
        const list = this.waiters.get(inv.id);
        this.waiters.delete(inv.id);
        for (const w of list ?? []) w(completion);
      },
    );
    // The caller's Call entry completes in the same transaction: never lost.
    const parent = inv.parent?.index !== undefined ? this.active.get(inv.parent.id) : undefined;
    if (parent) this.completeEntry(parent, inv.parent!.index!, result);
  }

  insertInvocation(inv: ActiveInvocation): void {
    this.q.insertInvocation({
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
      restarted_from: inv.restartedFrom ?? null,
    });
    if (inv.idempotencyKey !== undefined) {
      this.q.insertIdempotency(inv.service, inv.key ?? "", inv.handler, inv.idempotencyKey, inv.id);
    }
    // Journal entries copied by restart-as-new.
    for (const e of inv.journal.values()) this.q.insertEntry(inv.id, e, inv.createdAt, isCompleted(e));
  }

  // --- awakeables and workflow promises ---------------------------------------------------------------

  /** Resolves or rejects an awakeable; unknown or completed ones are ignored (first value wins). */
  completeAwakeable(awakeableId: string, result: Result): void {
    return completeAwakeable(this, awakeableId, result);
  }





  // --- operator actions (admin API) ------------------------------------------------------------



  /** Cancel: the handler gets a CancelledError at its next await and may compensate; child calls are cancelled too. */
  cancel(id: string): void {
    return cancel(this, id);
  }

  /** Kill: ends the invocation at once with 409 "killed"; no user code runs; child calls are killed too. */
  kill(id: string): void {
    return kill(this, id);
  }


  /** Pause: stops running or retrying; resume, restart or kill it later. */
  pause(id: string): void {
    return pause(this, id);
  }

  /** Resume a paused, suspended or backing-off invocation now. */
  resume(id: string): void {
    return resume(this, id);
  }

  /** Purge a completed invocation: journal, result and metadata are forgotten. */
  purge(id: string): void {
    return purge(this, id);
  }


  /**
   * Restart a completed invocation as a new one with the same input and
   * headers. With `from`, journal entries 1..from are copied (they must all
   * be completed); `overrides` replaces recorded values of copied entries.
   */
  restartAsNew(id: string, from?: number, overrides?: Map<number, Uint8Array>): string {
    return restartAsNew(this, id, from, overrides);
  }

  /** Writes state of a key (repair, tests). Serialized with the key's invocations through the commit order. */
  writeState(service: string, key: string, change: StateChange): void {
    return writeState(this, service, key, change);
  }

  /** Who holds a key's lock and who waits for it, in order. */
  keyStatus(service: string, key: string): { holder: string | undefined; inbox: string[] } {
    return this.locks.status(lockKey(service, key));
  }

  /** The invocation an idempotency key names, if any. */
  idempotentInvocation(req: { service: string; key?: string; handler: string; idempotencyKey: string }): string | undefined {
    return this.idempotency.get(idempotencyMapKey(req));
  }

  /** The invocation id of a workflow's run for a key, if it ran (or runs). */
  workflowRun(service: string, key: string): { id: string; exists: boolean } {
    const id = workflowRunId(service, key);
    return { id, exists: this.active.has(id) || this.q.getInvocation(id) !== undefined };
  }

  // --- retention -------------------------------------------------------------------------------



  // --- shutdown ----------------------------------------------------------------------------------

  /** Stops timers and commits what is queued; unfinished work resumes at the next start. */
  stop(): void {
    this.stopped = true;
    if (this.sweeper) this.clock.clearTimeout(this.sweeper.timer);
    for (const inv of this.active.values()) {
      if (inv.timer) this.clock.clearTimeout(inv.timer);
      if (inv.inactivity) this.clock.clearTimeout(inv.inactivity);
    }
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.commit.close();
  }

}


function completionFromRow(row: InvocationRow): Completion {
  return {
    id: row.id,
    result: resultFromColumns(row.result_kind, row.result)!,
    completedAt: row.completed_at!,
    ...(row.completion_expires_at !== null ? { expiresAt: row.completion_expires_at } : {}),
  };
}

