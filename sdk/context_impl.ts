/**
 * One attempt of one invocation, seen from the SDK: the context handed to the
 * handler. New commands are sent to the runtime; commands the journal already
 * holds are replayed from it, after checking that the code issued the same
 * command (type and name) at the same index.
 */
import type {
  Context,
  ContextDate,
  GenericCall,
  GenericSend,
  InvocationHandle,
  InvocationPromise,
  Request,
  RunAction,
  RunOptions,
} from "./context.js";
import { durationToMillis, type Duration } from "./duration.js";
import {
  JournalMismatchError,
  RetryableError,
  PauseError,
  TerminalError,
  INTERNAL_ERROR_CODE,
} from "./errors.js";
import { handlerInfo, type DefinitionInternals } from "./definitions.js";
import type { HandlerOptions } from "./options.js";
import { pending, wrap, type PromiseHost, type RestatePromise } from "./promise.js";
import { DeterministicRand } from "./rand.js";
import { Opts, SendOpts } from "./rpc.js";
import { serde as serdes, type Serde } from "./serde.js";
import type { EntryType, FromWorker, JournalEntry, Notify, Result, StartAttempt } from "./worker/protocol.js";

export interface ResolvedHandler {
  definition: DefinitionInternals;
  name: string;
  fn: (ctx: unknown, input: unknown) => Promise<unknown>;
  kind: "SERVICE" | "EXCLUSIVE" | "SHARED" | "WORKFLOW";
  /** Service options with the handler's on top. */
  options: HandlerOptions;
}

interface Waiter {
  onAck?: () => void;
  onInvocationId?: (id: string) => void;
  onResult?: (r: Result) => void;
}

const EMPTY = new Uint8Array(0);
const RUN_DEFAULTS = { initialRetryInterval: 50, retryIntervalFactor: 2, maxRetryInterval: 10_000 };

export function failureOf(e: TerminalError): Result {
  const r: Result = { kind: "failure", code: e.code, message: e.message };
  if (e.metadata) r.metadata = e.metadata;
  return r;
}

export function errorOf(r: Extract<Result, { kind: "failure" }>): TerminalError {
  return new TerminalError(r.message, { errorCode: r.code, ...(r.metadata ? { metadata: r.metadata } : {}) });
}

export class Attempt implements PromiseHost {
  private nextIndex = 1;
  private readonly journal = new Map<number, JournalEntry>();
  private readonly lastJournaled: number;
  private readonly waiters = new Map<number, Waiter>();
  private readonly state: Map<string, Uint8Array> | null;
  private readonly abort = new AbortController();
  private readonly startedAt = Date.now();
  private closed = false;
  readonly context: ContextImpl;

  constructor(
    readonly start: StartAttempt,
    readonly handler: ResolvedHandler,
    private readonly send: (msg: FromWorker) => void,
  ) {
    let last = 0;
    for (const e of start.journal) {
      this.journal.set(e.index, e);
      last = Math.max(last, e.index);
    }
    this.lastJournaled = last;
    this.state = start.state ? new Map(start.state) : null;
    this.context = new ContextImpl(this);
  }

  get aid(): number {
    return this.start.aid;
  }

  isReplaying(): boolean {
    return this.nextIndex <= this.lastJournaled;
  }

