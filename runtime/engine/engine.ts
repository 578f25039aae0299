/**
 * The durable engine: the invocation lifecycle. It is the one actor that
 * changes the engine's state, which lives in components that own it and
 * answer with decisions: keys.ts (locks, inbox, state cache), timers.ts,
 * store.ts (invocations, attempts, idempotency, waiters), builds.ts (workers
 * and reloads), promises.ts (durable promises), retention.ts (the sweeper),
 * failure_policy.ts (retry, pause or fail). Operator actions (operations.ts)
 * import this file, never the reverse. Every change is written through group
 * commit; SQLite is the truth the engine recovers from.
 *
 * The durability rule: nothing leaves the engine before the write that records
 * it is durable. Group commit (storage/commit.ts) applies writes in order, so a
 * callback or barrier covers everything queued before it. This file is the only
 * one that talks to workers (through the WorkerSeam), so the rule lives here:
 * - Operations the ingress and the admin API acknowledge (invoke, attach,
 *   awakeable completion, cancel, kill, pause, resume, purge, restart, state
 *   writes) return promises that settle on `commit.durable()` (see `durably`).
 * - Notifications that let user code continue past a journaled command (a run's
 *   ack, an entry's result, a call's child id, a cancel) are sent only by
 *   `notifyAttempt` (and the cancel message) from the callback of the write
 *   that records them, so workers also see completions in the order of their
 *   sequence numbers.
 * - An attempt may start before its invocation's insert (or the previous holder's
 *   completion on the key) is durable (`gated`), but it runs no ctx.run closure
 *   until the engine says everything before it is durable (`what: "durable"`,
 *   the answer to the worker's `awaitDurable` before its first closure):
 *   user code with effects never runs for an invocation a crash could forget.
 *   A handler that runs no closure never asks, so a write nobody waits for is
 *   made durable by the next sync someone does wait for (commit.ts).
 * - An awakeable resolved before its entry reached the engine is kept durably
 *   (early completions) and applied when the entry is recorded or recovered.
 * - Entries waiting for another invocation (attach, idempotent calls) are
 *   rebuilt from the journal on start (`rearm`); no completion is dropped.
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
import { Queries, type InvocationRow, type NewInvocation } from "../storage/queries.js";
import { entryFromRow, isCompleted, resultFromColumns, toBytes } from "../storage/codec.js";
import { parseAwakeableId } from "../../sdk/awakeable_id.js";
import { PROTOCOL_VIOLATION_CODE } from "../../sdk/errors.js";
import type { AttemptError, HandlerManifest, JournalEntry, Notify, Result, ServiceManifest, StartAttempt } from "../../sdk/worker/protocol.js";
import type { WorkerLink } from "../workers/link.js";
import type { EngineBound, WorkerSeam } from "../workers/seam.js";
import { requestError } from "../errors.js";
import { describeAttach } from "./waits.js";
import { newInvocationId, newSeed, workflowRunId } from "./ids.js";
import { childCalls, describeTarget, fromRow, holdsLock, maxSeq, objectKey, startMessageOf, toRow, idempotencyMapKey, type ActiveInvocation, type HandlerType, type InvocationStatus, type ServiceType } from "./invocation.js";
import { Keys, type StateEntries, type StateWrite } from "./keys.js";
import { Timers } from "./timers.js";
import { InvocationStore, type Completion } from "./store.js";
import { Builds } from "./builds.js";
import { DurablePromises, type PromiseRef } from "./promises.js";
import { Sweeper, type ForgetRow } from "./retention.js";
import { decideFailure, describeFailure } from "./failure_policy.js";
import { formatMs, resolveRetryPolicy } from "./retry.js";
import { systemClock, type Clock } from "./clock.js";
import { FlowControl, instanceKey } from "./flow_control.js";
import { RuleBook } from "./rule_book.js";
import { afterNewEntry, failsFast, replaysBeforeOutput, type EngineTestingOptions } from "./testing_hooks.js";

export type { Completion } from "./store.js";
export type { StateEntries } from "./keys.js";

export interface EngineOptions {
  db: Db;
  log: (line: string) => void;
  /** The path to and from the workers: the engine subscribes to it. */
  workers: WorkerSeam;
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
  /**
   * Resolves once the invocation is durable; rejects (503) if it cannot become so.
   * A function: a call that only waits for its result never asks, and its insert then
   * costs no sync of its own (the completion's covers it).
   */
  durable(): Promise<void>;
}

export type Lookup = { state: "completed"; completion: Completion } | { state: "running" } | { state: "unknown" };

/** An in-flight invocation whose journal a new build does not follow. */
export interface ReloadFinding {
  invocationId: string;
  target: string;
  status: InvocationStatus;
  mismatch?: { index: number; journaled: string; attempted: string; message: string };
  inconclusive?: string;
  /** The deployment it stays on (see `adopt`); absent if it moves to the new build anyway (its build is not kept). */
  stays?: string;
}

/**
 * Where the builds of pinned invocations come from: the runtime keeps each
 * build's bundle and starts worker processes for it. Without one (the testing
 * kit) every attempt runs on the current worker.
 */
export interface DeploymentHost {
  /** Whether `deploymentId`'s build is still kept, so invocations can run on it. */
  keeps(deploymentId: string): boolean;
  /** Start a worker for `deploymentId` (it reports with `workerReady`); false if its build is gone. Called again while one starts: start no second one. */
  spawn(deploymentId: string): boolean;
  /** Nothing unfinished is pinned to `deploymentId` and it is not the newest build: stop `worker` (if any) and drop the build. */
  retired(deploymentId: string, worker: WorkerLink | undefined): void;
}

export type StateChange = { replace: Map<string, Uint8Array> } | { set: string; value: Uint8Array } | { clear: string } | { clearAll: true };

const KILLED: Result = { kind: "failure", code: 409, message: "killed" };
const CANCELLED: Result = { kind: "failure", code: 409, message: "Cancelled" };
const UNAVAILABLE_HINT = "free disk space or fix the data directory, then restart restate-dev up: it recovers from what was committed";

export class Engine {
  private readonly commit: GroupCommit;
  private readonly q: Queries;
  private readonly log: (line: string) => void;
  private readonly defaults: EngineDefaults;
  private readonly clock: Clock;
  private readonly testing: EngineTestingOptions | undefined;
  private readonly seam: WorkerSeam;
  /** Concurrency-limit rules (PUT /limits/rules) and the slots they give out. */
  readonly rules: RuleBook;
  private readonly flow: FlowControl;
  /** Set once a commit failed: what every later wait is refused with. */
  private refusal: Error | undefined;

  private services = new Map<string, ServiceManifest>();
  private readonly store = new InvocationStore();
  /** Handlers whose attempts asked for durability (they run ctx.run closures): told at start from then on. */
  private readonly runsClosures = new Set<string>();
  /** Each build's services as its worker reported them: an invocation kept on an older build keeps its options. */
  private readonly servicesOfBuild = new Map<string, Map<string, ServiceManifest>>();
  /** Inserts queued and not yet written: their row, which later changes before the write may update in place. */
  private readonly unwrittenRows = new Map<string, NewInvocation>();
  private readonly keys: Keys;
  private readonly timers: Timers;
  private readonly builds: Builds;
  private readonly promises: DurablePromises;
  private readonly sweeper: Sweeper;
  private host: DeploymentHost | undefined;
  private stopped = false;

