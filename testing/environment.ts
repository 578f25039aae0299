/**
 * RestateTestEnvironment: restate-dev's engine in the test's own process, on a
 * throw-away SQLite file, with the handlers running in-process over the
 * worker protocol, an ingress on an ephemeral port, and a virtual clock.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Engine } from "../runtime/engine/engine.js";
import { Releasers } from "../runtime/releasers.js";
import { WorkerSeam } from "../runtime/workers/seam.js";
import { serveHttp } from "../runtime/ingress/http.js";
import { guard } from "../runtime/ingress/guard.js";
import { parseDelay } from "../runtime/ingress/duration.js";
import { ingressError, ingressRoutes } from "../runtime/ingress/routes.js";
import { openDatabase, type Db } from "../runtime/storage/db.js";
import { setClock } from "../sdk/clock.js";
import { internals } from "../sdk/definitions.js";
import { durationToMillis, type Duration } from "../sdk/duration.js";
import type { ServiceOptions } from "../sdk/options.js";
import { HandlerRegistry } from "../sdk/worker/registry.js";
import { TestClient } from "./client.js";
import type { NamedDefinition } from "./definitions.js";
import { InProcessWorker } from "./in_process_worker.js";
import { readJournal, type JournalEntryView } from "./journal.js";
import { StateProxy } from "./state.js";
import { VirtualClock } from "./virtual_clock.js";

export interface TestEnvironmentOptions {
  /** The services, virtual objects and workflows to run, as you would bind them to an endpoint. */
  services: unknown[];
  /** Options for every service, as `endpoint().defaultServiceOptions(...)`. */
  defaultServiceOptions?: ServiceOptions;
  /**
   * Skip time: whenever all work only waits on timers (sleeps, delayed sends,
   * retry backoffs), the clock jumps to the next one. Default true; with false,
   * time moves only with `env.clock.advance(...)`.
   */
  autoAdvance?: boolean;
  /** Where the virtual clock starts. Default: the real time when the environment starts. */
  startTime?: number | Date;
  /**
   * Replay hunting: attempts are ended and replayed from the journal all the
   * time (after their first new journal entry, at the next one or when they
   * return), so a handler that takes another path on replay fails with code
   * 570 and a message naming the entry. Default false.
   */
  alwaysReplay?: boolean;
  /** The first failed attempt fails the invocation with its error: no retries, no pause. Default false. */
  disableRetries?: boolean;
  /** How long (real ms) nothing must happen before the environment counts as idle. Default 5. */
  quietMs?: number;
  /** The engine's log lines (failed attempts, retries). Default: dropped. */
  log?: (line: string) => void;
}

/** Time in the environment. It stands still unless advanced (or autoAdvance skips it). */
export interface TestClock {
  /** Now, on the virtual clock (ms since epoch): what `ctx.date.now()` journals. */
  now(): number;
  /**
   * Moves time forward by `"1h"`, `"30d"`, `"1m30s"`, a number of ms or a
   * Duration, firing every timer due on the way, in order, each once the work
   * of the previous one has settled. Resolves once the last has settled.
   */
  advance(by: string | number | Duration): Promise<void>;
}

export interface CrashAfter {
  /** Crash the attempt that records this journal entry (1-based: after n entries). */
  entries: number;
  /** Only invocations of this service (a definition or its name) ... */
  service?: NamedDefinition | string;
  /** ... this handler ... */
  handler?: string;
  /** ... and this key. */
  key?: string;
  /** How many attempts to crash. Default 1. */
  times?: number;
}

export interface InjectedCrash {
  /** The invocations whose attempt was crashed, in order. */
  readonly crashed: readonly string[];
  /** Crash nothing more. */
  cancel(): void;
}

/** An environment is running (or starting) in this process. */
let running = false;

