/**
 * The durable engine: invocation lifecycle, per-key inbox and locks, journal,
 * retries, timers, suspension and cancellation. It keeps unfinished
 * invocations in memory and writes every change through group commit; SQLite
 * is the truth it recovers from.
 *
 * The durability rule: nothing leaves the engine before the write that records
 * it is durable. Group commit (storage/commit.ts) applies writes in order, so a
 * callback or barrier covers everything queued before it. Concretely:
 * - Operations the ingress and the admin API acknowledge (invoke, attach,
 *   awakeable completion, cancel, kill, pause, resume, purge, restart, state
 *   writes) return promises that settle on `commit.durable()` (see `durably`).
 * - Notifications that let user code continue past a journaled command (a run's
 *   ack, an entry's result, a call's child id, a cancel) are sent from the
 *   callback of the write that records them, so workers also see completions in
 *   the order of their sequence numbers.
 * - An attempt may start before its invocation's insert (or the previous holder's
 *   completion on the key) is durable, but it runs no ctx.run closure until the
 *   engine says everything before it is durable (`what: "durable"`): user code
 *   with effects never runs for an invocation a crash could forget.
 *
 * Safe exceptions, not acknowledged: GetState/SetState and other commands that
 * complete in the SDK (their values come from the state snapshot) are journaled
 * without an ack; the handler continues at once. Nothing outside sees them before
 * a later ctx.run ack or the output, both of which wait for them (commit order).
 * Likewise the next exclusive invocation of a key starts from the key's in-memory
 * state before the previous completion is durable: its reads are journaled in the
 * same or a later transaction than the writes they saw, so they are durable
 * together or not at all, and its closures wait for the durable notice.
 */
import type { Db } from "../storage/db.js";
import { GroupCommit } from "../storage/commit.js";
import { Queries, type InvocationRow } from "../storage/queries.js";
import { isCompleted, resultFromColumns, toBytes } from "../storage/codec.js";
import type { Checked, FromWorker, HandlerManifest, JournalEntry, Notify, Result, ServiceManifest, StartAttempt } from "../../sdk/worker/protocol.js";
import type { WorkerLink } from "../workers/link.js";
import { EngineError } from "./errors.js";
import { describeAttach, type EntryWaiter } from "./waits.js";
import { newInvocationId, newSeed, workflowRunId } from "./ids.js";
import { fromRow, holdsLock, idempotencyMapKey, objectKey, type ActiveInvocation, type HandlerType, type InvocationStatus, type ServiceType } from "./invocation.js";
import { KeyLocks, lockKey } from "./locks.js";
import { adopt, checkJournals, retiredWorkerExited, retireIfIdle } from "./reload.js";
import { formatMs } from "./retry.js";
import { systemClock, type Clock, type ClockTimer } from "./clock.js";
import { completeAwakeable, onPromiseCommand, promiseKey, waitForPromise } from "./promises.js";
import { cancel, kill, pause, purge, restartAsNew, resume, tryOperator, writeState } from "./operations.js";
import { scheduleSweep, sweep } from "./retention.js";
import { attemptFailed, retryNow } from "./failures.js";
import { afterNewEntry, replayInsteadOfOutput, type EngineTestingOptions } from "./testing_hooks.js";
import { FlowControl, instanceKey } from "./flow_control.js";
import { RuleBook } from "./rule_book.js";

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
  /** How long attempts of a replaced build may finish a ctx.run before their worker is stopped. */
  reloadDeadlineMs: number;
}

const DAY = 86_400_000;
const DEFAULTS: EngineDefaults = {
  idempotencyRetentionMs: DAY,
  journalRetentionMs: DAY,
  workflowRetentionMs: DAY,
  inactivityTimeoutMs: 60_000,
  abortTimeoutMs: 600_000,
  reloadDeadlineMs: 10_000,
};

export interface InvokeRequest {
  service: string;
  handler: string;
  key?: string;
  input: Uint8Array;
  headers: Array<[string, string]>;
  idempotencyKey?: string;
  delayMs?: number;
  /** Flow control: the scope it runs in (a namespace for state, locks, idempotency) and its limit key. */
  scope?: string;
  limitKey?: string;
}