  constructor(opts: EngineOptions) {
    this.q = new Queries(opts.db);
    this.commit = new GroupCommit(
      opts.db,
      (e) => this.fail(e, opts.onFatal),
      (why) => requestError("UNAVAILABLE", 503, `the runtime cannot make writes durable (${why}); nothing was acknowledged`, UNAVAILABLE_HINT),
      () => this.store.activeCount <= 1,
    );
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    this.testing = opts.testing;
    this.defaults = { ...DEFAULTS, ...opts.defaults };
    this.keys = new Keys(this.q.maxInboxSeq(), (service, key) => this.loadState(service, key));
    this.timers = new Timers(this.clock);
    this.builds = new Builds(this.clock);
    this.promises = new DurablePromises(this.q);
    this.sweeper = new Sweeper(this.clock, this.q, this.commit, (row) => this.forget(row));
    this.seam = opts.workers;
    this.seam.subscribe({
      message: (worker, msg) => this.onWorkerMessage(worker, msg),
      exited: (worker, description) => this.workerExited(worker, description),
    });
    this.rules = new RuleBook(opts.db, this.commit, () => this.clock.now());
    this.flow = new FlowControl(this.rules);
    this.flow.listen((id) => {
      const inv = this.store.get(id);
      if (inv?.status === "pending" && !inv.attempt) this.startAttempt(inv);
    });
    this.recover();
    this.sweeper.sweep();
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

  /** The runtime's keeper of builds: from now on invocations stay on the build they run on (see `adopt`). */
  hostDeployments(host: DeploymentHost): void {
    this.host = host;
  }

  /**
   * A worker loaded a build. Without a deployment, or for the newest one, it
   * takes every new attempt from now on (a first start, a respawn); for an
   * older deployment it runs the invocations pinned to that build.
   */
  workerReady(worker: WorkerLink, services: ServiceManifest[], deploymentId?: string): void {
    if (!worker.alive) return; // it ended before its ready was handled: its exit came first
    if (deploymentId !== undefined) this.servicesOfBuild.set(deploymentId, new Map(services.map((s) => [s.name, s])));
    const latest = this.builds.latest;
    if (deploymentId !== undefined && latest !== undefined && deploymentId !== latest) {
      this.builds.attach(worker, deploymentId);
      if (this.builds.pinned(deploymentId) === 0) {
        this.retireWorker(worker, deploymentId);
        return;
      }
    } else {
      this.builds.makeCurrent(worker, deploymentId);
      this.services = new Map(services.map((s) => [s.name, s]));
    }
    this.startReady();
  }

  private startReady(): void {
    for (const inv of this.store.byAge()) {
      if (inv.status === "ready" && !inv.attempt) this.startAttempt(inv);
    }
  }

  /**
   * A new build (`deploymentId`) takes over: new invocations run on it, and so
   * does every in-flight one whose journal it follows. Those in `findings`
   * (their journal diverges from the new code, or could not be checked) stay
   * pinned to the build they run on, whose worker lives on until nothing
   * pinned to it is left (then `DeploymentHost.retired`); they are returned
   * with `stays` set. Attempts that move are asked to suspend on their old
   * worker and resume here by replay. One attempt runs on one worker: an
   * attempt busy in a ctx.run finishes it on the old code; at the deadline the
   * old worker is stopped, and only once it has exited do its attempts start
   * again (as after a crash: a closure cut off runs again, never twice at once).
   */
  adopt(worker: WorkerLink, services: ServiceManifest[], deploymentId: string | undefined, findings: ReloadFinding[] = []): ReloadFinding[] {
    const previous = this.builds.current;
    const diverging = new Map(findings.map((f) => [f.invocationId, f]));
    this.builds.makeCurrent(worker, deploymentId);
    // It ended during the journal check: the build is current all the same, and its next worker takes over when ready.
    if (!worker.alive) this.builds.exited(worker);
    this.services = new Map(services.map((s) => [s.name, s]));
    if (deploymentId !== undefined) this.servicesOfBuild.set(deploymentId, this.services);
    const decided: ReloadFinding[] = [];
    const movingOff = new Set<number>();
    for (const inv of [...this.store.all()]) {
      if (inv.status === "completed") continue;
      const finding = diverging.get(inv.id);
      const from = inv.deploymentId;
      if (finding && from !== undefined && from !== deploymentId && this.host?.keeps(from)) {
        decided.push({ ...finding, stays: from });
        continue;
      }
      if (finding) decided.push(finding);
      if (from !== undefined) this.pin(inv, deploymentId);
      const attempt = inv.attempt;
      if (attempt && attempt.workerId !== worker.id) {
        movingOff.add(attempt.workerId);
        this.seam.send(attempt.workerId, { t: "suspend", attemptId: attempt.attemptId });
      }
    }
    if (previous && previous !== worker) {
      const was = this.builds.deploymentOfWorker(previous.id);
      if (was === undefined || this.builds.pinned(was) === 0) this.retireWorker(previous, was);
    }
    const deadline = this.defaults.reloadDeadlineMs;
    for (const workerId of movingOff) {
      this.timers.background(deadline, () => {
        const link = this.builds.linkOf(workerId);
        if (!link) return;
        const stuck = this.movingAttemptsOn(workerId);
        if (stuck === 0) return;
        this.log(`the previous build still runs ${stuck} attempt(s) after ${deadline / 1000} s: stopping its worker; they continue on the new build by replay`);
        this.builds.stoppingOnPurpose(workerId);
        link.stop();
      });
    }
    this.startReady();
    return decided;
  }

  /** Attempts on `workerId` whose invocation runs on another build now (moving off it). */
  private movingAttemptsOn(workerId: number): number {
    if (this.builds.attemptsOn(workerId) === 0) return 0;
    if (this.builds.isRetiring(workerId)) return this.builds.attemptsOn(workerId);
    const runs = this.builds.deploymentOfWorker(workerId);
    return this.store.onWorker(workerId).filter((inv) => (inv.deploymentId ?? this.builds.latest) !== runs).length;
  }

  /** A worker whose build nothing is pinned to: stopped (and its build dropped) once it holds no attempt. */
  private retireWorker(worker: WorkerLink | undefined, deploymentId: string | undefined): void {
    const done = () => {
      if (deploymentId !== undefined && deploymentId !== this.builds.latest) this.servicesOfBuild.delete(deploymentId);
      if (deploymentId !== undefined && this.host) this.host.retired(deploymentId, worker);
      else worker?.stop();
    };
    if (!worker) return done();
    this.builds.retire(worker.id, done);
    this.builds.retireIfIdle(worker.id)?.();
  }

  private retireDeployment(deploymentId: string): void {
    if (deploymentId === this.builds.latest) return;
    this.retireWorker(this.builds.workerFor(deploymentId), deploymentId);
  }

  /**
   * Pins an invocation to a deployment (its next attempts run that build),
   * written in commit order before anything its next attempt journals. A build
   * left with nothing pinned to it is retired.
   */
  private pin(inv: ActiveInvocation, to: string | undefined): void {
    const from = inv.deploymentId;
    if (from === to) return;
    inv.deploymentId = to;
    const keeps = to !== undefined ? this.builds.workerFor(to) : undefined;
    if (keeps) this.builds.unretire(keeps.id);
    const emptied = this.builds.repin(from, to);
    const id = inv.id;
    this.commit.enqueue(() => this.q.setDeployment(id, to ?? null));
    if (emptied !== undefined) this.retireDeployment(emptied);
  }

  /** The worker an attempt of `inv` runs on: its build's (started if need be), else the current one. */
  private workerFor(inv: ActiveInvocation): WorkerLink | undefined {
    const pinned = inv.deploymentId;
    if (pinned === undefined || !this.host || pinned === this.builds.latest) return this.builds.current;
    const worker = this.builds.workerFor(pinned);
    if (worker?.alive) {
      this.builds.unretire(worker.id);
      return worker;
    }
    // Its build's worker is ending (its exit starts this again) or starting (its ready does).
    if (worker || this.host.spawn(pinned)) return undefined;
    this.log(`${inv.id} ${describeTarget(inv)} was pinned to ${pinned}, whose build is no longer kept: it continues on the newest build`);
    this.pin(inv, this.builds.latest);
    return this.builds.current;
  }

  /** A kept build could not be loaded again: what waits for it runs on the newest build (`keeps` says false for it by now). */
  buildLost(deploymentId: string): void {
    for (const inv of [...this.store.all()]) {
      if (inv.deploymentId === deploymentId && inv.status === "ready" && !inv.attempt) this.startAttempt(inv);
    }
  }

  /** The deployment new invocations run on (the newest build), if the runtime has deployments. */
  latestDeployment(): string | undefined {
    return this.builds.latest;
  }

  /** Whether invocations can be moved to `deploymentId` (the newest build, or one still kept). */
  keepsDeployment(deploymentId: string): boolean {
    return deploymentId === this.builds.latest || (this.host?.keeps(deploymentId) ?? false);
  }

  /**
   * Unfinished invocations per deployment they are pinned to: how many, and
   * (for older builds only, at most `limit`) which. The newest build's would
   * be every invocation in flight, and the dashboard asks twice a second.
   */
  pinnedInvocations(limit = 100): Map<string, { count: number; ids: string[] }> {
    const out = new Map<string, { count: number; ids: string[] }>();
    const latest = this.builds.latest;
    let older = false;
    for (const [d, count] of this.builds.allPins()) {
      out.set(d, { count, ids: [] });
      if (d !== latest) older = true;
    }
    if (!older) return out;
    for (const inv of this.store.all()) {
      if (inv.deploymentId === undefined || inv.deploymentId === latest || inv.status === "completed") continue;
      const pins = out.get(inv.deploymentId);
      if (pins && pins.ids.length < limit) pins.ids.push(inv.id);
    }
    return out;
  }

  /**
   * Pins an in-flight invocation to another deployment (`resume --deployment`):
   * a running attempt on another build is asked to suspend and continues there by replay.
   */
  moveInvocation(inv: ActiveInvocation, deploymentId: string): void {
    if (inv.deploymentId === deploymentId) return;
    this.pin(inv, deploymentId);
    const attempt = inv.attempt;
    if (attempt && this.builds.deploymentOfWorker(attempt.workerId) !== deploymentId) this.seam.send(attempt.workerId, { t: "suspend", attemptId: attempt.attemptId });
  }

  /**
   * Replays the journal of every in-flight invocation against a new build,
   * offline (no closure runs, nothing is written), and reports those whose
   * journal the new code would not follow.
   */
  checkJournals(worker: WorkerLink, sameCode: (deploymentId: string) => boolean = () => false, timeoutMs = 3000): Promise<ReloadFinding[]> {
    // A build of the same bundle (a restart without a change) follows every journal of its twin.
    const targets = [...this.store.all()].filter(
      (inv) => inv.journal.size > 0 && inv.status !== "pending" && inv.status !== "scheduled" && inv.status !== "completed" && !(inv.deploymentId !== undefined && sameCode(inv.deploymentId)),
    );
    return Promise.all(
      targets.map(async (inv): Promise<ReloadFinding | undefined> => {
        const attemptId = this.store.newAttemptId();
        const answer = this.builds.awaitCheck(attemptId, timeoutMs);
        this.seam.send(worker.id, { ...this.startMessage(inv, attemptId), dryRun: true });
        const msg = await answer;
        const finding = { invocationId: inv.id, target: describeTarget(inv), status: inv.status };
        if (!msg) return { ...finding, inconclusive: "the replay did not finish in time" };
        if (msg.ok) return undefined;
        return { ...finding, ...(msg.mismatch ? { mismatch: msg.mismatch } : {}), ...(msg.inconclusive ? { inconclusive: msg.inconclusive } : {}) };
      }),
    ).then((all) => all.filter((f): f is ReloadFinding => f !== undefined));
  }

  /** A worker died: every attempt it ran fails and is retried. A retired worker's attempts move on, not counted as failures. */
  private workerExited(worker: WorkerLink, description: string): void {
    if (this.stopped) return;
    const build = this.builds.deploymentOfWorker(worker.id);
    const outcome = this.builds.exited(worker);
    if (outcome !== "crashed") {
      // Those pinned to its build start again on a new worker of that build.
      for (const inv of this.attemptsOn(worker.id)) {
        this.endAttempt(inv);
        this.startAttempt(inv);
      }
      outcome.retired?.();
    } else {
      for (const inv of this.store.onWorker(worker.id)) {
        this.attemptFailed(inv, { t: "error", attemptId: inv.attempt!.attemptId, code: 500, message: `the worker thread ended (${description}) while this attempt was running` });
      }
    }
    // An older build's worker ended: what waits to run on that build asks for a new one.
    if (build !== undefined && build !== this.builds.latest && this.builds.pinned(build) > 0) {
      for (const inv of [...this.store.all()]) if (inv.deploymentId === build && inv.status === "ready" && !inv.attempt) this.startAttempt(inv);
    }
  }

  private attemptsOn(workerId: number): ActiveInvocation[] {
    return this.builds.attemptsOn(workerId) === 0 ? [] : this.store.onWorker(workerId);
  }

  // --- ingress-facing API ----------------------------------------------------------

  invoke(req: InvokeRequest, parent?: { id: string; index: number | undefined }, restart?: { from: string; journal: Map<number, JournalEntry> }): Accepted {
    const svc = this.services.get(req.service);
    const h = svc?.handlers.find((x) => x.name === req.handler);
    if (!svc || !h) throw requestError("NOT_FOUND", 404, `handler ${req.service}/${req.handler} not found`);
    const isWorkflowRun = h.ty === "WORKFLOW";
    let id: string;
    if (isWorkflowRun) {
      // A workflow runs once per key: its id is derived from the key.
      id = workflowRunId(req.service, instanceKey(req.key, req.scope) ?? "");
      if (this.store.has(id) || this.q.getInvocation(id)) {
        return { invocationId: id, previouslyAccepted: true, workflowAlreadyInvoked: true, durable: () => this.acknowledged() };
      }
    } else {
      if (req.idempotencyKey !== undefined) {
        const existing = this.store.idempotent(idempotencyMapKey(req));
        // Acknowledged only once the first one's insert is durable (it may still be queued).
        if (existing) return { invocationId: existing, previouslyAccepted: true, durable: () => this.acknowledged() };
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
      retriesSinceEntry: 0,
      lastEntryAt: now,
      lastFailure: undefined,
      nextSeq: maxSeq(restart?.journal) + 1,
      cancel: undefined,
      waitingOn: undefined,
      restartedFrom: restart?.from,
      scope: req.scope,
      limitKey: req.limitKey,
      // New invocations run the newest build; the insert pins them to it (no write of its own).
      deploymentId: this.host ? this.builds.latest : undefined,
    };
    this.builds.repin(undefined, inv.deploymentId);
    if (!delayed && holdsLock(inv)) this.enterInbox(inv);
    this.store.add(inv);
    if (inv.idempotencyKey !== undefined) this.store.rememberIdempotency(idempotencyMapKey(req), inv.id);
    // The row and the copied entries as they are now: entries recorded before this flush insert themselves.
    this.commit.enqueue(this.invocationInsert(inv));
    // Asked for by those who acknowledge the invocation itself (a send's 202, a call's child id).
    const durable = () => this.acknowledged();
    if (delayed) this.timers.startAt(inv.id, inv.scheduledAt!, () => this.due(inv));
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
    if (found.state === "unknown") return Promise.reject(requestError("NOT_FOUND", 404, "invocation not found"));
    return this.store.waitForCompletion(id, signal);
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
    this.store.refuseAll((this.refusal = requestError("UNAVAILABLE", 503, `the runtime cannot make writes durable (${e.message}); stopping`, UNAVAILABLE_HINT)));
    onFatal(e);
  }

  lookup(id: string): Lookup {
    if (this.store.has(id)) return { state: "running" };
    const row = this.q.getInvocation(id);
    if (!row) return { state: "unknown" };
    if (row.status !== "completed") return { state: "running" };
    return { state: "completed", completion: completionFromRow(row) };
  }

  /** Resolves or rejects an awakeable; unknown or completed ones are ignored (first value wins). Settles once durable. */
  completeAwakeable(awakeableId: string, result: Result): Promise<void> {
    return this.durably(() => this.resolveAwakeable(awakeableId, result));
  }

  /**
   * State of a key as its next exclusive handler sees it: the key's cache
   * (with writes not committed yet) while it is active, else SQLite.
   */
  readState(service: string, key: string): StateEntries {
    return this.keys.read(service, key);
  }

  /** Who holds a key's lock and who waits for it, in order. */
  keyStatus(service: string, key: string, scope?: string): { holder: string | undefined; inbox: string[] } {
    return this.keys.status(service, instanceKey(key, scope)!);
  }

  /** The invocation an idempotency key names, if any. */
  idempotentInvocation(req: { service: string; key?: string; handler: string; idempotencyKey: string }): string | undefined {
    return this.store.idempotent(idempotencyMapKey(req));
  }

  /** The invocation id of a workflow's run for a key, if it ran (or runs). */
  workflowRun(service: string, key: string): { id: string; exists: boolean } {
    const id = workflowRunId(service, key);
    return { id, exists: this.store.has(id) || this.q.getInvocation(id) !== undefined };
  }

  /** An invocation's journal, in order: from memory while it runs, else from SQLite; undefined if unknown. */
  journalOf(id: string): JournalEntry[] | undefined {
    const inv = this.store.get(id);
    let entries: JournalEntry[];
    if (inv) entries = [...inv.journal.values()];
    else if (this.q.getInvocation(id)) entries = this.q.journal(id).map(entryFromRow);
    else return undefined;
    return entries.sort((a, b) => a.index - b.index);
  }

  /** Every write is committed (readers see it) and no acknowledgement waits for a sync. */
  get writesIdle(): boolean {
    return this.commit.settled;
  }

  /** Settles once everything written so far is durable (the admin API acknowledges rule changes with it). */
  durable(): Promise<void> {
    return this.commit.durable();
  }

  /** A write of a part beside the engine (deployments), in the engine's commit order. */
  write(w: () => void): void {
    this.commit.enqueue(w);
  }

  /** The engine's clock (injected in tests). */
  now(): number {
    return this.clock.now();
  }

  // --- for operator actions (operations.ts) -----------------------------------------

  /** The unfinished invocation with this id (completed ones stay until their completion is durable). */
  activeInvocation(id: string): ActiveInvocation | undefined {
    return this.store.get(id);
  }

  storedInvocation(id: string): InvocationRow | undefined {
    return this.q.getInvocation(id);
  }

  storedJournal(id: string): ReturnType<Queries["journal"]> {
    return this.q.journal(id);
  }

  /** Cancels an invocation and its child calls; nothing if it is completed or unknown. */
  cancelInvocation(id: string): void {
    const inv = this.store.get(id);
    if (!inv || inv.status === "completed" || inv.cancel) return;
    if (inv.status === "pending" || inv.status === "scheduled") {
      // Never started: nothing to compensate.
      this.complete(inv, CANCELLED);
      return;
    }
    const seq = inv.nextSeq++;
    inv.cancel = { seq };
    const now = this.clock.now();
    this.commit.enqueue(
      () => this.q.setCancel(id, seq, null, now),
      () => {
        const attempt = inv.attempt;
        if (attempt) this.seam.send(attempt.workerId, { t: "cancel", attemptId: attempt.attemptId, seq });
        else if (this.store.has(id)) {
          // Suspended, backing off or paused: run it now so the handler sees the cancel.
          this.timers.cancelStart(id);
          this.startAttempt(inv);
        }
      },
    );
    for (const child of childCalls(inv)) this.cancelInvocation(child);
  }

  /** Ends an invocation and its child calls at once with 409 "killed"; nothing if it is completed or unknown. */
  killInvocation(id: string): void {
    const inv = this.store.get(id);
    if (!inv || inv.status === "completed") return;
    const attempt = inv.attempt;
    if (attempt) this.seam.send(attempt.workerId, { t: "abort", attemptId: attempt.attemptId });
    const children = childCalls(inv);
    this.complete(inv, KILLED);
    for (const child of children) this.killInvocation(child);
  }

  /** Stops a running, suspended or backing-off invocation until resumed. */
  pauseInvocation(inv: ActiveInvocation): void {
    const attempt = inv.attempt;
    if (attempt) this.seam.send(attempt.workerId, { t: "abort", attemptId: attempt.attemptId });
    this.endAttempt(inv);
    this.setPaused(inv, inv.lastFailure);
  }

  /** Starts a paused, suspended or backing-off invocation now. */
  resumeInvocation(inv: ActiveInvocation): void {
    if (inv.attempt) return;
    this.timers.cancelStart(inv.id);
    this.setStatus(inv, "ready");
    this.startAttempt(inv);
  }

  /** Forgets a completed invocation: its idempotency key, its rows (a workflow's state and promises too). */
  forget(row: ForgetRow): void {
    if (row.idempotency_key !== null) this.store.forgetIdempotency(idempotencyMapKey({ ...row, idempotencyKey: row.idempotency_key }), row.id);
    this.commit.enqueue(() => {
      this.q.deleteInvocation(row.id);
      if (row.handler_type === "workflow" && row.key !== null) {
        // A workflow's state and promises live as long as its run is retained.
        this.q.clearAllState(row.service, row.key);
        this.q.deletePromises(row.service, row.key);
      }
    });
  }

  /** State commands write through the key's cache and commit with their journal entry. */
  applyState(service: string, key: string, w: StateWrite, alsoWrite?: () => void): void {
    this.keys.write(service, key, w);
    const q = this.q;
    const write =
      w.type === "SetState"
        ? () => q.setState(service, key, w.name, w.value)
        : w.type === "ClearState"
          ? () => q.clearState(service, key, w.name)
          : () => q.clearAllState(service, key);
    this.commit.enqueue(() => {
      alsoWrite?.();
      write();
    });
  }

  // --- recovery ----------------------------------------------------------------------

  /** Rebuilds memory from the database after a start or a crash. */
  private recover(): void {
    const now = this.clock.now();
    for (const rec of this.q.idempotencyRecords(now)) {
      this.store.rememberIdempotency(idempotencyMapKey({ ...rec, idempotencyKey: rec.idempotency_key }), rec.invocation_id);
    }
    const rows = this.q.unfinished();
    for (const row of rows) this.store.add(fromRow(row, this.q.journal(row.id)));
    for (const inv of this.store.all()) this.builds.repin(undefined, inv.deploymentId);
    for (const c of this.q.earlyCompletions()) {
      if (this.store.has(c.invocation_id)) this.store.addEarly(c.invocation_id, c.idx, resultFromColumns(c.result_kind, c.result)!);
    }
    const ordered = [...this.store.all()].sort((a, b) => (a.inboxSeq ?? 0) - (b.inboxSeq ?? 0) || a.createdAt - b.createdAt);
    // Lock holders first, then the inboxes in arrival order.
    for (const inv of ordered) {
      if (holdsLock(inv) && inv.status !== "scheduled" && inv.status !== "pending") this.keys.restore(inv.service, objectKey(inv), inv.id, true);
    }
    for (const inv of ordered) {
      // Pending without a lock to wait for: it waited for a concurrency slot, and asks again.
      if (inv.status === "pending" && !holdsLock(inv)) inv.status = "ready";
      if (inv.status === "pending") this.keys.restore(inv.service, objectKey(inv), inv.id, false);
    }
    // What had started holds its concurrency slots again.
    for (const inv of ordered) {
      if (inv.journal.size > 0 || ["running", "suspended", "backing-off", "paused"].includes(inv.status)) this.flow.restore(inv);
    }
    for (const inv of this.store.all()) {
      switch (inv.status) {
        case "running":
        case "ready":
          inv.status = "ready";
          break;
        case "backing-off":
          this.timers.startAt(inv.id, inv.nextRetryAt ?? now, () => this.retryNow(inv));
          break;
        case "scheduled":
          this.timers.startAt(inv.id, inv.scheduledAt ?? now, () => this.due(inv));
          break;
      }
      for (const e of inv.journal.values()) this.rearm(inv, e);
    }
    for (const next of this.keys.promoteFree((id) => this.store.has(id))) this.setStatus(this.store.get(next)!, "ready");
    for (const inv of this.store.all()) {
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
  private rearm(inv: ActiveInvocation, entry: JournalEntry): void {
    if (entry.result) return;
    if (entry.type === "Sleep" && entry.wakeUpAt !== undefined) this.armSleep(inv, entry);
    else if (entry.type === "GetPromise") this.waitForPromise(inv, entry);
    else if (entry.type === "Awakeable") this.applyEarly(inv, entry.index);
    else if (entry.type === "AttachInvocation") this.attachEntry(inv, entry, entry.targetId!);
    else if (entry.type === "Call" && entry.target?.invocationId) {
      const callee = this.store.get(entry.target.invocationId);
      // Its own child completes this entry itself; anything else is waited for here.
      if (callee && callee.parent?.id === inv.id && callee.parent.index === entry.index) return;
      this.attachEntry(inv, entry, entry.target.invocationId);
    }
  }

  // --- locks and inbox ---------------------------------------------------------------------

  /** An exclusive invocation arrives on its key: it runs now or waits its turn. */
  private enterInbox(inv: ActiveInvocation): void {
    const { inboxSeq, holds } = this.keys.enter(inv.service, objectKey(inv), inv.id);
    inv.inboxSeq = inboxSeq;
    inv.status = holds ? "ready" : "pending";
  }

  private releaseLock(inv: ActiveInvocation): void {
    if (!holdsLock(inv)) return;
    const next = this.keys.release(inv.service, objectKey(inv), inv.id, (id) => this.store.get(id)?.status === "pending");
    if (!next) return;
    const n = this.store.get(next)!;
    this.setStatus(n, "ready");
    this.startAttempt(n);
  }

  private loadState(service: string, key: string): StateEntries {
    return this.q.loadState(service, key).map((r) => [r.name, toBytes(r.value)]);
  }

  // --- attempts ------------------------------------------------------------------------------

  private startAttempt(inv: ActiveInvocation): void {
    if (this.stopped || inv.attempt) return;
    // A concurrency rule of its scope may make it wait for a slot (flow_control.ts).
    if (!this.flow.tryAdmit(inv)) {
      if (inv.status !== "pending") this.setStatus(inv, "pending");
      return;
    }
    const worker = this.workerFor(inv);
    if (!worker) {
      inv.status = "ready"; // started when a worker (of its build) is ready
      return;
    }
    const now = this.clock.now();
    // Writes still queued may include this invocation's insert or the previous
    // holder's completion: the attempt starts now, its closures once they are durable.
    const gated = !this.commit.idle;
    const { attemptId } = this.store.beginAttempt(inv, worker.id, now);
    inv.status = "running";
    inv.waitingOn = undefined;
    this.builds.attemptStarted(worker.id);
    // Started before its insert was written (the usual case for a new invocation): the row goes in as running.
    const unwritten = this.unwrittenRows.get(inv.id);
    if (unwritten) Object.assign(unwritten, { status: "running", running_at: now, modified_at: now });
    else this.commit.enqueue(() => this.q.setRunning(inv.id, now));
    // Pinned at insert; an attempt on another build (none was current then) pins it there, queued before anything it journals.
    const build = this.builds.deploymentOfWorker(worker.id);
    if (build !== inv.deploymentId) this.pin(inv, build);
    this.seam.send(worker.id, { ...this.startMessage(inv, attemptId), ...(gated ? { gated: true } : {}) });
    // A handler that ran closures before will ask again: its sync starts now, not a round trip later.
    if (gated && this.runsClosures.has(handlerKey(inv))) this.tellWhenDurable(inv, attemptId);
    this.touch(inv);
  }

  /** The start message of an attempt: the journal so far, and the state it needs (the key's cache if it holds the key). */
  private startMessage(inv: ActiveInvocation, attemptId: number): StartAttempt {
    let state: StateEntries | null = null;
    if (inv.key !== undefined && inv.serviceType !== "service") {
      state = holdsLock(inv) ? [...this.keys.holderState(inv.service, objectKey(inv)).entries()] : this.loadState(inv.service, objectKey(inv));
    }
    return startMessageOf(inv, attemptId, state, this.clock.now());
  }

  /** The attempt is over, whatever ended it; an old build's worker left with none is stopped. */
  private endAttempt(inv: ActiveInvocation): void {
    const attempt = this.store.endAttempt(inv);
    this.timers.unwatch(inv.id);
    if (attempt) this.builds.attemptEnded(attempt.workerId)?.();
  }

  /** Restarts an attempt on the current worker, without counting a failure (testing kit: replay hunting). */
  private moveAttempt(inv: ActiveInvocation): void {
    const attempt = inv.attempt;
    if (!attempt) return;
    this.seam.send(attempt.workerId, { t: "abort", attemptId: attempt.attemptId });
    this.endAttempt(inv);
    this.startAttempt(inv);
  }

  /**
   * Activity on an attempt restarts its inactivity timer. When it fires, the
   * worker is asked to suspend (it does if the handler only waits); if the
   * attempt is still there after the abort timeout, it is aborted and retried.
   */
  private touch(inv: ActiveInvocation): void {
    const attempt = inv.attempt;
    if (!attempt) return;
    const opts = this.optionsOf(inv);
    const inactivity = opts.inactivityTimeout ?? this.defaults.inactivityTimeoutMs;
    const abort = opts.abortTimeout ?? this.defaults.abortTimeoutMs;
    this.timers.watch(inv.id, inactivity, () => {
      if (inv.attempt?.attemptId !== attempt.attemptId) return;
      this.seam.send(attempt.workerId, { t: "suspend", attemptId: attempt.attemptId });
      this.timers.watch(inv.id, abort, () => {
        if (inv.attempt?.attemptId !== attempt.attemptId) return;
        // If its worker is stuck in a loop, the retry must not queue up behind it.
        this.seam.stopIfStuck(attempt.workerId);
        this.attemptFailed(inv, {
          t: "error",
          attemptId: attempt.attemptId,
          code: 500,
          message: `the attempt made no progress for ${formatMs(inactivity)} and did not suspend within the abort timeout of ${formatMs(abort)}: aborted`,
        });
      });
    });
  }

  private optionsOf(inv: ActiveInvocation): { inactivityTimeout?: number; abortTimeout?: number; idempotencyRetention?: number; journalRetention?: number; workflowRetention?: number } {
    const { service, handler } = this.definitionOf(inv);
    return { ...service?.options, ...handler?.options };
  }

  /** A gated attempt learns once everything before it is durable: its ctx.run closures may run. */
  private tellWhenDurable(inv: ActiveInvocation, attemptId: number): void {
    this.commit.afterDurable(() => this.notifyAttempt(inv, attemptId, { index: 0, what: "durable" }));
  }

  /** The service as the invocation's own build defines it (its options and retry policy), else as the newest does. */
  private definitionOf(inv: ActiveInvocation): { service?: ServiceManifest; handler?: HandlerManifest } {
    const own = inv.deploymentId !== undefined ? this.servicesOfBuild.get(inv.deploymentId)?.get(inv.service) : undefined;
    const service = own ?? this.services.get(inv.service);
    const handler = service?.handlers.find((h) => h.name === inv.handler);
    return { ...(service ? { service } : {}), ...(handler ? { handler } : {}) };
  }

  /** What a worker says (through the seam). */
  private onWorkerMessage(_worker: WorkerLink, msg: EngineBound): void {
    if (this.stopped) return;
    if (msg.t === "checked") {
      this.builds.checked(msg);
      return;
    }
    const inv = this.store.byAttempt(msg.attemptId);
    if (!inv) return; // a stale attempt: its invocation moved on
    switch (msg.t) {
      case "command":
        this.touch(inv);
        this.onCommand(inv, msg.entry);
        if (inv.attempt?.attemptId === msg.attemptId) {
          inv.attempt.newEntries++;
          if (this.testing) this.afterNewEntry(this.testing, inv);
        }
        return;
      case "output":
        if (this.testing && inv.attempt && replaysBeforeOutput(this.testing, inv.attempt.newEntries)) {
          this.moveAttempt(inv);
          return;
        }
        this.endAttempt(inv);
        this.complete(inv, msg.result);
        return;
      case "error":
        this.attemptFailed(inv, msg);
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
      case "awaitDurable": {
        // A gated attempt reached its first ctx.run: its closures may run once everything before it is durable.
        const attemptId = msg.attemptId;
        this.runsClosures.add(handlerKey(inv));
        this.tellWhenDurable(inv, attemptId);
        return;
      }
    }
  }

  /** Testing kit: after a new journal entry, crash the attempt or replay it, as asked. */
  private afterNewEntry(t: EngineTestingOptions, inv: ActiveInvocation): void {
    const attempt = inv.attempt;
    if (!attempt) return;
    const target = { id: inv.id, service: inv.service, handler: inv.handler, ...(inv.key !== undefined ? { key: inv.key } : {}) };
    const decision = afterNewEntry(t, target, inv.journal.size, attempt.newEntries);
    if (decision === "crash") {
      this.attemptFailed(inv, { t: "error", attemptId: attempt.attemptId, code: 500, message: `the test crashed this attempt after journal entry ${inv.journal.size} (crashAfter)` });
    } else if (decision === "replay") this.moveAttempt(inv);
  }

  /**
   * Tells the running attempt about a completion, an ack, a child's id or the
   * durable notice. Call it only from the durability callback of the write that
   * records what it says (see the top of this file).
   */
  private notifyAttempt(inv: ActiveInvocation, attemptId: number, msg: Omit<Notify, "t" | "attemptId">): void {
    if (inv.attempt?.attemptId !== attemptId) return;
    this.touch(inv);
    this.seam.send(inv.attempt.workerId, { t: "notify", attemptId, ...msg });
  }

  private onCommand(inv: ActiveInvocation, entry: JournalEntry): void {
    const attemptId = inv.attempt!.attemptId;
    if (inv.journal.has(entry.index)) {
      this.attemptFailed(inv, { t: "error", attemptId, code: PROTOCOL_VIOLATION_CODE, message: `protocol violation: entry ${entry.index} is already in the journal` });
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
        if (entry.type === "CompleteAwakeable") this.resolveAwakeable(entry.targetId!, entry.completion!);
        if (entry.type === "CancelInvocation") this.cancelInvocation(entry.targetId!);
        return;
      case "SetState":
        this.applyState(inv.service, objectKey(inv), { type: "SetState", name: entry.name!, value: entry.value! }, journal(true));
        return;
      case "ClearState":
        this.applyState(inv.service, objectKey(inv), { type: "ClearState", name: entry.name! }, journal(true));
        return;
      case "ClearAllState":
        this.applyState(inv.service, objectKey(inv), { type: "ClearAllState" }, journal(true));
        return;
      case "Run":
        // The handler continues only once the result is durable.
        entry.seq = inv.nextSeq++;
        this.commit.enqueue(journal(true), () => this.notifyAttempt(inv, attemptId, { index: entry.index, what: "ack" }));
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
        this.waitForPromise(inv, entry);
        return;
      case "PeekPromise":
      case "CompletePromise":
        this.commit.enqueue(journal(false));
        this.onPromiseCommand(inv, entry);
        return;
      case "AttachInvocation":
        this.commit.enqueue(journal(false));
        this.attachEntry(inv, entry, entry.targetId!);
        return;
      case "Call":
      case "OneWayCall":
        this.onCall(inv, attemptId, entry, now);
        return;
    }
  }

  /** A call or send: the child is created in the same transaction as the parent's entry. */
  private onCall(inv: ActiveInvocation, attemptId: number, entry: JournalEntry, now: number): void {
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
    void accepted.durable().then(() => this.notifyAttempt(inv, attemptId, { index: entry.index, what: "invocationId", invocationId: accepted.invocationId }), () => undefined);
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
  private completeEntry(inv: ActiveInvocation, index: number, result: Result): void {
    if (this.store.get(inv.id) !== inv) return;
    const entry = inv.journal.get(index);
    if (!entry || entry.result) return;
    entry.result = result;
    entry.seq = inv.nextSeq++;
    const seq = entry.seq;
    const now = this.clock.now();
    this.commit.enqueue(
      () => this.q.completeEntry(inv.id, index, result, now, seq),
      () => {
        const attemptId = inv.attempt?.attemptId;
        if (attemptId !== undefined) this.notifyAttempt(inv, attemptId, { index, what: "result", result, seq });
        else if (inv.status === "suspended" && inv.waitingOn?.has(index)) this.resumeSuspended(inv);
      },
    );
  }

  private armSleep(inv: ActiveInvocation, entry: JournalEntry): void {
    this.timers.sleep(inv.id, entry.index, entry.wakeUpAt!, () => this.completeEntry(inv, entry.index, { kind: "empty" }));
  }

  /** An entry waits for another invocation's result: now if it has one, else when it completes. */
  private attachEntry(inv: ActiveInvocation, entry: JournalEntry, targetId: string): void {
    const done = this.store.completingResult(targetId);
    if (done) {
      // Its completion is queued: this entry's write is queued after it, so both are durable together or in order.
      this.completeEntry(inv, entry.index, done);
      return;
    }
    if (this.store.has(targetId)) {
      this.store.addEntryWaiter(targetId, { id: inv.id, index: entry.index });
      return;
    }
    const found = this.lookup(targetId);
    this.completeEntry(inv, entry.index, found.state === "completed" ? found.completion.result : describeAttach(targetId));
  }

  // --- awakeables and workflow promises ---------------------------------------------------------------

  /** Resolves or rejects an awakeable; unknown or completed ones are ignored (first value wins). */
  private resolveAwakeable(awakeableId: string, result: Result): void {
    const parsed = parseAwakeableId(awakeableId);
    if (!parsed) throw requestError("BAD_AWAKEABLE_ID", 400, `bad awakeable id '${awakeableId}': bad format`);
    const inv = this.store.get(parsed.invocationId);
    if (!inv) return;
    const entry = inv.journal.get(parsed.index);
    if (entry) {
      if (entry.type === "Awakeable") this.completeEntry(inv, parsed.index, result);
      return;
    }
    // The id reached someone before the attempt's Awakeable command reached the
    // engine (ids are made in the worker): keep the resolution, durably, until it does.
    if (parsed.index < 1 || !this.store.addEarly(inv.id, parsed.index, result)) return;
    const now = this.clock.now();
    this.commit.enqueue(() => this.q.insertEarlyCompletion(inv.id, parsed.index, result, now));
  }

  /** The awakeable at `index` was just recorded (or recovered): a resolution that came first completes it. */
  private applyEarly(inv: ActiveInvocation, index: number): void {
    const early = this.store.early(inv.id, index);
    if (early) this.completeEntry(inv, index, early);
  }

  private waitForPromise(inv: ActiveInvocation, entry: JournalEntry): void {
    const p = promiseRef(inv, entry.name!);
    const stored = this.promises.stored(p);
    if (stored) this.completeEntry(inv, entry.index, stored);
    else this.promises.wait(p, { id: inv.id, index: entry.index });
  }

  private onPromiseCommand(inv: ActiveInvocation, entry: JournalEntry): void {
    const p = promiseRef(inv, entry.name!);
    const stored = this.promises.stored(p);
    if (entry.type === "PeekPromise") {
      this.completeEntry(inv, entry.index, stored ?? { kind: "empty" });
      return;
    }
    if (stored) {
      this.completeEntry(inv, entry.index, { kind: "failure", code: 409, message: "promise was already completed" });
      return;
    }
    const completion = entry.completion!;
    const now = this.clock.now();
    const { waiters, durable } = this.promises.complete(p, completion);
    this.commit.enqueue(() => this.q.insertPromise(p.service, p.key, p.name, completion, now), durable);
    this.completeEntry(inv, entry.index, { kind: "empty" });
    for (const w of waiters) {
      const waiting = this.store.get(w.id);
      if (waiting) this.completeEntry(waiting, w.index, completion);
    }
  }

  // --- suspension ------------------------------------------------------------------------------

  private suspend(inv: ActiveInvocation, waitingOn: number[]): void {
    const workerId = inv.attempt!.workerId;
    const movingOff = this.builds.isRetiring(workerId) || this.builds.deploymentOfWorker(workerId) !== (inv.deploymentId ?? this.builds.latest);
    this.endAttempt(inv);
    inv.waitingOn = new Set(waitingOn);
    if (movingOff || waitingOn.some((i) => inv.journal.get(i)?.result)) {
      // It moves to another build (continue there at once), or a completion raced the suspension.
      this.resumeSuspended(inv);
      return;
    }
    inv.status = "suspended";
    const now = this.clock.now();
    this.commit.enqueue(() => this.q.setSuspended(inv.id, waitingOn, now));
  }

  private resumeSuspended(inv: ActiveInvocation): void {
    if (inv.attempt || !this.store.has(inv.id)) return;
    inv.waitingOn = undefined;
    this.startAttempt(inv);
  }

  // --- failures and retries ----------------------------------------------------------------------

  /** An attempt failed: the failure policy decides (retry after a backoff, pause, or fail), this carries it out. */
  private attemptFailed(inv: ActiveInvocation, err: AttemptError): void {
    const attempt = inv.attempt;
    if (!attempt) return;
    this.endAttempt(inv);
    this.seam.send(attempt.workerId, { t: "abort", attemptId: attempt.attemptId });
    inv.retryCount += 1;
    inv.retriesSinceEntry += 1;
    const now = this.clock.now();
    const { failure, lastFailure, head } = describeFailure(inv, err, now);
    inv.lastFailure = lastFailure;
    const { service, handler } = this.definitionOf(inv);
    const policy = resolveRetryPolicy(service, handler);
    const decision = decideFailure(policy, { failedAttempts: inv.retryCount }, err, !!this.testing && failsFast(this.testing, err));
    switch (decision.kind) {
      case "fail":
        this.log(decision.retriesOff ? `${head}; the invocation fails (retries are off in this test environment)` : `${head}; no attempts left (${policy.maxAttempts}), the invocation fails`);
        this.commit.enqueue(() => this.q.insertFailure(failure));
        this.complete(inv, decision.result);
        return;
      case "pause":
        this.log(`${head}; ${decision.exhausted ? `no attempts left (${policy.maxAttempts}), ` : ""}paused: resume, restart or kill it`);
        this.commit.enqueue(() => this.q.insertFailure(failure));
        this.setPaused(inv, lastFailure);
        return;
      case "retry": {
        const nextRetryAt = now + decision.delayMs;
        inv.status = "backing-off";
        inv.nextRetryAt = nextRetryAt;
        this.log(`${head}; retrying in ${formatMs(decision.delayMs)}`);
        this.commit.enqueue(() => {
          this.q.insertFailure(failure);
          this.q.setBackingOff(inv.id, "backing-off", inv.retryCount, inv.nextRetryAt!, lastFailure, now);
        });
        this.timers.startAt(inv.id, nextRetryAt, () => this.retryNow(inv));
        return;
      }
    }
  }

  private setPaused(inv: ActiveInvocation, lastFailure: string | undefined): void {
    this.timers.cancelStart(inv.id);
    inv.status = "paused";
    inv.nextRetryAt = undefined;
    const now = this.clock.now();
    this.commit.enqueue(() => this.q.setBackingOff(inv.id, "paused", inv.retryCount, null, lastFailure ?? null, now));
  }

  private retryNow(inv: ActiveInvocation): void {
    if (!this.store.has(inv.id) || inv.status !== "backing-off") return;
    this.setStatus(inv, "ready");
    this.startAttempt(inv);
  }

  /** A delayed send is due. */
  private due(inv: ActiveInvocation): void {
    if (!this.store.has(inv.id) || inv.status !== "scheduled") return;
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

  private setStatus(inv: ActiveInvocation, status: InvocationStatus): void {
    inv.status = status;
    const now = this.clock.now();
    this.commit.enqueue(() => this.q.setStatus(inv.id, status, now));
  }

  // --- completion ----------------------------------------------------------------------------

  private complete(inv: ActiveInvocation, result: Result): void {
    if (inv.status === "completed") return;
    const now = this.clock.now();
    this.timers.cancelStart(inv.id);
    this.endAttempt(inv);
    inv.status = "completed";
    // Nothing runs on its build for it any more: an older build left with nothing pinned retires.
    const emptied = this.builds.repin(inv.deploymentId, undefined);
    if (emptied !== undefined) this.retireDeployment(emptied);
    const opts = this.optionsOf(inv);
    const isWorkflowRun = inv.handlerType === "workflow";
    const retention = isWorkflowRun
      ? (opts.workflowRetention ?? this.defaults.workflowRetentionMs)
      : (opts.idempotencyRetention ?? this.defaults.idempotencyRetentionMs);
    const expiresAt = now + retention;
    const journalExpiresAt = now + Math.min(retention, opts.journalRetention ?? this.defaults.journalRetentionMs);
    this.forgetWaits(inv);
    this.store.markCompleting(inv.id, result);
    const hadEarly = this.store.dropEarly(inv.id);
    this.commit.enqueue(
      () => {
        this.q.complete(inv.id, result, now, expiresAt, journalExpiresAt);
        if (inv.idempotencyKey !== undefined) this.q.expireIdempotency(inv.id, expiresAt);
        if (hadEarly) this.q.deleteEarlyCompletions(inv.id);
      },
      () => {
        this.sweeper.dueAt(journalExpiresAt);
        this.store.remove(inv.id);
        if (inv.key !== undefined) this.keys.evict(inv.service, objectKey(inv));
        this.store.completed({ id: inv.id, result, completedAt: now, expiresAt });
      },
    );
    // The next exclusive invocation of the key may start now: its state comes
    // from the cache, its closures wait until this completion is durable.
    this.releaseLock(inv);
    this.flow.release(inv.id);
    // The caller's Call entry, and every entry attached to this invocation,
    // complete in the same transaction: never lost.
    const parent = inv.parent?.index !== undefined ? this.store.get(inv.parent.id) : undefined;
    if (parent) this.completeEntry(parent, inv.parent!.index!, result);
    for (const w of this.store.takeEntryWaiters(inv.id)) {
      const waiting = this.store.get(w.id);
      if (waiting) this.completeEntry(waiting, w.index, result);
    }
  }

  /** An invocation ended: it waits for nothing any more (timers, promises, other invocations). */
  private forgetWaits(inv: ActiveInvocation): void {
    for (const entry of inv.journal.values()) {
      if (entry.result) continue;
      if (entry.type === "Sleep") this.timers.cancelSleep(inv.id, entry.index);
      else if (entry.type === "GetPromise") this.promises.drop(promiseRef(inv, entry.name!), inv.id, entry.index);
      else if (entry.type === "AttachInvocation" || entry.type === "Call") {
        const target = entry.type === "Call" ? entry.target?.invocationId : entry.targetId;
        if (target) this.store.dropEntryWaiter(target, inv.id, entry.index);
      }
    }
  }

  /** The write that inserts an invocation, with the row and copied entries fixed now. */
  private invocationInsert(inv: ActiveInvocation): () => void {
    const row = toRow(inv);
    this.unwrittenRows.set(inv.id, row);
    // Journal entries copied by restart-as-new; the attempt's own entries insert themselves.
    const copied = [...inv.journal.values()];
    const { id, service, handler, idempotencyKey, createdAt } = inv;
    const key = instanceKey(inv.key, inv.scope);
    return () => {
      this.unwrittenRows.delete(id);
      this.q.insertInvocation(row);
      if (idempotencyKey !== undefined) this.q.insertIdempotency(service, key ?? "", handler, idempotencyKey, id);
      for (const entry of copied) this.q.insertEntry(id, entry, createdAt, isCompleted(entry));
    };
  }

  // --- shutdown ----------------------------------------------------------------------------------

  /** Stops timers and commits what is queued; unfinished work resumes at the next start. */
  stop(): void {
    this.stopped = true;
    this.sweeper.stop();
    this.timers.stop();
    this.commit.close();
  }
}

/** Which handler an invocation runs, as a key. */
function handlerKey(inv: ActiveInvocation): string {
  return `${inv.service}/${inv.handler}`;
}

function promiseRef(inv: ActiveInvocation, name: string): PromiseRef {
  return { service: inv.service, key: inv.key!, name };
}

function completionFromRow(row: InvocationRow): Completion {
  return {
    id: row.id,
    result: resultFromColumns(row.result_kind, row.result)!,
    completedAt: row.completed_at!,
    ...(row.completion_expires_at !== null ? { expiresAt: row.completion_expires_at } : {}),
  };
}