  isClosed(): boolean {
    return this.closed;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Runs the handler to its end: output, terminal failure, or a failed attempt. */
  async execute(): Promise<void> {
    const { handler } = this;
    let input: unknown;
    try {
      input = this.inputSerde().deserialize(this.start.input);
    } catch (e) {
      this.finish(failureOf(new TerminalError(`Failed to deserialize input: ${(e as Error).message}`, { errorCode: 400 })));
      return;
    }
    let value: unknown;
    try {
      value = await handler.fn(this.context, input);
    } catch (e) {
      if (this.closed) return;
      const terminal = this.asTerminal(e);
      if (terminal) this.finish(failureOf(terminal));
      else this.fail(e);
      return;
    }
    if (this.closed) return;
    if (this.lastJournaled >= this.nextIndex) {
      const recorded = this.journal.get(this.nextIndex);
      if (recorded) {
        this.mismatch(this.nextIndex, recorded, { type: "Output" });
        return;
      }
    }
    let bytes: Uint8Array;
    try {
      bytes = this.outputSerde().serialize(value);
    } catch (e) {
      this.fail(new Error(`Failed to serialize the handler's output: ${(e as Error).message}`));
      return;
    }
    this.finish({ kind: "value", value: bytes });
  }

  /** The runtime answered a command. */
  notify(msg: Notify): void {
    if (this.closed) return;
    const w = this.waiters.get(msg.index);
    if (!w) return;
    if (msg.what === "ack") w.onAck?.();
    else if (msg.what === "invocationId") w.onInvocationId?.(msg.invocationId!);
    else if (msg.what === "result") w.onResult?.(msg.result!);
  }

  /** The runtime ended this attempt (kill, shutdown); nothing more is sent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiters.clear();
    this.abort.abort();
  }

  private finish(result: Result): void {
    if (this.closed) return;
    this.send({ t: "output", aid: this.aid, result });
    this.close();
  }

  /** Fails this attempt: the runtime retries the invocation. */
  fail(e: unknown, related?: { index: number; type: string; name?: string }, extra?: { nextRetryDelayMs?: number; pause?: boolean }): void {
    if (this.closed) return;
    const err = e instanceof Error ? e : new Error(String(e));
    const msg: FromWorker = {
      t: "error",
      aid: this.aid,
      code: typeof (err as { code?: unknown }).code === "number" ? (err as unknown as { code: number }).code : INTERNAL_ERROR_CODE,
      message: err.message || err.name,
    };
    if (err.stack) msg.stack = err.stack;
    if (related) {
      msg.relatedIndex = related.index;
      msg.relatedType = related.type;
      if (related.name !== undefined) msg.relatedName = related.name;
    }
    if (e instanceof RetryableError && e.retryAfter !== undefined) msg.nextRetryDelayMs = durationToMillis(e.retryAfter);
    if (e instanceof PauseError) msg.pause = true;
    if (extra?.nextRetryDelayMs !== undefined) msg.nextRetryDelayMs = extra.nextRetryDelayMs;
    if (extra?.pause) msg.pause = true;
    this.send(msg);
    this.close();
  }

  private mismatch(index: number, recorded: JournalEntry, attempted: { type: string; name?: string }): void {
    const journaled = { type: recorded.type, ...(recorded.name !== undefined ? { name: recorded.name } : {}) };
    const message =
      `Journal mismatch at entry ${index}: the journal holds ${describe(journaled)}, but the code now does ${describe(attempted)}. ` +
      `The handler's code changed since this invocation ran, or it is not deterministic ` +
      `(Date.now(), Math.random() or I/O outside ctx.run). Restore the old code path, or restart or kill the invocation.`;
    this.fail(new JournalMismatchError(message, index, journaled, attempted), { index, type: attempted.type, ...(attempted.name !== undefined ? { name: attempted.name } : {}) });
  }

  /**
   * Allocates the next journal index for a command. Returns the recorded entry
   * when replaying, null when the attempt is over (mismatch or closed).
   */
  command(type: EntryType, name: string | undefined): { index: number; recorded?: JournalEntry } | null {
    if (this.closed) return null;
    const index = this.nextIndex++;
    const recorded = this.journal.get(index);
    if (recorded) {
      if (recorded.type !== type || (recorded.name ?? "") !== (name ?? "")) {
        this.mismatch(index, recorded, { type, ...(name !== undefined ? { name } : {}) });
        return null;
      }
      return { index, recorded };
    }
    return { index };
  }

  emit(entry: JournalEntry, waiter?: Waiter): void {
    if (waiter) this.waiters.set(entry.index, waiter);
    this.send({ t: "command", aid: this.aid, entry });
  }

  wait(index: number, waiter: Waiter): void {
    this.waiters.set(index, waiter);
  }

  // --- state ---------------------------------------------------------------

  stateMap(): Map<string, Uint8Array> {
    if (!this.state) throw new TerminalError("state is only available in virtual objects and workflows");
    return this.state;
  }

  // --- serdes --------------------------------------------------------------

  defaultSerde(): Serde<any> {
    return this.handler.options.serde ?? serdes.json;
  }
  inputSerde(): Serde<any> {
    return this.handler.options.input ?? serdes.json;
  }
  outputSerde(): Serde<any> {
    return this.handler.options.output ?? serdes.json;
  }

  asTerminal(e: unknown): TerminalError | undefined {
    if (e instanceof TerminalError) return e;
    const mapped = this.handler.options.asTerminalError?.(e);
    return mapped instanceof TerminalError ? mapped : undefined;
  }

  sleep(duration: Duration | number, name?: string): RestatePromise<void> {
    return this.context.sleep(duration, name);
  }

  retryInfo(): { count: number; durationMs: number; attemptStartedAt: number } {
    return {
      count: this.start.retryCountSinceLastStoredEntry,
      durationMs: this.start.durationSinceLastStoredEntry,
      attemptStartedAt: this.startedAt,
    };
  }
}

function describe(c: { type: string; name?: string }): string {
  if (c.type === "Output") return "the handler returning (Output)";
  return c.name ? `${c.type} '${c.name}'` : c.type;
}

function settle<T>(r: Result, serde: Serde<T>, resolve: (v: T) => void, reject: (e: unknown) => void): void {
  if (r.kind === "failure") {
    reject(errorOf(r));
    return;
  }
  try {
    resolve(serde.deserialize(r.value));
  } catch (e) {
    reject(e);
  }
}

class RequestImpl implements Request {
  readonly headers: ReadonlyMap<string, string>;
  readonly attemptHeaders: ReadonlyMap<string, string | string[] | undefined>;
  readonly extraArgs: unknown[] = [];
  readonly idempotencyKey?: string;
  constructor(private readonly attempt: Attempt) {
    const s = attempt.start;
    this.headers = new Map(s.headers);
    this.attemptHeaders = new Map(s.headers);
    if (s.idempotencyKey !== undefined) this.idempotencyKey = s.idempotencyKey;
  }
  get target() {
    const t = this.attempt.start.target;
    return { ...t, toString: () => (t.key !== undefined ? `${t.service}/${t.key}/${t.handler}` : `${t.service}/${t.handler}`) };
  }
  get id() {
    return this.attempt.start.invocationId;
  }
  get body() {
    return this.attempt.start.input;
  }
  get attemptCompletedSignal() {
    return this.attempt.signal;
  }
}

export class ContextImpl implements Context {
  readonly rand: DeterministicRand;
  readonly console: Console;
  readonly date: ContextDate;
  private readonly req: RequestImpl;

