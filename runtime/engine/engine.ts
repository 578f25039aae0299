/**
 * The durable engine: invocation lifecycle, per-key inbox and locks, journal,
 * retries, timers. It keeps unfinished invocations in memory and writes every
 * change through group commit; SQLite is the truth it recovers from.
 */
import type { Db } from "../storage/db.js";
import { GroupCommit } from "../storage/commit.js";
import { Queries, type InvocationRow } from "../storage/queries.js";
import { resultFromColumns, toBytes } from "../storage/codec.js";
import type {
  AttemptError,
  FromWorker,
  HandlerManifest,
  JournalEntry,
  Result,
  ServiceManifest,
} from "../../sdk/worker/protocol.js";
import type { WorkerProcess } from "../workers/worker_process.js";
import { EngineError } from "./errors.js";
import { newInvocationId, newSeed } from "./ids.js";
import {
  describeTarget,
  fromRow,
  holdsLock,
  lockKey,
  type ActiveInvocation,
  type HandlerType,
  type InvocationStatus,
  type ServiceType,
} from "./invocation.js";
import { backoff, resolveRetryPolicy } from "./retry.js";

export interface EngineOptions {
  db: Db;
  log: (line: string) => void;
  /** Called when a write fails: the engine can no longer acknowledge anything. */
  onFatal: (e: Error) => void;
  /** How long idempotency records and results of keyed calls are kept; Restate's default is 1 day. */
  idempotencyRetentionMs?: number;
}

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
  executionTime?: number;
  /** Resolves once the invocation is committed. */
  durable: Promise<void>;
}

export interface Completion {
  id: string;
  result: Result;
  completedAt: number;
  idempotencyExpiresAt?: number;
}

export type Lookup = { state: "completed"; completion: Completion } | { state: "running" } | { state: "unknown" };

interface KeyLock {
  holder: string | undefined;
  queue: string[];
}

const DAY = 86_400_000;

export class Engine {
  readonly commit: GroupCommit;
  readonly q: Queries;
  private readonly log: (line: string) => void;
  private readonly idempotencyRetentionMs: number;

  private services = new Map<string, ServiceManifest>();
  private readonly active = new Map<string, ActiveInvocation>();
  private readonly attempts = new Map<number, ActiveInvocation>();
  private readonly locks = new Map<string, KeyLock>();
  private readonly idempotency = new Map<string, string>();
  private readonly waiters = new Map<string, Array<(c: Completion) => void>>();
  private readonly sleepTimers = new Map<string, NodeJS.Timeout>();
  /**
   * State of keys whose exclusive handlers are active, including writes not yet
   * committed: the next exclusive invocation on a key starts as soon as the
   * previous one returns, without waiting for its commit. Shared handlers read
   * committed state from SQLite instead.
   */
  private readonly stateCache = new Map<string, Map<string, Uint8Array>>();
  private readonly workers = new Map<number, WorkerProcess>();
  private worker: WorkerProcess | undefined;
  private nextAid = 1;
  private inboxSeq: number;
  private stopped = false;

