/**
 * The public surface of `restate-dev/sdk`, mirroring `@restatedev/restate-sdk`
 * 1.17: code importing either runs under `restate-dev up`.
 */
export { service, object, workflow, handlers } from "./definitions.js";
export {
  createServiceHandler,
  createObjectHandler,
  createObjectSharedHandler,
  createWorkflowHandler,
  createWorkflowSharedHandler,
} from "./definitions.js";
export { endpoint, serve } from "./endpoint.js";
export type { RestateEndpoint, ServeOptions } from "./endpoint.js";
export { rpc, Opts, SendOpts } from "./rpc.js";
export type { ClientCallOptions, ClientSendOptions } from "./rpc.js";
export { serde } from "./serde.js";
export type { Serde } from "./serde.js";
export { RestatePromise, CombineablePromise, isRestatePromise } from "./promise.js";
export { RestateError, TerminalError, TimeoutError, CancelledError, RetryableError, PauseError } from "./errors.js";
export type { Duration } from "./duration.js";
export type {
  Context,
  ObjectContext,
  ObjectSharedContext,
  WorkflowContext,
  WorkflowSharedContext,
  KeyValueStore,
  DurablePromise,
  Rand,
  ContextDate,
  Request,
  RunOptions,
  RunAction,
  InvocationId,
  InvocationHandle,
  InvocationPromise,
  GenericCall,
  GenericSend,
  Target,
  InvocationReference,
  ScopedContext,
  RejectReason,
} from "./context.js";
export type {
  ServiceDefinition,
  VirtualObjectDefinition,
  WorkflowDefinition,
  Client,
  SendClient,
  Service,
  VirtualObject,
  Workflow,
} from "./types.js";
export type { ServiceOptions, ObjectOptions, WorkflowOptions, HandlerOptions, RetryPolicy } from "./options.js";
