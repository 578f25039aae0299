/**
 * The contract of the context handed to handlers, mirroring
 * `@restatedev/restate-sdk` 1.17. Every method that talks to the runtime is
 * journaled: on a retry the handler is replayed and journaled results are
 * returned without running anything again.
 */
import type { Duration } from "./duration.js";
import type { RestatePromise } from "./promise.js";
import type { Serde } from "./serde.js";
import type { Client, InvocationHandle, InvocationPromise, SendClient, ServiceDefinitionFrom, VirtualObjectDefinitionFrom, WorkflowDefinitionFrom } from "./types.js";
import type { TerminalError } from "./errors.js";

export interface Rand {
  /** A deterministic number in [0, 1): the same on every replay of this invocation. */
  random(): number;
  /** A deterministic UUID v4 string. */
  uuidv4(): string;
}

export interface ContextDate {
  /** Journaled Date.now(): replays return the recorded value. */
  now(): Promise<number>;
  /** Journaled date as an ISO string. */
  toJSON(): Promise<string>;
}

export interface RunOptions<T> {
  serde?: Serde<T>;
  /** Attempts of this step (including the first) before it fails with a TerminalError. */
  maxRetryAttempts?: number;
  /** Total time spent retrying this step before it fails with a TerminalError. */
  maxRetryDuration?: Duration | number;
  /** Default 50 ms. */
  initialRetryInterval?: Duration | number;
  /** Default 10 s. */
  maxRetryInterval?: Duration | number;
  /** Default 2. */
  retryIntervalFactor?: number;
}

export type RunAction<T> = (() => Promise<T>) | (() => T);

export interface Target {
  service: string;
  handler: string;
  key?: string;
  toString(): string;
}

export type InvocationId = string;

export interface Request {
  readonly target: Target;
  readonly id: InvocationId;
  readonly headers: ReadonlyMap<string, string>;
  readonly attemptHeaders: ReadonlyMap<string, string | string[] | undefined>;
  readonly body: Uint8Array;
  readonly extraArgs: unknown[];
  readonly idempotencyKey?: string;
  /** @experimental The scope this invocation runs in (undefined when unscoped). */
  readonly scope?: string;
  /** @experimental The limit key it was called with (undefined if none). */
  readonly limitKey?: string;
  readonly attemptCompletedSignal: AbortSignal;
}

// Defined beside the client types that return them (types.ts), which this file imports.
export type { InvocationHandle, InvocationPromise } from "./types.js";

export interface Context {
  readonly rand: Rand;
  readonly date: ContextDate;
  /** Like the global console, but silent while the handler is replaying. */
  readonly console: Console;

  request(): Request;

  /** Runs a side effect once and journals its result; replays return the result without running it. */
  run<T>(action: RunAction<T>): RestatePromise<T>;
  run<T>(name: string, action: RunAction<T>): RestatePromise<T>;
  run<T>(name: string, action: RunAction<T>, options: RunOptions<T>): RestatePromise<T>;

  serviceClient<D>(service: ServiceDefinitionFrom<D>): Client<D>;
  objectClient<D>(object: VirtualObjectDefinitionFrom<D>, key: string): Client<D>;
  workflowClient<D>(workflow: WorkflowDefinitionFrom<D>, key: string): Client<D>;
  serviceSendClient<D>(service: ServiceDefinitionFrom<D>): SendClient<D>;
  objectSendClient<D>(object: VirtualObjectDefinitionFrom<D>, key: string): SendClient<D>;
  workflowSendClient<D>(workflow: WorkflowDefinitionFrom<D>, key: string): SendClient<D>;

  genericCall<REQ = Uint8Array, RES = Uint8Array>(call: GenericCall<REQ, RES>): InvocationPromise<RES>;
  genericSend<REQ = Uint8Array>(send: GenericSend<REQ>): InvocationHandle;

  /**
   * @experimental Clients whose calls run in scope `scopeKey`: state, locks and
   * idempotency keys of their targets belong to that scope, and its concurrency
   * rules apply. The scope is not inherited: calls from plain `ctx.*Client` are unscoped.
   * A scope is 1–36 characters of `[a-zA-Z0-9_.-]`.
   */
  scope(scopeKey: string): ScopedContext;

  sleep(duration: Duration | number, name?: string): RestatePromise<void>;

