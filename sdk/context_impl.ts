/** The context handed to handlers: Restate's API over an Attempt. */
import type {
  Context,
  ContextDate,
  DurablePromise,
  GenericCall,
  GenericSend,
  InvocationHandle,
  InvocationPromise,
  Request,
  RunAction,
  RunOptions,
  ScopedContext,
} from "./context.js";
import { durationToMillis, type Duration } from "./duration.js";
import { TerminalError } from "./errors.js";
import { handlerInfo } from "./definitions.js";
import { pending, wrap, type RestatePromise } from "./promise.js";
import { DeterministicRand } from "./rand.js";
import { now as clockNow } from "./clock.js";
import { Opts, SendOpts } from "./rpc.js";
import { serde as serdes, type Serde } from "./serde.js";
import type { JournalEntry, Result } from "./worker/protocol.js";
import { decodeWith, failureOf, settle, type Attempt } from "./attempt.js";
import { awakeableId } from "./awakeable_id.js";

const EMPTY = new Uint8Array(0);
const RUN_DEFAULTS = { initialRetryInterval: 50, retryIntervalFactor: 2, maxRetryInterval: 10_000 };
const never = <T>(): Promise<T> => new Promise<T>(() => {});

class RequestImpl implements Request {
  readonly headers: ReadonlyMap<string, string>;
  readonly attemptHeaders: ReadonlyMap<string, string | string[] | undefined>;
  readonly extraArgs: unknown[] = [];
  readonly idempotencyKey?: string;
  readonly scope?: string;
  readonly limitKey?: string;
  constructor(private readonly attempt: Attempt) {
    const s = attempt.start;
    this.headers = new Map(s.headers);
    this.attemptHeaders = new Map(s.headers);
    if (s.idempotencyKey !== undefined) this.idempotencyKey = s.idempotencyKey;
    if (s.scope !== undefined) this.scope = s.scope;
    if (s.limitKey !== undefined) this.limitKey = s.limitKey;
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
      now: () => this.run(() => clockNow()),
      toJSON: () => this.run(() => new Date(clockNow()).toJSON()),
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
    const decode = decodeWith(serde);
    const n = attempt.command("Run", name);
    if (!n) return pending();
    if (n.recorded?.result) {
      const result = n.recorded.result;
      return wrap(new Promise<T>((res, rej) => settle(result, decode, res, rej)), attempt, n.recorded.seq);
    }
    const index = n.index;
    const record = async (result: Result): Promise<T> => {
      await attempt.recordRun({ index, type: "Run", name, result });
      return new Promise<T>((res, rej) => settle(result, decode, res, rej));
    };
    attempt.runStarted();
    const p = (async (): Promise<T> => {
      let value: T;
      // No side effect before the runtime confirms the invocation itself is durable.
      const durable = attempt.durable();
      if (durable) await durable;
      if (attempt.isClosed()) return never<T>();
      try {
        value = await action();
      } catch (e) {
        if (attempt.isClosed()) return never<T>();
        const terminal = attempt.asTerminal(e);
        if (terminal) return record(failureOf(terminal));
        if (runRetryExhausted(attempt, options)) {
          return record(failureOf(new TerminalError(e instanceof Error ? e.message : String(e))));
        }
        attempt.fail(e, { index, type: "Run", name }, runRetryDelay(attempt, options));
        return never<T>();
      }
      if (attempt.isClosed()) return never<T>();
      let bytes: Uint8Array;
      try {
        bytes = value === undefined ? EMPTY : serde.serialize(value);
      } catch (e) {
        attempt.fail(new Error(`ctx.run '${name}' returned a value its serde cannot serialize: ${(e as Error).message}`), { index, type: "Run", name });
        return never<T>();
      }
      return record({ kind: "value", value: bytes });
    })().finally(() => attempt.runEnded());
    return wrap(p, attempt);
  }

  // --- state -----------------------------------------------------------------

