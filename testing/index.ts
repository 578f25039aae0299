/**
 * The public surface of `restate-dev/testing`: durable handlers tested
 * in-process, on restate-dev's engine, with a controllable clock.
 */
export { RestateTestEnvironment } from "./environment.js";
export type { TestEnvironmentOptions, TestClock, CrashAfter, InjectedCrash } from "./environment.js";
export { HttpCallError, Opts, SendOpts, rpc } from "./client.js";
export type {
  TestClient,
  IngressClient,
  IngressSendClient,
  IngressWorkflowClient,
  IngressCallOptions,
  IngressSendOptions,
  Send,
  WorkflowSubmission,
  Output,
  CallOptions,
  SendOptions,
  SerdeLike,
} from "./client.js";
export type { StateProxy } from "./state.js";
export type { JournalEntryView } from "./journal.js";