  constructor(private readonly a: Attempt) {
    this.rand = new DeterministicRand(a.start.seed);
    this.req = new RequestImpl(a);
    this.console = replayAwareConsole(a);
    this.date = {
      now: () => this.run(() => Date.now()),
      toJSON: () => this.run(() => new Date().toJSON()),
    };
  }

  get key(): string {
    const key = this.a.start.target.key;
    if (key === undefined) throw new TerminalError("this handler type doesn't support key()");
    return key;
  }

  request(): Request {
    return this.req;
  }

  // --- ctx.run -------------------------------------------------------------

  run<T>(a: string | RunAction<T>, b?: RunAction<T>, options?: RunOptions<T>): RestatePromise<T> {
    const name = typeof a === "string" ? a : "";
    const action = typeof a === "string" ? b : a;
    if (typeof action !== "function") throw new TypeError("ctx.run needs a function to run");
    const attempt = this.a;
    const serde: Serde<T> = options?.serde ?? attempt.defaultSerde();
    const n = attempt.command("Run", name);
    if (!n) return pending();
    if (n.recorded?.result) {
      const result = n.recorded.result;
      return wrap(new Promise<T>((res, rej) => settle(result, serde, res, rej)), attempt);
    }
    const index = n.index;
    const p = (async (): Promise<T> => {
      let value: T;
      try {
        value = await action();
      } catch (e) {
        if (attempt.isClosed()) return pending<T>();
        const terminal = attempt.asTerminal(e);
        if (terminal) return this.recordRun(index, name, failureOf(terminal), serde);
        const exhausted = runRetryExhausted(attempt, options);
        if (exhausted) {
          const message = e instanceof Error ? e.message : String(e);
          return this.recordRun(index, name, failureOf(new TerminalError(message)), serde);
        }
        attempt.fail(e, { index, type: "Run", name }, runRetryDelay(attempt, options));
        return pending<T>();
      }
      if (attempt.isClosed()) return pending<T>();
      let bytes: Uint8Array;
      try {
        bytes = value === undefined ? EMPTY : serde.serialize(value);
      } catch (e) {
        attempt.fail(new Error(`ctx.run '${name}' returned a value its serde cannot serialize: ${(e as Error).message}`), { index, type: "Run", name });
        return pending<T>();
      }
      return this.recordRun(index, name, { kind: "value", value: bytes }, serde);
    })();
    return wrap(p, attempt);
  }