  get<T>(name: string, serde?: Serde<T>): Promise<T | null> {
    const a = this.a;
    const state = a.stateMap();
    const n = a.command("GetState", name);
    if (!n) return never();
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
    if (!n) return never();
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
    const entry: JournalEntry | undefined = n.recorded ? undefined : { index: n.index, type: "Sleep", ...(name ? { name } : {}), wakeUpAt: clockNow() + millis };
    return a.completion(n.index, n.recorded, () => undefined, entry);
  }

  // --- awakeables and durable promises -------------------------------------------

  awakeable<T>(serde?: Serde<T>): { id: string; promise: RestatePromise<T> } {
    const a = this.a;
    const n = a.command("Awakeable", undefined);
    if (!n) return { id: "", promise: pending() };
    const id = awakeableId(a.start.invocationId, n.index);
    const entry: JournalEntry | undefined = n.recorded ? undefined : { index: n.index, type: "Awakeable", targetId: id };
    return { id, promise: a.completion(n.index, n.recorded, decodeWith(serde ?? a.defaultSerde()), entry) };
  }

  resolveAwakeable<T>(id: string, payload?: T, serde?: Serde<T>): void {
    const value = payload === undefined ? EMPTY : (serde ?? this.a.defaultSerde()).serialize(payload);
    this.completeAwakeable(id, { kind: "value", value });
  }

  rejectAwakeable(id: string, reason: string | TerminalError): void {
    const failure = reason instanceof TerminalError ? failureOf(reason) : ({ kind: "failure", code: 500, message: String(reason) } as Result);
    this.completeAwakeable(id, failure);
  }

  private completeAwakeable(id: string, completion: Result): void {
    const a = this.a;
    const n = a.command("CompleteAwakeable", undefined);
    if (!n || n.recorded) return;
    a.emit({ index: n.index, type: "CompleteAwakeable", targetId: id, completion });
  }

  promise<T>(name: string, serde?: Serde<T>): DurablePromise<T> {
    if (this.a.handler.definition._kind !== "workflow") throw new TerminalError("ctx.promise() is only available in workflows");
    const a = this.a;
    const s = serde ?? a.defaultSerde();
    const get = (): RestatePromise<T> => {
      const n = a.command("GetPromise", name);
      if (!n) return pending();
      return a.completion(n.index, n.recorded, decodeWith(s), n.recorded ? undefined : { index: n.index, type: "GetPromise", name });
    };
    const peek = (): Promise<T | undefined> => {
      const n = a.command("PeekPromise", name);
      if (!n) return never();
      return a.completion(n.index, n.recorded, decodeWith(s), n.recorded ? undefined : { index: n.index, type: "PeekPromise", name });
    };
    const complete = (completion: Result): Promise<void> => {
      const n = a.command("CompletePromise", name);
      if (!n) return never();
      return a.completion(n.index, n.recorded, () => undefined, n.recorded ? undefined : { index: n.index, type: "CompletePromise", name, completion });
    };
    let got: RestatePromise<T> | undefined;
    const lazyGet = () => (got ??= get());
    const durable = {
      get: lazyGet,
      peek,
      resolve: (value?: T) => complete({ kind: "value", value: value === undefined ? EMPTY : s.serialize(value) }),
      reject: (message: string) => complete({ kind: "failure", code: 500, message }),
      then: (onOk?: any, onErr?: any) => lazyGet().then(onOk, onErr),
      catch: (onErr?: any) => lazyGet().catch(onErr),
      finally: (f?: any) => lazyGet().finally(f),
      [Symbol.toStringTag]: "DurablePromise",
    };
    return durable as unknown as DurablePromise<T>;
  }

  // --- other invocations -----------------------------------------------------------

  invocation(invocationId: string) {
    return {
      attach: <T>(serde?: Serde<T>) => this.attach<T>(invocationId, serde),
      cancel: () => this.cancel(invocationId),
    };
  }

  /** @deprecated use ctx.invocation(id).attach() */
  attach<T>(invocationId: string, serde?: Serde<T>): RestatePromise<T> {
    const a = this.a;
    const n = a.command("AttachInvocation", undefined);
    if (!n) return pending();
    const entry: JournalEntry | undefined = n.recorded ? undefined : { index: n.index, type: "AttachInvocation", targetId: invocationId };
    return a.completion(n.index, n.recorded, decodeWith(serde ?? a.defaultSerde()), entry);
  }

