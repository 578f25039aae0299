/**
 * `service`, `object`, `workflow` and `handlers.*`: plain objects describing
 * handlers and their options. Nothing here runs; the worker reads them.
 */
import type {
  Context,
  ObjectContext,
  ObjectSharedContext,
  WorkflowContext,
  WorkflowSharedContext,
} from "./context.js";
import type { HandlerOptions, ObjectOptions, ServiceOptions, WorkflowOptions } from "./options.js";
import type { ServiceDefinition, VirtualObjectDefinition, WorkflowDefinition } from "./types.js";

export type HandlerKind = "SERVICE" | "EXCLUSIVE" | "SHARED" | "WORKFLOW";

const HANDLER_INFO = Symbol.for("restate-dev.handler");

export interface HandlerInfo {
  kind: HandlerKind;
  options: HandlerOptions;
}

type AnyHandler = (ctx: any, input?: any) => Promise<any>;

function tag<F extends AnyHandler>(fn: F, kind: HandlerKind, options: HandlerOptions | undefined): F {
  if (typeof fn !== "function") {
    throw new TypeError(`expected a handler function, got ${typeof fn}`);
  }
  // Copy so that one function can be used with different options in two definitions.
  const wrapped = function (this: unknown, ctx: unknown, input: unknown) {
    return fn.call(this, ctx, input);
  } as unknown as F;
  Object.defineProperty(wrapped, "name", { value: fn.name });
  (wrapped as any)[HANDLER_INFO] = { kind, options: options ?? {} } satisfies HandlerInfo;
  return wrapped;
}

export function handlerInfo(fn: unknown): HandlerInfo | undefined {
  return typeof fn === "function" ? ((fn as any)[HANDLER_INFO] as HandlerInfo | undefined) : undefined;
}

function optsAndFn<F extends AnyHandler>(a: HandlerOptions | F, b?: F): [HandlerOptions | undefined, F] {
  if (typeof a === "function") return [undefined, a];
  if (b === undefined) throw new TypeError("expected a handler function after the options");
  return [a, b];
}

/**
 * What handlers.* return, as in the real SDK: a handler without input is typed
 * `(ctx) => …`. Being a conditional type, it also keeps TypeScript from inferring
 * `I` from the expected handler type (`input?: any`) when `fn` takes no input.
 */
export type RemoveVoidArgument<F> = F extends (ctx: infer C, input: infer A) => infer R ? (0 extends 1 & A ? F : [A] extends [void] ? (ctx: C) => R : F) : F;

function handler<O, I = void>(opts: HandlerOptions<I, O>, fn: (ctx: Context, input: I) => Promise<O>): RemoveVoidArgument<(ctx: Context, input: I) => Promise<O>> {
  return tag(fn, "SERVICE", opts) as RemoveVoidArgument<typeof fn>;
}

function exclusive<O, I = void, TState = unknown>(
  a: HandlerOptions<I, O> | ((ctx: ObjectContext<TState>, input: I) => Promise<O>),
  b?: (ctx: ObjectContext<TState>, input: I) => Promise<O>,
): RemoveVoidArgument<(ctx: ObjectContext<TState>, input: I) => Promise<O>> {
  const [opts, fn] = optsAndFn(a as any, b);
  return tag(fn, "EXCLUSIVE", opts) as RemoveVoidArgument<typeof fn>;
}

function shared<O, I = void, TState = unknown>(
  a: HandlerOptions<I, O> | ((ctx: ObjectSharedContext<TState>, input: I) => Promise<O>),
  b?: (ctx: ObjectSharedContext<TState>, input: I) => Promise<O>,
): RemoveVoidArgument<(ctx: ObjectSharedContext<TState>, input: I) => Promise<O>> {
  const [opts, fn] = optsAndFn(a as any, b);
  return tag(fn, "SHARED", opts) as RemoveVoidArgument<typeof fn>;
}

function workflowRun<O, I = void, TState = unknown>(
  a: HandlerOptions<I, O> | ((ctx: WorkflowContext<TState>, input: I) => Promise<O>),
  b?: (ctx: WorkflowContext<TState>, input: I) => Promise<O>,
): RemoveVoidArgument<(ctx: WorkflowContext<TState>, input: I) => Promise<O>> {
  const [opts, fn] = optsAndFn(a as any, b);
  return tag(fn, "WORKFLOW", opts) as RemoveVoidArgument<typeof fn>;
}

function workflowShared<O, I = void, TState = unknown>(
  a: HandlerOptions<I, O> | ((ctx: WorkflowSharedContext<TState>, input: I) => Promise<O>),
  b?: (ctx: WorkflowSharedContext<TState>, input: I) => Promise<O>,
): RemoveVoidArgument<(ctx: WorkflowSharedContext<TState>, input: I) => Promise<O>> {
  const [opts, fn] = optsAndFn(a as any, b);
  return tag(fn, "SHARED", opts) as RemoveVoidArgument<typeof fn>;
}