  /** A promise completed from outside (ingress /restate/awakeables/{id}/resolve) or by another handler. */
  awakeable<T>(serde?: Serde<T>): { id: string; promise: RestatePromise<T> };
  resolveAwakeable<T>(id: string, payload?: T, serde?: Serde<T>): void;
  rejectAwakeable(id: string, reason: RejectReason): void;

  /** Another invocation: wait for its result, or cancel it. */
  invocation(invocationId: InvocationId): InvocationReference;
  /** @deprecated use ctx.invocation(id).attach() */
  attach<T>(invocationId: InvocationId, serde?: Serde<T>): RestatePromise<T>;
  /** @deprecated use ctx.invocation(id).cancel() */
  cancel(invocationId: InvocationId): void;
}

/** @experimental What `ctx.scope(key)` returns: the clients of Context, in that scope. */
export interface ScopedContext {
  readonly scope: string;
  serviceClient<D>(service: ServiceDefinitionFrom<D>): Client<D>;
  objectClient<D>(object: VirtualObjectDefinitionFrom<D>, key: string): Client<D>;
  workflowClient<D>(workflow: WorkflowDefinitionFrom<D>, key: string): Client<D>;
  serviceSendClient<D>(service: ServiceDefinitionFrom<D>): SendClient<D>;
  objectSendClient<D>(object: VirtualObjectDefinitionFrom<D>, key: string): SendClient<D>;
  workflowSendClient<D>(workflow: WorkflowDefinitionFrom<D>, key: string): SendClient<D>;
  genericCall<REQ = Uint8Array, RES = Uint8Array>(call: Omit<GenericCall<REQ, RES>, "scope">): InvocationPromise<RES>;
  genericSend<REQ = Uint8Array>(send: Omit<GenericSend<REQ>, "scope">): InvocationHandle;
}

export interface InvocationReference {
  attach<T>(serde?: Serde<T>): RestatePromise<T>;
  cancel(): void;
}

export interface GenericCall<REQ, RES> {
  service: string;
  method: string;
  parameter: REQ;
  key?: string;
  headers?: Record<string, string>;
  inputSerde?: Serde<REQ>;
  outputSerde?: Serde<RES>;
  idempotencyKey?: string;
  /** @experimental */
  scope?: string;
  /** @experimental */
  limitKey?: string;
  name?: string;
}

export interface GenericSend<REQ> extends Omit<GenericCall<REQ, unknown>, "outputSerde"> {
  delay?: Duration | number;
}

type StateKey<TState> = TState extends Record<string, unknown> ? keyof TState & string : string;
type StateValue<TState, K, T> = TState extends Record<string, unknown> ? (K extends keyof TState ? TState[K] : T) : T;

export interface KeyValueStore<TState = unknown> {
  get<T = unknown, K extends StateKey<TState> = StateKey<TState>>(name: K, serde?: Serde<StateValue<TState, K, T>>): Promise<StateValue<TState, K, T> | null>;
  stateKeys(): Promise<string[]>;
  set<T = unknown, K extends StateKey<TState> = StateKey<TState>>(name: K, value: StateValue<TState, K, T>, serde?: Serde<StateValue<TState, K, T>>): void;
  clear<K extends StateKey<TState>>(name: K): void;
  clearAll(): void;
}

export interface ObjectSharedContext<TState = unknown> extends Context {
  readonly key: string;
  get<T = unknown, K extends StateKey<TState> = StateKey<TState>>(name: K, serde?: Serde<StateValue<TState, K, T>>): Promise<StateValue<TState, K, T> | null>;
  stateKeys(): Promise<string[]>;
}

export interface ObjectContext<TState = unknown> extends Context, KeyValueStore<TState> {
  readonly key: string;
}

export interface DurablePromise<T> extends Promise<T> {
  peek(): Promise<T | undefined>;
  resolve(value?: T): Promise<void>;
  reject(errorMsg: string): Promise<void>;
  get(): RestatePromise<T>;
}

export interface WorkflowSharedContext<TState = unknown> extends ObjectSharedContext<TState> {
  promise<T = void>(name: string, serde?: Serde<T>): DurablePromise<T>;
}

export interface WorkflowContext<TState = unknown> extends WorkflowSharedContext<TState>, ObjectContext<TState> {}

export type RejectReason = string | TerminalError;