  /** Journals a run's outcome and resolves only once the runtime says it is durable. */
  private recordRun<T>(index: number, name: string, result: Result, serde: Serde<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.a.emit({ index, type: "Run", name, result }, { onAck: () => settle(result, serde, resolve, reject) });
    });
  }

  // --- state -----------------------------------------------------------------

  get<T>(name: string, serde?: Serde<T>): Promise<T | null> {
    const a = this.a;
    const state = a.stateMap();
    const n = a.command("GetState", name);
    if (!n) return pending();
    let bytes: Uint8Array | undefined;
    if (n.recorded) {
      bytes = n.recorded.result?.kind === "value" ? n.recorded.result.value : undefined;
    } else {
      bytes = state.get(name);
      a.emit({ index: n.index, type: "GetState", name, ...(bytes ? { result: { kind: "value", value: bytes } as Result } : {}) });
    }
    if (bytes === undefined) return Promise.resolve(null);
    try {
      return Promise.resolve((serde ?? a.defaultSerde()).deserialize(bytes) as T);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  stateKeys(): Promise<string[]> {
    const a = this.a;
    const state = a.stateMap();
    const n = a.command("GetStateKeys", undefined);
    if (!n) return pending();
    if (n.recorded) return Promise.resolve(n.recorded.keys ?? []);
    const keys = [...state.keys()].sort();
    a.emit({ index: n.index, type: "GetStateKeys", keys });
    return Promise.resolve(keys);
  }

  set<T>(name: string, value: T, serde?: Serde<T>): void {
    const a = this.a;
    this.assertWritable("set");
    const state = a.stateMap();
    const n = a.command("SetState", name);
    if (!n) return;
    const bytes = n.recorded?.value ?? (serde ?? a.defaultSerde()).serialize(value);
    if (!n.recorded) a.emit({ index: n.index, type: "SetState", name, value: bytes });
    state.set(name, bytes);
  }

  clear(name: string): void {
    const a = this.a;
    this.assertWritable("clear");
    const state = a.stateMap();
    const n = a.command("ClearState", name);
    if (!n) return;
    if (!n.recorded) a.emit({ index: n.index, type: "ClearState", name });
    state.delete(name);
  }

  clearAll(): void {
    const a = this.a;
    this.assertWritable("clearAll");
    const state = a.stateMap();
    const n = a.command("ClearAllState", undefined);
    if (!n) return;
    if (!n.recorded) a.emit({ index: n.index, type: "ClearAllState" });
    state.clear();
  }

  private assertWritable(op: string): void {
    if (this.a.handler.kind === "SHARED") {
      throw new TerminalError(`ctx.${op}() is not available in a shared handler: shared handlers only read state`);
    }
  }

  // --- timers ------------------------------------------------------------------

  sleep(duration: Duration | number, name?: string): RestatePromise<void> {
    const millis = durationToMillis(duration);
    if (!(millis >= 0)) throw new TypeError(`ctx.sleep needs a duration >= 0, got ${millis}`);
    const a = this.a;
    const n = a.command("Sleep", name);
    if (!n) return pending();
    const recorded = n.recorded;
    if (recorded?.result) return wrap(Promise.resolve(), a);
    const p = new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { onResult: (r) => (r.kind === "failure" ? reject(errorOf(r)) : resolve()) };
      if (recorded) a.wait(n.index, waiter);
      else a.emit({ index: n.index, type: "Sleep", ...(name ? { name } : {}), wakeUpAt: Date.now() + millis }, waiter);
    });
    return wrap(p, a);
  }

  // --- calls -------------------------------------------------------------------

  serviceClient(def: any): any {
    return this.clientProxy(def, undefined, false);
  }
  objectClient(def: any, key: string): any {
    return this.clientProxy(def, checkKey(key), false);
  }
  workflowClient(def: any, key: string): any {
    return this.clientProxy(def, checkKey(key), false);
  }
  serviceSendClient(def: any): any {
    return this.clientProxy(def, undefined, true);
  }
  objectSendClient(def: any, key: string): any {
    return this.clientProxy(def, checkKey(key), true);
  }
  workflowSendClient(def: any, key: string): any {
    return this.clientProxy(def, checkKey(key), true);
  }

  private clientProxy(def: { name?: unknown; handlers?: Record<string, unknown> }, key: string | undefined, send: boolean): any {
    if (!def || typeof def.name !== "string") throw new TypeError("expected a service, object or workflow definition");
    const service = def.name;
    return new Proxy(
      {},
      {
        get: (_t, prop) => {
          if (typeof prop !== "string" || prop === "then") return undefined;
          const handler = prop;
          const targetOpts = handlerInfo(def.handlers?.[handler])?.options ?? {};
          return (...args: unknown[]) => {
            const last = args[args.length - 1];
            const hasOpts = last instanceof Opts || last instanceof SendOpts;
            const input = hasOpts ? (args.length > 1 ? args[0] : undefined) : args[0];
            const opts = hasOpts ? (last as Opts<unknown, unknown> | SendOpts<unknown>).getOpts() : {};
            const inputSerde = (opts as { input?: Serde<unknown> }).input ?? targetOpts.input ?? serdes.json;
            const common = {
              service,
              method: handler,
              parameter: input,
              inputSerde,
              ...(key !== undefined ? { key } : {}),
              ...(opts.headers ? { headers: opts.headers } : {}),
              ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
              ...(opts.name ? { name: opts.name } : {}),
            };
            if (send) {
              const delay = (opts as { delay?: Duration | number }).delay;
              return this.genericSend({ ...common, ...(delay !== undefined ? { delay } : {}) });
            }
            const outputSerde = (opts as { output?: Serde<unknown> }).output ?? targetOpts.output ?? serdes.json;
            return this.genericCall({ ...common, outputSerde });
          };
        },
      },
    );
  }

  genericCall<REQ = Uint8Array, RES = Uint8Array>(call: GenericCall<REQ, RES>): InvocationPromise<RES> {
    const a = this.a;
    const outputSerde = (call.outputSerde ?? serdes.binary) as Serde<RES>;
    const n = a.command("Call", call.name ?? `${call.service}/${call.method}`);
    if (!n) return withInvocationId(pending<RES>(), new Promise(() => {}));
    let resolveId!: (id: string) => void;
    const idPromise = new Promise<string>((r) => (resolveId = r));
    const recorded = n.recorded;
    const p = new Promise<RES>((resolve, reject) => {
      if (recorded) {
        resolveId(recorded.target?.invocationId ?? "");
        if (recorded.result) settle(recorded.result, outputSerde, resolve, reject);
        else a.wait(n.index, { onResult: (r) => settle(r, outputSerde, resolve, reject) });
        return;
      }
      const bytes = ((call.inputSerde ?? serdes.binary) as Serde<REQ>).serialize(call.parameter);
      a.emit(
        {
          index: n.index,
          type: "Call",
          name: call.name ?? `${call.service}/${call.method}`,
          value: bytes,
          target: callTarget(call),
        },
        { onInvocationId: resolveId, onResult: (r) => settle(r, outputSerde, resolve, reject) },
      );
    });
    return withInvocationId(wrap(p, a), idPromise);
  }

  genericSend<REQ = Uint8Array>(send: GenericSend<REQ>): InvocationHandle {
    const a = this.a;
    const name = send.name ?? `${send.service}/${send.method}`;
    const n = a.command("OneWayCall", name);
    if (!n) return { invocationId: new Promise(() => {}) };
    if (n.recorded) return { invocationId: Promise.resolve(n.recorded.target?.invocationId ?? "") };
    const bytes = ((send.inputSerde ?? serdes.binary) as Serde<REQ>).serialize(send.parameter);
    const delay = send.delay !== undefined ? durationToMillis(send.delay) : 0;
    const target = callTarget(send);
    if (delay > 0) target.invokeAt = Date.now() + delay;
    const invocationId = new Promise<string>((resolve) => {
      a.emit({ index: n.index, type: "OneWayCall", name, value: bytes, target }, { onInvocationId: resolve });
    });
    return { invocationId };
  }
}