  constructor(opts: EngineOptions) {
    this.q = new Queries(opts.db);
    this.commit = new GroupCommit(opts.db, opts.onFatal);
    this.log = opts.log;
    this.idempotencyRetentionMs = opts.idempotencyRetentionMs ?? DAY;
    this.inboxSeq = this.q.maxInboxSeq();
    this.recover();
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
  workerReady(worker: WorkerProcess, services: ServiceManifest[]): void {
    this.workers.set(worker.id, worker);
    this.worker = worker;
    this.services = new Map(services.map((s) => [s.name, s]));
    for (const inv of [...this.active.values()].sort((a, b) => a.createdAt - b.createdAt)) {
      if (inv.status === "ready" && !inv.attempt) this.startAttempt(inv);
    }
  }

  /** A worker died: every attempt it ran fails and is retried. */
  workerExited(worker: WorkerProcess, description: string): void {
    this.workers.delete(worker.id);
    if (this.worker === worker) this.worker = undefined;
    for (const inv of [...this.attempts.values()]) {
      if (inv.attempt?.workerId !== worker.id) continue;
      this.attemptFailed(inv, {
        t: "error",
        aid: inv.attempt.aid,
        code: 500,
        message: `the worker process ended (${description}) while this attempt was running`,
      });
    }
  }

  // --- ingress-facing API ----------------------------------------------------------

  invoke(req: InvokeRequest, parent?: { id: string; index: number | undefined }): Accepted {
    const svc = this.services.get(req.service);
    const h = svc?.handlers.find((x) => x.name === req.handler);
    if (!svc || !h) throw new EngineError("NOT_FOUND", 404, `handler ${req.service}/${req.handler} not found`);
    if (req.idempotencyKey !== undefined) {
      const existing = this.idempotency.get(idempotencyMapKey(req));
      if (existing) return { invocationId: existing, previouslyAccepted: true, durable: Promise.resolve() };
    }
    const now = Date.now();
    const serviceType: ServiceType = svc.ty === "SERVICE" ? "service" : svc.ty === "VIRTUAL_OBJECT" ? "virtual_object" : "workflow";
    const handlerType = h.ty ? (h.ty.toLowerCase() as HandlerType) : undefined;
    const delayed = req.delayMs !== undefined && req.delayMs > 0;
    const inv: ActiveInvocation = {
      id: newInvocationId(),
      service: req.service,
      handler: req.handler,
      key: req.key,
      serviceType,
      handlerType,
      status: delayed ? "scheduled" : "ready",
      input: req.input,
      headers: req.headers,
      idempotencyKey: req.idempotencyKey,
      seed: newSeed(),
      parent,
      journal: new Map(),
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
    };
    if (!delayed && holdsLock(inv)) this.enterInbox(inv);
    this.active.set(inv.id, inv);
    if (req.idempotencyKey !== undefined) this.idempotency.set(idempotencyMapKey(req), inv.id);
    const durable = new Promise<void>((resolve) => {
      this.commit.enqueue(() => this.insertInvocation(inv), resolve);
    });
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
    return { state: "completed", completion: completionFromRow(row, this.idempotencyRetentionMs) };
  }

  // --- recovery ----------------------------------------------------------------------

  /** Rebuilds memory from the database after a start or a crash. */
  private recover(): void {
    const now = Date.now();
    for (const rec of this.q.idempotencyRecords(now)) {
      this.idempotency.set(`${rec.service}\u0000${rec.key}\u0000${rec.handler}\u0000${rec.idempotency_key}`, rec.invocation_id);
    }
    const rows = this.q.unfinished();
    for (const row of rows) {
      const inv = fromRow(row, this.q.journal(row.id));
      this.active.set(inv.id, inv);
    }
    // Lock holders first, then the queues in arrival order.
    const ordered = [...this.active.values()].sort((a, b) => (a.inboxSeq ?? 0) - (b.inboxSeq ?? 0) || a.createdAt - b.createdAt);
    for (const inv of ordered) {
      if (!holdsLock(inv) || inv.status === "scheduled" || inv.status === "pending") continue;
      this.lockOf(inv).holder = inv.id;
    }
    for (const inv of ordered) {
      if (inv.status === "pending") this.lockOf(inv).queue.push(inv.id);
    }
    for (const inv of this.active.values()) {
      switch (inv.status) {
        case "running":
        case "suspended":
        case "ready":
          inv.status = "ready";
          break;
        case "backing-off":
          this.scheduleAt(inv, inv.nextRetryAt ?? now, () => this.retryNow(inv));
          break;
        case "scheduled":
          this.scheduleAt(inv, inv.scheduledAt ?? now, () => this.due(inv));
          break;
      }
      for (const e of inv.journal.values()) {
        if (e.type === "Sleep" && !e.result && e.wakeUpAt !== undefined) this.armSleep(inv, e);
      }
    }
    // A key whose holder is gone (it completed) hands over to its queue.
    for (const lock of this.locks.values()) {
      if (lock.holder === undefined && lock.queue.length > 0) this.promoteNext(lock);
    }
    if (rows.length > 0) this.log(`recovered ${rows.length} unfinished invocation(s) from the journal`);
  }

  // --- locks and inbox ---------------------------------------------------------------------

  private lockOf(inv: ActiveInvocation): KeyLock {
    const k = lockKey(inv.service, inv.key!);
    let lock = this.locks.get(k);
    if (!lock) {
      lock = { holder: undefined, queue: [] };
      this.locks.set(k, lock);
    }
    return lock;
  }

  /** An exclusive invocation arrives on its key: it runs now or waits its turn. */
  private enterInbox(inv: ActiveInvocation): void {
    inv.inboxSeq = ++this.inboxSeq;
    const lock = this.lockOf(inv);
    if (lock.holder === undefined) {
      lock.holder = inv.id;
      inv.status = "ready";
    } else {
      lock.queue.push(inv.id);
      inv.status = "pending";
    }
  }

  private releaseLock(inv: ActiveInvocation): void {
    if (!holdsLock(inv)) return;
    const k = lockKey(inv.service, inv.key!);
    const lock = this.locks.get(k);
    if (!lock || lock.holder !== inv.id) return;
    lock.holder = undefined;
    this.promoteNext(lock);
    if (lock.holder === undefined && lock.queue.length === 0) this.locks.delete(k);
  }

  /** Once a key's writes are durable and nobody holds it, SQLite is its truth again. */
  private evictState(inv: ActiveInvocation): void {
    if (inv.key === undefined) return;
    const k = lockKey(inv.service, inv.key);
    if (!this.locks.has(k)) this.stateCache.delete(k);
  }

  private promoteNext(lock: KeyLock): void {
    while (lock.queue.length > 0) {
      const next = this.active.get(lock.queue.shift()!);
      if (!next) continue;
      lock.holder = next.id;
      this.setStatus(next, "ready");
      this.startAttempt(next);
      return;
    }
  }

  // --- attempts ------------------------------------------------------------------------------

  private startAttempt(inv: ActiveInvocation): void {
    if (this.stopped || inv.attempt) return;
    const worker = this.worker;
    if (!worker) {
      inv.status = "ready"; // started when a worker is ready
      return;
    }
    const aid = this.nextAid++;
    const now = Date.now();
    inv.attempt = { aid, workerId: worker.id, startedAt: now };
    inv.status = "running";
    this.attempts.set(aid, inv);
    this.commit.enqueue(() => this.q.setRunning(inv.id, now));
    let state: Array<[string, Uint8Array]> | null = null;
    if (inv.key !== undefined && inv.serviceType !== "service") {
      state = holdsLock(inv) ? [...this.cachedState(inv).entries()] : this.loadState(inv);
    }
    worker.send({
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
    });
  }

  private loadState(inv: ActiveInvocation): Array<[string, Uint8Array]> {
    return this.q.loadState(inv.service, inv.key!).map((r) => [r.name, toBytes(r.value)]);
  }

  private cachedState(inv: ActiveInvocation): Map<string, Uint8Array> {
    const k = lockKey(inv.service, inv.key!);
    let state = this.stateCache.get(k);
    if (!state) {
      state = new Map(this.loadState(inv));
      this.stateCache.set(k, state);
    }
    return state;
  }

  private endAttempt(inv: ActiveInvocation): void {
    if (inv.attempt) this.attempts.delete(inv.attempt.aid);
    inv.attempt = undefined;
  }

  onWorkerMessage(_worker: WorkerProcess, msg: FromWorker): void {
    if (msg.t === "ready" || msg.t === "loadError") return;
    const inv = this.attempts.get(msg.aid);
    if (!inv) return; // a stale attempt: its invocation moved on
    switch (msg.t) {
      case "command":
        this.onCommand(inv, msg.entry);
        return;
      case "output":
        this.endAttempt(inv);
        this.complete(inv, msg.result);
        return;
      case "error":
        this.attemptFailed(inv, msg);
        return;
    }
  }

  private notify(inv: ActiveInvocation, aid: number, msg: Omit<import("../../sdk/worker/protocol.js").Notify, "t" | "aid">): void {
    if (inv.attempt?.aid !== aid) return;
    this.workers.get(inv.attempt.workerId)?.send({ t: "notify", aid, ...msg });
  }

  private onCommand(inv: ActiveInvocation, entry: JournalEntry): void {
    const aid = inv.attempt!.aid;
    if (inv.journal.has(entry.index)) {
      this.attemptFailed(inv, {
        t: "error",
        aid,
        code: 571,
        message: `protocol violation: entry ${entry.index} is already in the journal`,
      });
      return;
    }
    const now = Date.now();
    inv.journal.set(entry.index, entry);
    inv.retriesSinceEntry = 0;
    inv.lastEntryAt = now;
    const id = inv.id;
    const q = this.q;
    switch (entry.type) {
      case "GetState":
      case "GetStateKeys":
        this.commit.enqueue(() => q.insertEntry(id, entry, now, true));
        return;
      case "SetState":
        this.cachedState(inv).set(entry.name!, entry.value!);
        this.commit.enqueue(() => {
          q.insertEntry(id, entry, now, true);
          q.setState(inv.service, inv.key!, entry.name!, entry.value!);
        });
        return;
      case "ClearState":
        this.cachedState(inv).delete(entry.name!);
        this.commit.enqueue(() => {
          q.insertEntry(id, entry, now, true);
          q.clearState(inv.service, inv.key!, entry.name!);
        });
        return;
      case "ClearAllState":
        this.cachedState(inv).clear();
        this.commit.enqueue(() => {
          q.insertEntry(id, entry, now, true);
          q.clearAllState(inv.service, inv.key!);
        });
        return;
      case "Run":
        // The handler continues only once the result is durable.
        this.commit.enqueue(
          () => q.insertEntry(id, entry, now, true),
          () => this.notify(inv, aid, { index: entry.index, what: "ack" }),
        );
        return;
      case "Sleep":
        this.commit.enqueue(() => q.insertEntry(id, entry, now, false));
        this.armSleep(inv, entry);
        return;
      case "Call":
      case "OneWayCall":
        this.onCall(inv, aid, entry, now);
        return;
    }
  }

  /** A call or send: the child is created in the same transaction as the parent's entry. */
  private onCall(inv: ActiveInvocation, aid: number, entry: JournalEntry, now: number): void {
    const t = entry.target!;
    if (!this.handler(t.service, t.handler)) {
      // Calling something that does not exist is a terminal failure of the call.
      const message = this.services.has(t.service)
        ? `the service '${t.service}' exists, but the handler '${t.handler}' was not found`
        : `service '${t.service}' not found`;
      entry.result = { kind: "failure", code: 404, message };
      this.commit.enqueue(() => this.q.insertEntry(inv.id, entry, now, true));
      if (entry.type === "Call") this.notify(inv, aid, { index: entry.index, what: "result", result: entry.result });
      return;
    }
    const delayMs = t.invokeAt !== undefined ? Math.max(1, t.invokeAt - now) : undefined;
    const accepted = this.invokeChild(
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
      // A send is complete once journaled; a call completes with the child's result.
      () => this.q.insertEntry(inv.id, entry, now, entry.type !== "Call"),
    );
    t.invocationId = accepted.invocationId;
    void accepted.durable.then(() => this.notify(inv, aid, { index: entry.index, what: "invocationId", invocationId: accepted.invocationId }));
    if (entry.type === "Call" && accepted.previouslyAccepted) {
      // An idempotent call that already ran (or runs): attach to its result.
      void this.awaitCompletion(accepted.invocationId).then((c) => this.deliverCallResult(inv.id, entry.index, c.result));
    }
  }

  /**
   * Like invoke(), but the parent's journal entry is written in the same
   * transaction as the child: both are queued in this turn, and one flush
   * commits a turn's writes atomically.
   */
  private invokeChild(req: InvokeRequest, parent: { id: string; index: number | undefined }, parentWrite: () => void): Accepted {
    const accepted = this.invoke(req, parent);
    this.commit.enqueue(parentWrite);
    return accepted;
  }

  private deliverCallResult(parentId: string, index: number, result: Result): void {
    const parent = this.active.get(parentId);
    if (!parent) return;
    const entry = parent.journal.get(index);
    if (!entry || entry.result) return;
    entry.result = result;
    const now = Date.now();
    const aid = parent.attempt?.aid;
    this.commit.enqueue(
      () => this.q.completeEntry(parentId, index, result, now),
      () => {
        if (aid !== undefined) this.notify(parent, aid, { index, what: "result", result });
      },
    );
  }

  private armSleep(inv: ActiveInvocation, entry: JournalEntry): void {
    const k = `${inv.id}#${entry.index}`;
    if (this.sleepTimers.has(k)) return;
    const fire = () => {
      this.sleepTimers.delete(k);
      const live = this.active.get(inv.id);
      if (!live || entry.result) return;
      const result: Result = { kind: "value", value: new Uint8Array(0) };
      entry.result = result;
      const now = Date.now();
      const aid = live.attempt?.aid;
      this.commit.enqueue(
        () => this.q.completeEntry(inv.id, entry.index, result, now),
        () => {
          if (aid !== undefined) this.notify(live, aid, { index: entry.index, what: "result", result });
        },
      );
    };
    this.sleepTimers.set(k, setTimeout(fire, Math.max(0, entry.wakeUpAt! - Date.now())));
  }

  private attemptFailed(inv: ActiveInvocation, err: AttemptError): void {
    const attempt = inv.attempt;
    if (!attempt) return;
    this.endAttempt(inv);
    const worker = this.workers.get(attempt.workerId);
    worker?.send({ t: "abort", aid: attempt.aid });
    inv.retryCount += 1;
    inv.retriesSinceEntry += 1;
    const now = Date.now();
    const failure = {
      invocation_id: inv.id,
      attempt: inv.retryCount,
      at: now,
      code: err.code,
      message: err.message,
      stack: err.stack ?? null,
      related_index: err.relatedIndex ?? null,
      related_type: err.relatedType ?? null,
      related_name: err.relatedName ?? null,
    };
    const lastFailure = JSON.stringify({
      code: err.code,
      message: err.message,
      ...(err.relatedIndex !== undefined ? { relatedIndex: err.relatedIndex, relatedType: err.relatedType, relatedName: err.relatedName } : {}),
    });
    inv.lastFailure = lastFailure;
    const policy = resolveRetryPolicy(this.services.get(inv.service), this.handler(inv.service, inv.handler));
    const related = err.relatedIndex !== undefined ? ` at entry ${err.relatedIndex} (${err.relatedType}${err.relatedName ? ` '${err.relatedName}'` : ""})` : "";
    const head = `${inv.id} ${describeTarget(inv)} attempt ${inv.retryCount} failed${related}: [${err.code}] ${err.message}`;

    if (err.pause || inv.retryCount >= policy.maxAttempts) {
      const exhausted = !err.pause;
      if (exhausted && policy.onMaxAttempts === "kill") {
        this.log(`${head}; no attempts left (${policy.maxAttempts}), the invocation fails`);
        this.commit.enqueue(() => this.q.insertFailure(failure));
        this.complete(inv, { kind: "failure", code: err.code >= 400 && err.code < 600 ? err.code : 500, message: err.message });
        return;
      }
      inv.status = "paused";
      inv.nextRetryAt = undefined;
      this.log(`${head}; ${exhausted ? `no attempts left (${policy.maxAttempts}), ` : ""}paused: resume, restart or kill it`);
      this.commit.enqueue(() => {
        this.q.insertFailure(failure);
        this.q.setBackingOff(inv.id, "paused", inv.retryCount, null, lastFailure, now);
      });
      return;
    }
    const delay = err.nextRetryDelayMs ?? backoff(policy, inv.retryCount);
    inv.status = "backing-off";
    inv.nextRetryAt = now + delay;
    this.log(`${head}; retrying in ${formatMs(delay)}`);
    this.commit.enqueue(() => {
      this.q.insertFailure(failure);
      this.q.setBackingOff(inv.id, "backing-off", inv.retryCount, inv.nextRetryAt!, lastFailure, now);
    });
    this.scheduleAt(inv, inv.nextRetryAt, () => this.retryNow(inv));
  }

  private retryNow(inv: ActiveInvocation): void {
    if (!this.active.has(inv.id) || inv.status !== "backing-off") return;
    // Start from what is durable: the failed attempt's last writes may still be queued.
    this.commit.afterDurable(() => {
      if (inv.status !== "backing-off" || inv.attempt) return;
      this.setStatus(inv, "ready");
      this.startAttempt(inv);
    });
  }

  /** A delayed send is due. */
  private due(inv: ActiveInvocation): void {
    if (!this.active.has(inv.id) || inv.status !== "scheduled") return;
    if (holdsLock(inv)) {
      this.enterInbox(inv);
      const seq = inv.inboxSeq;
      const status = inv.status as InvocationStatus;
      const now = Date.now();
      this.commit.enqueue(() => this.q.setInbox(inv.id, status, seq!, now));
      if (status === "ready") this.startAttempt(inv);
      return;
    }
    this.setStatus(inv, "ready");
    this.startAttempt(inv);
  }

  private scheduleAt(inv: ActiveInvocation, at: number, fn: () => void): void {
    if (inv.timer) clearTimeout(inv.timer);
    inv.timer = setTimeout(() => {
      inv.timer = undefined;
      fn();
    }, Math.max(0, at - Date.now()));
  }

  private setStatus(inv: ActiveInvocation, status: InvocationStatus): void {
    inv.status = status;
    const now = Date.now();
    this.commit.enqueue(() => this.q.setStatus(inv.id, status, now));
  }

  // --- completion ----------------------------------------------------------------------------

  private complete(inv: ActiveInvocation, result: Result): void {
    const now = Date.now();
    if (inv.timer) clearTimeout(inv.timer);
    inv.timer = undefined;
    inv.status = "completed";
    const expiresAt = now + this.idempotencyRetentionMs;
    const parent = inv.parent;
    const parentEntry = parent?.index !== undefined ? this.active.get(parent.id)?.journal.get(parent.index) : undefined;
    if (parentEntry && !parentEntry.result) parentEntry.result = result;
    // The next exclusive invocation of the key may start now: its state comes from
    // the cache, and its writes commit after this completion.
    this.releaseLock(inv);
    this.commit.enqueue(
      () => {
        this.q.complete(inv.id, result, now);
        if (inv.idempotencyKey !== undefined) this.q.expireIdempotency(inv.id, expiresAt);
        // The caller's Call entry completes in the same transaction: never lost.
        if (parent?.index !== undefined) this.q.completeEntry(parent.id, parent.index, result, now);
      },
      () => {
        this.active.delete(inv.id);
        this.evictState(inv);
        const completion: Completion = { id: inv.id, result, completedAt: now, idempotencyExpiresAt: expiresAt };
        const list = this.waiters.get(inv.id);
        this.waiters.delete(inv.id);
        for (const w of list ?? []) w(completion);
        if (parent?.index !== undefined) {
          const p = this.active.get(parent.id);
          if (p?.attempt) this.notify(p, p.attempt.aid, { index: parent.index, what: "result", result });
        }
      },
    );
  }

  private insertInvocation(inv: ActiveInvocation): void {
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
    });
    if (inv.idempotencyKey !== undefined) {
      this.q.insertIdempotency(inv.service, inv.key ?? "", inv.handler, inv.idempotencyKey, inv.id);
    }
  }

  // --- operator actions (admin API) ------------------------------------------------------------

  /** Cancel: the handler gets a CancelledError at its next await and may compensate. 202. */
  cancel(id: string): void {
    throw new EngineError("NOT_IMPLEMENTED", 501, `cancel of ${id} is not implemented yet`);
  }

  /** Kill: ends the invocation at once with 409 "killed"; no user code runs; child calls are killed too. 200. */
  kill(id: string): void {
    throw new EngineError("NOT_IMPLEMENTED", 501, `kill of ${id} is not implemented yet`);
  }

  /** Pause: stops retrying/running; status paused. 202. */
  pause(id: string): void {
    throw new EngineError("NOT_IMPLEMENTED", 501, `pause of ${id} is not implemented yet`);
  }

  /** Resume a paused, suspended or backing-off invocation now. 200. */
  resume(id: string): void {
    throw new EngineError("NOT_IMPLEMENTED", 501, `resume of ${id} is not implemented yet`);
  }

  /** Purge a completed invocation: journal, result and metadata. 200. */
  purge(id: string): void {
    throw new EngineError("NOT_IMPLEMENTED", 501, `purge of ${id} is not implemented yet`);
  }

  /**
   * Restart a completed invocation as a new one with the same input and headers.
   * With `from`, the journal prefix up to and including entry `from` is copied
   * (it must end on a completed entry). `overrides` replaces the recorded
   * result of completed entries below `from` in the copy.
   */
  restartAsNew(id: string, from?: number, overrides?: Map<number, Uint8Array>): string {
    throw new EngineError("NOT_IMPLEMENTED", 501, `restart of ${id} (from ${from}, ${overrides?.size ?? 0} overrides) is not implemented yet`);
  }

  /** Replaces the whole state of one key (undefined clears it all), or sets/clears one entry. */
  writeState(service: string, key: string, change: { replace: Map<string, Uint8Array> } | { set: string; value: Uint8Array } | { clear: string } | { clearAll: true }): void {
    throw new EngineError("NOT_IMPLEMENTED", 501, `writing state of ${service}/${key} (${Object.keys(change).join()}) is not implemented yet`);
  }

  /** Who holds a key's lock and who waits for it, in order. */
  keyStatus(service: string, key: string): { holder: string | undefined; inbox: string[] } {
    const lock = this.locks.get(lockKey(service, key));
    return { holder: lock?.holder, inbox: [...(lock?.queue ?? [])] };
  }

  // --- shutdown ----------------------------------------------------------------------------------

  /** Stops timers and commits what is queued; unfinished work resumes at the next start. */
  stop(): void {
    this.stopped = true;
    for (const inv of this.active.values()) if (inv.timer) clearTimeout(inv.timer);
    for (const t of this.sleepTimers.values()) clearTimeout(t);
    this.commit.drain();
  }

  stats() {
    return { active: this.active.size, attempts: this.attempts.size, commits: this.commit.stats };
  }
}

function idempotencyMapKey(req: { service: string; key?: string; handler: string; idempotencyKey?: string }): string {
  return `${req.service}\u0000${req.key ?? ""}\u0000${req.handler}\u0000${req.idempotencyKey}`;
}

function completionFromRow(row: InvocationRow, retention: number): Completion {
  return {
    id: row.id,
    result: resultFromColumns(row.result_kind, row.result)!,
    completedAt: row.completed_at!,
    idempotencyExpiresAt: row.completed_at! + retention,
  };
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
}
