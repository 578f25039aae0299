/** Definition and client types, shaped like `@restatedev/restate-sdk`'s. */
import type { RestatePromise } from "./promise.js";
import type { Opts, SendOpts } from "./rpc.js";
import type { HandlerOptions, ObjectOptions, ServiceOptions, WorkflowOptions } from "./options.js";

/** A call or send in flight: its invocation id once the runtime has accepted it. */
export interface InvocationHandle {
  readonly invocationId: Promise<string>;
}

export type InvocationPromise<T> = RestatePromise<T> & InvocationHandle;

export interface ServiceDefinition<P extends string, M> {
  readonly name: P;
  readonly service?: M;
  readonly description?: string;
  readonly metadata?: Record<string, string>;
  readonly options?: ServiceOptions;
}

export interface VirtualObjectDefinition<P extends string, M> {
  readonly name: P;
  readonly object?: M;
  readonly description?: string;
  readonly metadata?: Record<string, string>;
  readonly options?: ObjectOptions;
}

export interface WorkflowDefinition<P extends string, M> {
  readonly name: P;
  readonly workflow?: M;
  readonly description?: string;
  readonly metadata?: Record<string, string>;
  readonly options?: WorkflowOptions;
}

export type ServiceDefinitionFrom<M> = M extends ServiceDefinition<string, unknown> ? M : ServiceDefinition<string, M>;
export type VirtualObjectDefinitionFrom<M> = M extends VirtualObjectDefinition<string, unknown> ? M : VirtualObjectDefinition<string, M>;
export type WorkflowDefinitionFrom<M> = M extends WorkflowDefinition<string, unknown> ? M : WorkflowDefinition<string, M>;

export type Service<M> = M extends ServiceDefinition<string, infer S> ? S : M;
export type VirtualObject<M> = M extends VirtualObjectDefinition<string, infer S> ? S : M;
export type Workflow<M> = M extends WorkflowDefinition<string, infer S> ? S : M;

// The handler map of a definition, or D itself when it is one. Definitions are told
// apart by their route key: their other properties are all optional, so an object's
// definition would also match ServiceDefinition<string, infer S> (with S = unknown).
type Handlers<D> = D extends { readonly name: string }
  ? "object" extends keyof D
    ? D extends VirtualObjectDefinition<string, infer S> ? S : never
    : "workflow" extends keyof D
      ? D extends WorkflowDefinition<string, infer S> ? S : never
      : D extends ServiceDefinition<string, infer S> ? S : never
  : D;

type ClientMethod<F> = F extends (ctx: any) => Promise<infer O>
  ? (opts?: Opts<void, O>) => InvocationPromise<O>
  : F extends (ctx: any, input: infer I) => Promise<infer O>
    ? (input: I, opts?: Opts<I, O>) => InvocationPromise<O>
    : never;

type SendMethod<F> = F extends (ctx: any) => Promise<any>
  ? (opts?: SendOpts<void>) => InvocationHandle
  : F extends (ctx: any, input: infer I) => Promise<any>
    ? (input: I, opts?: SendOpts<I>) => InvocationHandle
    : never;

/** A typed request/response client: every handler becomes a method returning an InvocationPromise. */
export type Client<D> = { [K in keyof Handlers<D>]: ClientMethod<Handlers<D>[K]> };
/** A typed one-way client: every handler becomes a method returning an InvocationHandle. */
export type SendClient<D> = { [K in keyof Handlers<D>]: SendMethod<Handlers<D>[K]> };

export type { HandlerOptions };