function callTarget(c: { service: string; method: string; key?: string; idempotencyKey?: string; headers?: Record<string, string> }) {
  return {
    service: c.service,
    handler: c.method,
    ...(c.key !== undefined ? { key: c.key } : {}),
    ...(c.idempotencyKey ? { idempotencyKey: c.idempotencyKey } : {}),
    ...(c.headers ? { headers: Object.entries(c.headers) } : {}),
  } as JournalEntry["target"] & object;
}

function checkKey(key: unknown): string {
  if (typeof key !== "string") throw new TypeError(`an object or workflow key must be a string, got ${typeof key}`);
  return key;
}

function withInvocationId<T>(p: RestatePromise<T>, id: Promise<string>): InvocationPromise<T> {
  Object.defineProperty(p, "invocationId", { value: id, enumerable: false });
  return p as InvocationPromise<T>;
}

function runRetryExhausted(a: Attempt, options: RunOptions<unknown> | undefined): boolean {
  if (!options || !hasRetryOptions(options)) return false;
  const info = a.retryInfo();
  // This failure is attempt number count+1 of this step.
  if (options.maxRetryAttempts !== undefined && info.count + 1 >= options.maxRetryAttempts) return true;
  if (options.maxRetryDuration !== undefined) {
    const spent = info.durationMs + (Date.now() - info.attemptStartedAt);
    if (spent >= durationToMillis(options.maxRetryDuration)) return true;
  }
  return false;
}