const realDelay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class RestateTestEnvironment {
  /** Typed clients over the ingress. */
  readonly client: TestClient;
  readonly clock: TestClock;
  private stopped = false;
  private advancing = 0;

  private constructor(
    /** Where the ingress listens, e.g. http://127.0.0.1:39231: for fetch or `@restatedev/restate-sdk-clients`. */
    readonly ingressUrl: string,
    private readonly engine: Engine,
    private readonly worker: InProcessWorker,
    private readonly virtualClock: VirtualClock,
    private readonly quietMs: number,
    private readonly faults: Set<FaultState>,
    private readonly release: () => Promise<void>,
  ) {
    this.client = new TestClient(ingressUrl);
    this.clock = { now: virtualClock.now, advance: (by) => this.advance(by) };
  }

  /** Starts an environment running `options.services`. Stop it with `stop()` (e.g. in afterAll). */
  static async start(options: TestEnvironmentOptions): Promise<RestateTestEnvironment> {
    if (running) {
      throw new Error("a RestateTestEnvironment is already running in this process: stop it first (the handlers' clock is per process)");
    }
    const registry = new HandlerRegistry(options.services.map(definitionOf), options.defaultServiceOptions);
    const releasers = new Releasers();
    releasers.add(() => void (running = false));
    const release = () => releasers.release();
    running = true;
    try {
      const dir = mkdtempSync(join(tmpdir(), "restate-dev-testenv-"));
      releasers.add(() => rmSync(dir, { recursive: true, force: true }));
      const db: Db = openDatabase(join(dir, "runtime.db"));
      // The file is thrown away at stop: no need to wait for the disk.
      db.pragma("synchronous = OFF");
      releasers.add(() => void db.close());

      const start = options.startTime instanceof Date ? options.startTime.getTime() : (options.startTime ?? Date.now());
      const clock = new VirtualClock(start);
      setClock(clock.now);
      releasers.add(() => setClock(() => Date.now()));
      releasers.add(() => clock.stop());

      const faults = new Set<FaultState>();
      const log = options.log ?? (() => {});
      const seam = new WorkerSeam();
      const engine = new Engine({
        db,
        workers: seam,
        log,
        onFatal: (e) => log(`fatal: the test database failed: ${e.message}`),
        clock,
        testing: {
          alwaysReplay: options.alwaysReplay ?? false,
          disableRetries: options.disableRetries ?? false,
          crashAfterEntry: (inv, entries) => crashes(faults, inv, entries),
        },
      });
      releasers.add(() => engine.stop());

      const worker = new InProcessWorker(1, registry, seam);
      releasers.add(() => worker.stop());
      engine.workerReady(worker, structuredClone(registry.manifest));

      const maxBodyBytes = 10 * 1024 * 1024;
      const tooLarge = (limit: number) => ingressError(413, `the request body is larger than the limit of ${limit} bytes`, "ingress");
      // The same checks as `up`'s ingress: loopback Host and origins only.
      const handler = guard(ingressRoutes(engine), { originFlag: "--allow-origin", error: (status, message) => ingressError(status, message, "ingress") });
      const server = await serveHttp(handler, { host: "127.0.0.1", port: 0, maxBodyBytes, tooLarge });
      releasers.add(() => {
        server.close();
        server.closeAllConnections();
      });

      const env = new RestateTestEnvironment(`http://127.0.0.1:${portOf(server)}`, engine, worker, clock, options.quietMs ?? 5, faults, release);
      if (options.autoAdvance ?? true) void env.autoAdvance();
      return env;
    } catch (e) {
      await release().catch(() => undefined);
      throw e;
    }
  }

  /**
   * State of a virtual object's or workflow's key, read and written through the
   * engine; `{ scope }` for the key's instance in a scope (flow control).
   */
  stateOf(definition: NamedDefinition | string, key: string, opts: { scope?: string } = {}): StateProxy {
    const service = typeof definition === "string" ? definition : definition.name;
    return new StateProxy(this.engine, service, key, () => this.settle(), opts.scope);
  }

  /** The journal of an invocation once the environment is idle: entries with decoded values. */
  async journal(invocationId: string): Promise<JournalEntryView[]> {
    await this.settle();
    return readJournal(this.engine, invocationId);
  }

  /**
   * Fault injection: the next attempt (of the given target, if any) whose
   * journal reaches `entries` entries is crashed there, as a dying worker
   * would crash it: the attempt fails and the invocation is retried by replay.
   */
  crashAfter(fault: CrashAfter): InjectedCrash {
    if (!Number.isInteger(fault.entries) || fault.entries < 1) throw new TypeError(`crashAfter needs entries >= 1, got ${fault.entries}`);
    const state: FaultState = { ...fault, times: fault.times ?? 1, crashed: [] };
    this.faults.add(state);
    return {
      crashed: state.crashed,
      cancel: () => this.faults.delete(state),
    };
  }

  /**
   * Resolves once no attempt is doing work: what is left only waits (on
   * timers, awakeables, promises, or an advance of the clock).
   */
  async settle(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      if (this.quiet() && performance.now() - this.worker.lastActivity >= this.quietMs) return;
      await realDelay(1);
    }
  }

  /** Stops everything and deletes the database. Unfinished invocations are dropped. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.release();
  }

  private quiet(): boolean {
    return !this.worker.busy && this.engine.writesIdle && !this.virtualClock.hasDue;
  }

  private async advance(by: string | number | Duration): Promise<void> {
    const ms = toMillis(by);
    this.advancing++;
    try {
      const target = this.virtualClock.now() + ms;
      await this.settle();
      for (;;) {
        const next = this.virtualClock.nextDue({ background: false });
        if (this.stopped || next === undefined || next > target) break;
        this.virtualClock.moveTo(next);
        await this.settle();
      }
      this.virtualClock.moveTo(target);
      await this.settle();
    } finally {
      this.advancing--;
    }
  }

  /** Whenever everything only waits, jump to the next timer. */
  private async autoAdvance(): Promise<void> {
    while (!this.stopped) {
      await this.settle();
      const next = this.virtualClock.nextDue({ background: false });
      if (this.stopped) return;
      if (this.advancing > 0 || next === undefined) await realDelay(this.quietMs);
      else this.virtualClock.moveTo(next);
    }
  }
}