export const handlers = {
  handler,
  object: { exclusive, shared },
  workflow: { workflow: workflowRun, shared: workflowShared },
};

export const createServiceHandler = handler;
export const createObjectHandler = exclusive;
export const createObjectSharedHandler = shared;
export const createWorkflowHandler = workflowRun;
export const createWorkflowSharedHandler = workflowShared;

type ServiceHandlers<M> = { [K in keyof M]: M[K] extends (ctx: Context, input?: any) => Promise<any> ? M[K] : (ctx: Context, input?: any) => Promise<any> };
// The context's state type is `any` here, as in the real SDK: a handler declaring
// `ctx: ObjectContext<MyState>` must fit (ObjectContext<unknown> would not be assignable to it).
type ObjectHandlers<M, TState = any> = {
  [K in keyof M]: M[K] extends (ctx: ObjectContext<TState>, input?: any) => Promise<any>
    ? M[K]
    : M[K] extends (ctx: ObjectSharedContext<TState>, input?: any) => Promise<any>
      ? M[K]
      : (ctx: ObjectContext<TState>, input?: any) => Promise<any>;
};
type WorkflowHandlers<M, TState = any> = {
  [K in keyof M]: K extends "run"
    ? M[K] extends (ctx: WorkflowContext<TState>, input?: any) => Promise<any>
      ? M[K]
      : (ctx: WorkflowContext<TState>, input?: any) => Promise<any>
    : M[K] extends (ctx: WorkflowSharedContext<TState>, input?: any) => Promise<any>
      ? M[K]
      : (ctx: WorkflowSharedContext<TState>, input?: any) => Promise<any>;
};

export type Kind = "service" | "object" | "workflow";

/** What the worker reads from a definition. */
export interface DefinitionInternals {
  readonly name: string;
  readonly _kind: Kind;
  readonly handlers: Record<string, AnyHandler>;
  readonly description?: string;
  readonly metadata?: Record<string, string>;
  readonly options?: ServiceOptions & ObjectOptions & WorkflowOptions;
}

function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== "string" || name.length === 0) throw new TypeError(`${what} needs a non-empty string name`);
  if (name.includes("/")) throw new TypeError(`${what} name '${name}' must not contain '/'`);
}

function checkHandlers(name: string, handlers: unknown): asserts handlers is Record<string, AnyHandler> {
  if (handlers === null || typeof handlers !== "object") throw new TypeError(`'${name}' needs a handlers object`);
  for (const [h, fn] of Object.entries(handlers)) {
    if (typeof fn !== "function") throw new TypeError(`handler '${name}/${h}' is not a function`);
  }
}

function define(kind: Kind, key: "service" | "object" | "workflow", def: any): any {
  checkName(def?.name, kind);
  checkHandlers(def.name, def.handlers);
  return {
    name: def.name,
    [key]: def.handlers,
    handlers: def.handlers,
    description: def.description,
    metadata: def.metadata,
    options: def.options,
    _kind: kind,
  };
}

export function service<P extends string, M>(def: {
  name: P;
  handlers: ServiceHandlers<M> & M;
  description?: string;
  metadata?: Record<string, string>;
  options?: ServiceOptions;
}): ServiceDefinition<P, M> {
  return define("service", "service", def);
}

export function object<P extends string, M, TState = any>(def: {
  name: P;
  handlers: ObjectHandlers<M, TState> & M;
  description?: string;
  metadata?: Record<string, string>;
  options?: ObjectOptions;
}): VirtualObjectDefinition<P, M> {
  return define("object", "object", def);
}

export function workflow<P extends string, M, TState = any>(def: {
  name: P;
  handlers: WorkflowHandlers<M, TState> & M;
  description?: string;
  metadata?: Record<string, string>;
  options?: WorkflowOptions;
}): WorkflowDefinition<P, M> {
  const defined = define("workflow", "workflow", def);
  if (typeof (def.handlers as any).run !== "function") throw new TypeError(`workflow '${def.name}' needs a 'run' handler`);
  for (const reserved of ["workflowSubmit", "workflowAttach", "workflowOutput"]) {
    if (reserved in (def.handlers as object)) throw new TypeError(`'${reserved}' is a reserved handler name in workflow '${def.name}'`);
  }
  return defined;
}

export function internals(def: unknown): DefinitionInternals {
  const d = def as DefinitionInternals | undefined;
  if (!d || typeof d !== "object" || typeof d.name !== "string" || !d.handlers || !["service", "object", "workflow"].includes(d._kind)) {
    throw new TypeError("expected a definition made by restate.service(), restate.object() or restate.workflow()");
  }
  return d;
}