function runRetryDelay(a: Attempt, options: RunOptions<unknown> | undefined): { nextRetryDelayMs?: number } {
  if (!options || !hasRetryOptions(options)) return {};
  const initial = durationToMillis(options.initialRetryInterval ?? RUN_DEFAULTS.initialRetryInterval);
  const factor = options.retryIntervalFactor ?? RUN_DEFAULTS.retryIntervalFactor;
  const max = durationToMillis(options.maxRetryInterval ?? RUN_DEFAULTS.maxRetryInterval);
  return { nextRetryDelayMs: Math.min(max, initial * Math.pow(factor, a.retryInfo().count)) };
}

function hasRetryOptions(o: RunOptions<unknown>): boolean {
  return (
    o.maxRetryAttempts !== undefined ||
    o.maxRetryDuration !== undefined ||
    o.initialRetryInterval !== undefined ||
    o.maxRetryInterval !== undefined ||
    o.retryIntervalFactor !== undefined
  );
}

function replayAwareConsole(a: Attempt): Console {
  const t = a.start.target;
  const prefix = `[${t.service}${t.key !== undefined ? `/${t.key}` : ""}/${t.handler}][${a.start.invocationId}]`;
  return new Proxy(console, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      if (!["log", "info", "warn", "error", "debug", "trace"].includes(String(prop))) return v.bind(target);
      return (...args: unknown[]) => {
        if (a.isReplaying()) return;
        (v as (...x: unknown[]) => void).call(target, prefix, ...args);
      };
    },
  });
}