  /** @deprecated use ctx.invocation(id).cancel() */
  cancel(invocationId: string): void {
    const a = this.a;
    const n = a.command("CancelInvocation", undefined);
    if (!n || n.recorded) return;
    a.emit({ index: n.index, type: "CancelInvocation", targetId: invocationId });
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

  scope(scopeKey: string): ScopedContext {
    if (typeof scopeKey !== "string") throw new TypeError(`a scope must be a string, got ${typeof scopeKey}`);
    const scope = scopeKey;
    return {
      scope,
      serviceClient: (def: any) => this.clientProxy(def, undefined, false, scope),
      objectClient: (def: any, key: string) => this.clientProxy(def, checkKey(key), false, scope),
      workflowClient: (def: any, key: string) => this.clientProxy(def, checkKey(key), false, scope),
      serviceSendClient: (def: any) => this.clientProxy(def, undefined, true, scope),
      objectSendClient: (def: any, key: string) => this.clientProxy(def, checkKey(key), true, scope),
      workflowSendClient: (def: any, key: string) => this.clientProxy(def, checkKey(key), true, scope),
      genericCall: (call: any) => this.genericCall({ ...call, scope }),
      genericSend: (send: any) => this.genericSend({ ...send, scope }),
    } as ScopedContext;
  }

  private clientProxy(def: { name?: unknown; handlers?: Record<string, unknown> }, key: string | undefined, send: boolean, scope?: string): any {
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
              ...(scope !== undefined ? { scope } : {}),
              ...(opts.limitKey ? { limitKey: opts.limitKey } : {}),
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
    const name = call.name ?? `${call.service}/${call.method}`;
    const n = a.command("Call", name);
    if (!n) return withInvocationId(pending<RES>(), never());
    let resolveId!: (id: string) => void;
    const idPromise = new Promise<string>((r) => (resolveId = r));
    let entry: JournalEntry | undefined;
    if (n.recorded) {
      resolveId(n.recorded.target?.invocationId ?? "");
    } else {
      const bytes = ((call.inputSerde ?? serdes.binary) as Serde<REQ>).serialize(call.parameter);
      entry = { index: n.index, type: "Call", name, value: bytes, target: callTarget(call) };
      a.awaitInvocationId(n.index, resolveId);
    }
    return withInvocationId(a.completion(n.index, n.recorded, decodeWith(outputSerde), entry), idPromise);
  }

  genericSend<REQ = Uint8Array>(send: GenericSend<REQ>): InvocationHandle {
    const a = this.a;
    const name = send.name ?? `${send.service}/${send.method}`;
    const n = a.command("OneWayCall", name);
    if (!n) return { invocationId: never() };
    if (n.recorded) return { invocationId: Promise.resolve(n.recorded.target?.invocationId ?? "") };
    const bytes = ((send.inputSerde ?? serdes.binary) as Serde<REQ>).serialize(send.parameter);
    const delay = send.delay !== undefined ? durationToMillis(send.delay) : 0;
    const target = callTarget(send);
    if (delay > 0) target.invokeAt = clockNow() + delay;
    const invocationId = new Promise<string>((resolve) => a.awaitInvocationId(n.index, resolve));
    a.emit({ index: n.index, type: "OneWayCall", name, value: bytes, target });
    return { invocationId };
  }
}

function callTarget(c: {
  service: string;
  method: string;
  key?: string;
  idempotencyKey?: string;
  scope?: string;
  limitKey?: string;
  headers?: Record<string, string>;
}): NonNullable<JournalEntry["target"]> {
  return {
    service: c.service,
    handler: c.method,
    ...(c.key !== undefined ? { key: c.key } : {}),
    ...(c.idempotencyKey ? { idempotencyKey: c.idempotencyKey } : {}),
    ...(c.scope !== undefined ? { scope: c.scope } : {}),
    ...(c.limitKey ? { limitKey: c.limitKey } : {}),
    ...(c.headers ? { headers: Object.entries(c.headers) } : {}),
  };
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
    const spent = info.durationMs + (clockNow() - info.attemptStartedAt);
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