type FaultState = CrashAfter & { times: number; crashed: string[] };

function crashes(faults: Set<FaultState>, inv: { id: string; service: string; handler: string; key?: string }, entries: number): boolean {
  for (const f of faults) {
    const service = typeof f.service === "string" ? f.service : f.service?.name;
    if (f.entries !== entries || f.times <= 0) continue;
    if ((service !== undefined && service !== inv.service) || (f.handler !== undefined && f.handler !== inv.handler) || (f.key !== undefined && f.key !== inv.key)) continue;
    f.times--;
    f.crashed.push(inv.id);
    if (f.times <= 0) faults.delete(f);
    return true;
  }
  return false;
}

function toMillis(by: string | number | Duration): number {
  const ms = typeof by === "string" ? parseDelay(by) : durationToMillis(by);
  if (ms === undefined || !(ms >= 0)) throw new TypeError(`clock.advance needs a duration >= 0 like "1h", "30d", 500 or { minutes: 5 }, got ${JSON.stringify(by)}`);
  return ms;
}

function definitionOf(def: unknown) {
  try {
    return internals(def);
  } catch (e) {
    const d = def as { name?: unknown; service?: unknown; object?: unknown; workflow?: unknown } | undefined;
    if (d && typeof d.name === "string" && (d.service || d.object || d.workflow)) {
      throw new TypeError(
        `'${d.name}' was defined with @restatedev/restate-sdk itself, but the test environment runs handlers on restate-dev's SDK, ` +
          `as \`restate-dev up\` does. Resolve the import to it in your test runner, e.g. in vitest.config.ts: ` +
          `resolve: { alias: { "@restatedev/restate-sdk": "restate-dev/sdk" } }`,
      );
    }
    throw e;
  }
}

function portOf(s: Server): number {
  const a = s.address();
  return typeof a === "object" && a ? a.port : 0;
}