export interface Accepted {
  invocationId: string;
  previouslyAccepted: boolean;
  /** A workflow's run for this key exists already (calls get 409, sends PreviouslyAccepted). */
  workflowAlreadyInvoked?: boolean;
  executionTime?: number;
  /** Resolves once the invocation is durable; rejects (503) if it cannot become so. */
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
  /** Concurrency-limit rules (PUT /limits/rules) and the slots they give out. */
  readonly rules: RuleBook;
  readonly flow: FlowControl;

  services = new Map<string, ServiceManifest>();
  readonly active = new Map<string, ActiveInvocation>();
  readonly attempts = new Map<number, ActiveInvocation>();
  readonly locks = new KeyLocks();
  readonly idempotency = new Map<string, string>();
  /** Clients (HTTP attach, calls answered live) waiting for an invocation's completion: memory only, they reconnect. */
  readonly waiters = new Map<string, Set<CompletionWaiter>>();
  /**
   * Journal entries waiting for another invocation's completion that is not their
   * own child: idempotent calls attached to a running invocation, AttachInvocation.
   * Rebuilt from the journal on recovery (`rearm`); completed in the same
   * transaction as the invocation they wait for.
   */
  readonly entryWaiters = new Map<string, EntryWaiter[]>();
  /**
   * Completions (awakeable resolutions) that arrived for an entry index the
   * invocation's attempt has not recorded yet: durable, applied when it is.
   */
  readonly earlyCompletions = new Map<string, Map<number, Result>>();
  /** Set once a commit failed: what every later wait is refused with. */
  private refusal: EngineError | undefined;
  /** Results of invocations that completed but whose completion is not durable yet (still in `active`). */
  private readonly completing = new Map<string, Result>();
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
  /** Attempts per worker, so an old build's worker stops the moment it holds none. */
  private readonly workerLoad = new Map<number, number>();
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
    this.commit = new GroupCommit(
      opts.db,
      (e) => this.fail(e, opts.onFatal),
      (why) => unavailable(`${why}; nothing was acknowledged`),
    );
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    this.testing = opts.testing;
    this.defaults = { ...DEFAULTS, ...opts.defaults };
    this.inboxSeq = this.q.maxInboxSeq();
    this.rules = new RuleBook(opts.db, this.commit, () => this.clock.now());
    this.flow = new FlowControl(this.rules);
    this.flow.listen((id) => {
      const inv = this.active.get(id);
      if (inv?.status === "pending" && !inv.attempt) this.startAttempt(inv);
    });
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
    if (this.retiring.has(worker.id)) return retiredWorkerExited(this, worker.id);
    this.workers.delete(worker.id);
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
      id = workflowRunId(req.service, instanceKey(req.key, req.scope) ?? "");
      if (this.active.has(id) || this.q.getInvocation(id)) {
        return { invocationId: id, previouslyAccepted: true, workflowAlreadyInvoked: true, durable: this.acknowledged() };
      }
    } else {
      if (req.idempotencyKey !== undefined) {
        const existing = this.idempotency.get(idempotencyMapKey(req));
        // Acknowledged only once the first one's insert is durable (it may still be queued).
        if (existing) return { invocationId: existing, previouslyAccepted: true, durable: this.acknowledged() };
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
      nextSeq: maxSeq(restart?.journal) + 1,
      cancel: undefined,
      waitingOn: undefined,
      inactivity: undefined,
      restartedFrom: restart?.from,
      scope: req.scope,
      limitKey: req.limitKey,
    };
    if (!delayed && holdsLock(inv)) this.enterInbox(inv);
    this.active.set(inv.id, inv);
    if (inv.idempotencyKey !== undefined) this.idempotency.set(idempotencyMapKey(req), inv.id);
    // The row and the copied entries as they are now: entries recorded before this flush insert themselves.
    const insert = this.invocationInsert(inv);
    this.commit.enqueue(insert);
    // Callers that do not wait for it (calls from handlers, restarts) must not leave a rejection unhandled.
    const durable = this.acknowledged();
    if (delayed) this.scheduleAt(inv, inv.scheduledAt!, () => this.due(inv));
    else if (inv.status === "ready") this.startAttempt(inv);
    return { invocationId: inv.id, previouslyAccepted: false, durable, ...(delayed ? { executionTime: inv.scheduledAt! } : {}) };
  }

  /**
   * Resolves when the invocation's completion is durable (at once if it is).
   * `signal` (the client went away) removes the waiter; a failed commit rejects it with 503.
   */
  awaitCompletion(id: string, signal?: AbortSignal): Promise<Completion> {
    if (this.refusal) return Promise.reject(this.refusal);
    const found = this.lookup(id);
    if (found.state === "completed") return Promise.resolve(found.completion);
    if (found.state === "unknown") return Promise.reject(new EngineError("NOT_FOUND", 404, "invocation not found"));
    return new Promise((resolve, reject) => {
      const w: CompletionWaiter = { resolve, reject };
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      set.add(w);
      signal?.addEventListener("abort", () => {
        const s = this.waiters.get(id);
        s?.delete(w);
        if (s?.size === 0) this.waiters.delete(id);
      }, { once: true });
    });
  }

  /** Everything queued so far is durable; a rejection nobody waits for is not an error. */
  private acknowledged(): Promise<void> {
    const p = this.commit.durable();
    p.catch(() => undefined);
    return p;
  }

  /** Runs an operation and settles once what it wrote is durable: the way to acknowledge. */
  durably<T>(op: () => T): Promise<T> {
    let value: T;
    try {
      value = op();
    } catch (e) {
      return Promise.reject(e);
    }
    return this.commit.durable().then(() => value);
  }

  /** A commit failed: every client still waiting hears 503 now, then the runtime stops. */
  private fail(e: Error, onFatal: (e: Error) => void): void {
    const refused = (this.refusal = unavailable(`${e.message}; stopping`));
    for (const set of this.waiters.values()) for (const w of set) w.reject(refused);
    this.waiters.clear();
    onFatal(e);
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
    for (const c of this.q.earlyCompletions()) {
      if (!this.active.has(c.invocation_id)) continue;
      this.earlyFor(c.invocation_id).set(c.idx, resultFromColumns(c.result_kind, c.result)!);
    }
    const ordered = [...this.active.values()].sort((a, b) => (a.inboxSeq ?? 0) - (b.inboxSeq ?? 0) || a.createdAt - b.createdAt);
    // Lock holders first, then the inboxes in arrival order.
    for (const inv of ordered) {
      if (holdsLock(inv) && inv.status !== "scheduled" && inv.status !== "pending") this.locks.restore(lockKey(inv.service, objectKey(inv)), inv.id, true);
    }
    for (const inv of ordered) {
      // Pending without a lock to wait for: it waited for a concurrency slot, and asks again.
      if (inv.status === "pending" && !holdsLock(inv)) inv.status = "ready";
      if (inv.status === "pending") this.locks.restore(lockKey(inv.service, objectKey(inv)), inv.id, false);
    }
    // What had started holds its concurrency slots again.
    for (const inv of ordered) {
      if (inv.journal.size > 0 || ["running", "suspended", "backing-off", "paused"].includes(inv.status)) this.flow.restore(inv);
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

  /**
   * Re-registers what an uncompleted entry waits for: a timer, a promise, an
   * awakeable resolution that came early, another invocation (its own child, an
   * idempotent call attached to someone else's, or an AttachInvocation).
   */
  rearm(inv: ActiveInvocation, e: JournalEntry): void {
    if (e.result) return;
    if (e.type === "Sleep" && e.wakeUpAt !== undefined) this.armSleep(inv, e);
    else if (e.type === "GetPromise") waitForPromise(this, inv, e);
    else if (e.type === "Awakeable") this.applyEarly(inv, e.index);
    else if (e.type === "AttachInvocation") this.attachEntry(inv, e, e.targetId!);
    else if (e.type === "Call" && e.target?.invocationId) {
      const callee = this.active.get(e.target.invocationId);
      // Its own child completes this entry itself; anything else is waited for here.
      if (callee && callee.parent?.id === inv.id && callee.parent.index === e.index) return;
      this.attachEntry(inv, e, e.target.invocationId);
    }
  }

  // --- locks and inbox ---------------------------------------------------------------------

  /** An exclusive invocation arrives on its key: it runs now or waits its turn. */
  enterInbox(inv: ActiveInvocation): void {
    inv.inboxSeq = ++this.inboxSeq;
    inv.status = this.locks.acquire(lockKey(inv.service, objectKey(inv)), inv.id) ? "ready" : "pending";
  }

  releaseLock(inv: ActiveInvocation): void {
    if (!holdsLock(inv)) return;
    const next = this.locks.release(lockKey(inv.service, objectKey(inv)), inv.id, (id) => this.active.get(id)?.status === "pending");
    if (!next) return;
    const n = this.active.get(next)!;
    this.setStatus(n, "ready");
    this.startAttempt(n);
  }

  cachedState(inv: ActiveInvocation): Map<string, Uint8Array> {
    const k = lockKey(inv.service, objectKey(inv));
    let state = this.stateCache.get(k);
    if (!state) {
      state = new Map(this.loadState(inv.service, objectKey(inv)));
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
    // A concurrency rule of its scope may make it wait for a slot (flow_control.ts).
    if (!this.flow.tryAdmit(inv)) {
      if (inv.status !== "pending") this.setStatus(inv, "pending");
      return;
    }
    const worker = this.worker;
    if (!worker) {
      inv.status = "ready"; // started when a worker is ready
      return;
    }
    const aid = this.nextAid++;
    const now = this.clock.now();
    // Writes still queued may include this invocation's insert or the previous
    // holder's completion: the attempt starts now, its closures once they are durable.
    const gated = !this.commit.idle;
    inv.attempt = { aid, workerId: worker.id, startedAt: now, newEntries: 0 };
    inv.status = "running";
    inv.waitingOn = undefined;
    this.attempts.set(aid, inv);
    this.workerLoad.set(worker.id, (this.workerLoad.get(worker.id) ?? 0) + 1);
    this.commit.enqueue(() => this.q.setRunning(inv.id, now));
    worker.send({ ...this.startMessage(inv, aid), ...(gated ? { gated: true } : {}) });
    if (gated) this.commit.afterDurable(() => this.send(inv, aid, { index: 0, what: "durable" }));
    this.touch(inv);
  }

  startMessage(inv: ActiveInvocation, aid: number): StartAttempt {
    const now = this.clock.now();
    let state: Array<[string, Uint8Array]> | null = null;
    if (inv.key !== undefined && inv.serviceType !== "service") {
      state = holdsLock(inv) ? [...this.cachedState(inv).entries()] : this.loadState(inv.service, objectKey(inv));
    }
    return {
      t: "start",
      aid,
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

  /** The attempt is over, whatever ended it; an old build's worker left with none is stopped. */
  endAttempt(inv: ActiveInvocation): void {
    const attempt = inv.attempt;
    inv.attempt = undefined;
    if (inv.inactivity) this.clock.clearTimeout(inv.inactivity);
    inv.inactivity = undefined;
    if (!attempt) return;
    this.attempts.delete(attempt.aid);
    const left = (this.workerLoad.get(attempt.workerId) ?? 1) - 1;
    if (left > 0) this.workerLoad.set(attempt.workerId, left);
    else this.workerLoad.delete(attempt.workerId);
    if (left <= 0 && this.retiring.has(attempt.workerId)) retireIfIdle(this, attempt.workerId);
  }

  /** Attempts running on a worker now. */
  attemptsOnWorker(workerId: number): number {
    return this.workerLoad.get(workerId) ?? 0;
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
    this.handleAttemptMessage(inv, msg);
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
        this.applyState(inv.service, objectKey(inv), entry, journal(true));
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
        this.applyEarly(inv, entry.index);
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
        this.attachEntry(inv, entry, entry.targetId!);
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
        // Only what the call names: a scope is not inherited from the caller.
        ...(t.scope !== undefined ? { scope: t.scope } : {}),
        ...(t.limitKey !== undefined ? { limitKey: t.limitKey } : {}),
      },
      { id: inv.id, index: entry.type === "Call" ? entry.index : undefined },
    );
    t.invocationId = accepted.invocationId;
    // Queued in the same turn as the child's insert: one flush, one transaction.
    this.commit.enqueue(() => this.q.insertEntry(inv.id, entry, now, entry.type !== "Call"));
    void accepted.durable.then(() => this.send(inv, aid, { index: entry.index, what: "invocationId", invocationId: accepted.invocationId }), () => undefined);
    if (entry.type === "Call" && accepted.previouslyAccepted) {
      if (accepted.workflowAlreadyInvoked) {
        this.completeEntry(inv, entry.index, { kind: "failure", code: 409, message: "the workflow method was already invoked" });
      } else {
        // An idempotent call that already ran (or runs): attach to its result.
        this.attachEntry(inv, entry, accepted.invocationId);
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

  /** An entry waits for another invocation's result: now if it has one, else when it completes. */
  attachEntry(inv: ActiveInvocation, entry: JournalEntry, targetId: string): void {
    const done = this.completing.get(targetId);
    if (done) {
      // Its completion is queued: this entry's write is queued after it, so both are durable together or in order.
      this.completeEntry(inv, entry.index, done);
      return;
    }
    if (this.active.has(targetId)) {
      const list = this.entryWaiters.get(targetId) ?? [];
      if (!list.some((w) => w.id === inv.id && w.index === entry.index)) list.push({ id: inv.id, index: entry.index });
      this.entryWaiters.set(targetId, list);
      return;
    }
    const found = this.lookup(targetId);
    this.completeEntry(inv, entry.index, found.state === "completed" ? found.completion.result : describeAttach(targetId));
  }

  earlyFor(id: string): Map<number, Result> {
    let m = this.earlyCompletions.get(id);
    if (!m) this.earlyCompletions.set(id, (m = new Map()));
    return m;
  }

  /** The awakeable at `index` was just recorded (or recovered): a resolution that came first completes it. */
  applyEarly(inv: ActiveInvocation, index: number): void {
    const early = this.earlyCompletions.get(inv.id)?.get(index);
    if (early) this.completeEntry(inv, index, early);
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
    const opts = this.optionsOf(inv);
    const isWorkflowRun = inv.handlerType === "workflow";
    const retention = isWorkflowRun
      ? (opts.workflowRetention ?? this.defaults.workflowRetentionMs)
      : (opts.idempotencyRetention ?? this.defaults.idempotencyRetentionMs);
    const expiresAt = now + retention;
    const journalExpiresAt = now + Math.min(retention, opts.journalRetention ?? this.defaults.journalRetentionMs);
    this.forgetWaits(inv);
    this.completing.set(inv.id, result);
    const hadEarly = this.earlyCompletions.delete(inv.id);
    this.commit.enqueue(
      () => {
        this.q.complete(inv.id, result, now);
        this.q.setExpiry(inv.id, expiresAt, journalExpiresAt);
        if (inv.idempotencyKey !== undefined) this.q.expireIdempotency(inv.id, expiresAt);
        if (hadEarly) this.q.deleteEarlyCompletions(inv.id);
      },
      () => {
        scheduleSweep(this, journalExpiresAt);
        this.active.delete(inv.id);
        this.completing.delete(inv.id);
        if (inv.key !== undefined) this.evictState(inv.service, objectKey(inv));
        const completion: Completion = { id: inv.id, result, completedAt: now, expiresAt };
        const set = this.waiters.get(inv.id);
        this.waiters.delete(inv.id);
        for (const w of set ?? []) w.resolve(completion);
      },
    );
    // The next exclusive invocation of the key may start now: its state comes
    // from the cache, its closures wait until this completion is durable.
    this.releaseLock(inv);
    this.flow.release(inv.id);
    // The caller's Call entry, and every entry attached to this invocation,
    // complete in the same transaction: never lost.
    const parent = inv.parent?.index !== undefined ? this.active.get(inv.parent.id) : undefined;
    if (parent) this.completeEntry(parent, inv.parent!.index!, result);
    const attached = this.entryWaiters.get(inv.id);
    this.entryWaiters.delete(inv.id);
    for (const w of attached ?? []) {
      const waiting = this.active.get(w.id);
      if (waiting) this.completeEntry(waiting, w.index, result);
    }
  }

  /** An invocation ended: it waits for nothing any more (timers, promises, other invocations). */
  private forgetWaits(inv: ActiveInvocation): void {
    for (const e of inv.journal.values()) {
      if (e.result) continue;
      if (e.type === "Sleep") {
        const k = `${inv.id}#${e.index}`;
        const t = this.timers.get(k);
        if (t) this.clock.clearTimeout(t);
        this.timers.delete(k);
      } else if (e.type === "GetPromise") {
        dropWaiter(this.promiseWaiters, promiseKey(this, inv, e.name!), inv.id, e.index);
      } else if (e.type === "AttachInvocation" || e.type === "Call") {
        const target = e.type === "Call" ? e.target?.invocationId : e.targetId;
        if (target) dropWaiter(this.entryWaiters, target, inv.id, e.index);
      }
    }
  }

  /** The write that inserts an invocation, with the row and copied entries fixed now. */
  invocationInsert(inv: ActiveInvocation): () => void {
    const row = {
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
      scope: inv.scope ?? null,
      limit_key: inv.limitKey ?? null,
    };
    // Journal entries copied by restart-as-new; the attempt's own entries insert themselves.
    const copied = [...inv.journal.values()];
    const { id, service, handler, idempotencyKey, createdAt } = inv;
    const key = instanceKey(inv.key, inv.scope);
    return () => {
      this.q.insertInvocation(row);
      if (idempotencyKey !== undefined) this.q.insertIdempotency(service, key ?? "", handler, idempotencyKey, id);
      for (const e of copied) this.q.insertEntry(id, e, createdAt, isCompleted(e));
    };
  }

  // --- awakeables and workflow promises ---------------------------------------------------------------

  /** Resolves or rejects an awakeable; unknown or completed ones are ignored (first value wins). Settles once durable. */
  completeAwakeable(awakeableId: string, result: Result): Promise<void> {
    return this.durably(() => completeAwakeable(this, awakeableId, result));
  }





  // --- operator actions (admin API) ------------------------------------------------------------



  /** Cancel: the handler gets a CancelledError at its next await and may compensate; child calls are cancelled too. */
  cancel(id: string): Promise<void> {
    return this.durably(() => cancel(this, id));
  }

  /** Kill: ends the invocation at once with 409 "killed"; no user code runs; child calls are killed too. */
  kill(id: string): Promise<void> {
    return this.durably(() => kill(this, id));
  }


  /** Pause: stops running or retrying; resume, restart or kill it later. */
  pause(id: string): Promise<void> {
    return this.durably(() => pause(this, id));
  }

  /** Resume a paused, suspended or backing-off invocation now. */
  resume(id: string): Promise<void> {
    return this.durably(() => resume(this, id));
  }

  /** Purge a completed invocation: journal, result and metadata are forgotten. */
  purge(id: string): Promise<void> {
    return this.durably(() => purge(this, id));
  }


  /**
   * Restart a completed invocation as a new one with the same input and
   * headers. With `from`, journal entries 1..from are copied (they must all
   * be completed); `overrides` replaces recorded values of copied entries.
   */
  restartAsNew(id: string, from?: number, overrides?: Map<number, Uint8Array>): Promise<string> {
    return this.durably(() => restartAsNew(this, id, from, overrides));
  }

  /** Writes state of a key (repair, tests). Serialized with the key's invocations through the commit order. */
  writeState(service: string, key: string, change: StateChange, scope?: string): Promise<void> {
    return this.durably(() => writeState(this, service, instanceKey(key, scope)!, change));
  }

  /** Who holds a key's lock and who waits for it, in order. */
  keyStatus(service: string, key: string, scope?: string): { holder: string | undefined; inbox: string[] } {
    return this.locks.status(lockKey(service, instanceKey(key, scope)!));
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


interface CompletionWaiter {
  resolve: (c: Completion) => void;
  reject: (e: Error) => void;
}

function maxSeq(journal: Map<number, JournalEntry> | undefined): number {
  let max = 0;
  for (const e of journal?.values() ?? []) if ((e.seq ?? 0) > max) max = e.seq!;
  return max;
}

function dropWaiter<K>(map: Map<K, EntryWaiter[]>, k: K, id: string, index: number): void {
  const list = map.get(k);
  if (!list) return;
  const rest = list.filter((w) => w.id !== id || w.index !== index);
  if (rest.length > 0) map.set(k, rest);
  else map.delete(k);
}

function unavailable(why: string): EngineError {
  return new EngineError("UNAVAILABLE", 503, `the runtime cannot make writes durable (${why})`, "free disk space or fix the data directory, then restart restate-dev up: it recovers from what was committed");
}

function completionFromRow(row: InvocationRow): Completion {
  return {
    id: row.id,
    result: resultFromColumns(row.result_kind, row.result)!,
    completedAt: row.completed_at!,
    ...(row.completion_expires_at !== null ? { expiresAt: row.completion_expires_at } : {}),
  };
}

