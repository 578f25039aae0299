/**
 * Messages between the runtime and a worker thread (the thread that runs user
 * code). The SDK side lives in this folder. The runtime imports these types, and of
 * the SDK otherwise only values shared by both ends: the batching channel (channel.ts),
 * the awakeable id format (../awakeable_id.ts) and the error codes (../errors.ts).
 *
 * Journal model: entry 0 is the invocation's input (implicit, carried by `start`);
 * every context command the handler issues gets the next index. Commands that
 * need an answer from the runtime (a durable ctx.run result, a call's invocation
 * id and result) get `notify` messages addressed by entry index.
 */

/** The outcome of a completable entry or of an invocation. */
export type Result =
  | { kind: "value"; value: Uint8Array }
  /** Completed without a value: a peeked promise that is not resolved yet, a promise completed by this entry. */
  | { kind: "empty" }
  | { kind: "failure"; code: number; message: string; metadata?: Record<string, string> };

export type EntryType =
  | "GetState"
  | "GetStateKeys"
  | "SetState"
  | "ClearState"
  | "ClearAllState"
  | "Run"
  | "Call"
  | "OneWayCall"
  | "Sleep"
  | "Awakeable"
  | "CompleteAwakeable"
  | "GetPromise"
  | "PeekPromise"
  | "CompletePromise"
  | "AttachInvocation"
  | "CancelInvocation";

/** Parameters of a call or send, as journaled. */
export interface CallTarget {
  service: string;
  handler: string;
  key?: string;
  /** Filled in by the runtime: the callee's invocation id. */
  invocationId?: string;
  idempotencyKey?: string;
  headers?: Array<[string, string]>;
  /** Absolute time (ms since epoch) a delayed send is due. */
  invokeAt?: number;
  /** Flow control: the callee's scope (`ctx.scope(s)`; not inherited) and limit key. */
  scope?: string;
  limitKey?: string;
}

export interface JournalEntry {
  index: number;
  type: EntryType;
  /** State key for state commands, run name for Run, "svc/handler" for calls. */
  name?: string;
  /** Command payload: state value set, call input. */
  value?: Uint8Array;
  target?: CallTarget;
  /** Present once the entry is completed (Run, GetState value, Call result). */
  result?: Result;
  /** GetStateKeys result. */
  keys?: string[];
  /** Sleep: absolute wake-up time, ms since epoch. */
  wakeUpAt?: number;
  /** CompleteAwakeable: the awakeable completed; AttachInvocation/CancelInvocation: the target id. */
  targetId?: string;
  /** CompletePromise: the value or failure the promise is completed with. */
  completion?: Result;
  /** Completion order within the invocation, set by the runtime when the entry completes. */
  seq?: number;
}

export interface InvocationTarget {
  service: string;
  handler: string;
  key?: string;
}

export interface StartAttempt {
  t: "start";
  /** Attempt id: unique within the runtime process, stale ones are ignored. */
  attemptId: number;
  invocationId: string;
  target: InvocationTarget;
  input: Uint8Array;
  headers: Array<[string, string]>;
  idempotencyKey?: string;
  /** Flow control: what `ctx.request().scope` and `.limitKey` return. */
  scope?: string;
  limitKey?: string;
  journal: JournalEntry[];
  /** Eager state of the object key (null for services). */
  state: Array<[string, Uint8Array]> | null;
  seed: string;
  /** Failed attempts since the last journal entry was stored (ctx.run retry policies use it). */
  retryCountSinceLastStoredEntry: number;
  durationSinceLastStoredEntry: number;
  /** A cancel request: its completion sequence number, and where the SDK first saw it. */
  cancel?: CancelState;
  /**
   * Check only: replay the journal against this build's code and report
   * whether it diverges; run no closures, send no commands, stop at the end
   * of the journal.
   */
  dryRun?: boolean;
  /**
   * Writes before this attempt (its invocation's insert, the previous holder's
   * completion on the key) are not durable yet: run no ctx.run closure until a
   * `durable` notice arrives, so no side effect happens for an invocation a
   * crash could forget.
   */
  gated?: boolean;
}

export interface CancelState {
  seq: number;
  /** The last journal index allocated when an attempt saw the cancel; undefined if none has yet. */
  observedIndex?: number;
}

export interface Notify {
  t: "notify";
  attemptId: number;
  index: number;
  /**
   * "ack": a run's result is durable; "invocationId": a call's child id; "result": an entry completed;
   * "durable": everything before a gated attempt is durable (index 0), the answer to AwaitDurable.
   */
  what: "ack" | "invocationId" | "result" | "durable";
  invocationId?: string;
  result?: Result;
  seq?: number;
}

/** The invocation was cancelled while this attempt runs. */
export interface CancelNotice {
  t: "cancel";
  attemptId: number;
  seq: number;
}

/** The attempt was inactive for the inactivity timeout: suspend if it only waits. */
export interface SuspendRequest {
  t: "suspend";
  attemptId: number;
}

export interface AbortAttempt {
  t: "abort";
  attemptId: number;
}

export type ToWorker = StartAttempt | Notify | AbortAttempt | CancelNotice | SuspendRequest;

export interface HandlerManifest {
  name: string;
  /** For objects and workflows; services have none. */
  ty?: "EXCLUSIVE" | "SHARED" | "WORKFLOW";
  inputContentType?: string;
  accept?: string;
  outputContentType?: string;
  options: HandlerOptionsManifest;
}

export interface RetryPolicyManifest {
  maxAttempts?: number;
  onMaxAttempts?: "pause" | "kill";
  initialInterval?: number;
  maxInterval?: number;
  exponentiationFactor?: number;
}

export interface HandlerOptionsManifest {
  retryPolicy?: RetryPolicyManifest;
  ingressPrivate?: boolean;
  inactivityTimeout?: number;
  abortTimeout?: number;
  idempotencyRetention?: number;
  journalRetention?: number;
  workflowRetention?: number;
  enableLazyState?: boolean;
  description?: string;
  metadata?: Record<string, string>;
}

export interface ServiceManifest {
  name: string;
  ty: "SERVICE" | "VIRTUAL_OBJECT" | "WORKFLOW";
  handlers: HandlerManifest[];
  options: HandlerOptionsManifest;
}

export interface WorkerReady {
  t: "ready";
  services: ServiceManifest[];
}

export interface WorkerLoadError {
  t: "loadError";
  message: string;
  stack?: string;
}

export interface Command {
  t: "command";
  attemptId: number;
  entry: JournalEntry;
}

export interface Output {
  t: "output";
  attemptId: number;
  result: Result;
}

export interface AttemptError {
  t: "error";
  attemptId: number;
  code: number;
  message: string;
  stack?: string;
  relatedIndex?: number;
  relatedName?: string;
  relatedType?: string;
  /** Set by RetryableError.retryAfter or a ctx.run retry policy. */
  nextRetryDelayMs?: number;
  /** Set by PauseError, or a run whose retries are exhausted with onMaxAttempts pause. */
  pause?: boolean;
}

/** The attempt only waits for these entries: end it; a completion of any resumes the invocation. */
export interface Suspended {
  t: "suspended";
  attemptId: number;
  waitingOn: number[];
}

/** The attempt saw the cancel request after allocating entries up to `index`. */
export interface CancelObserved {
  t: "cancelObserved";
  attemptId: number;
  index: number;
}

/** The outcome of a dry run: the journal replays cleanly on this build, or where it diverges. */
export interface Checked {
  t: "checked";
  attemptId: number;
  ok: boolean;
  /** Set when the journal diverges. */
  mismatch?: { index: number; journaled: string; attempted: string; message: string };
  /** Set when the check could not finish (the handler threw while replaying). */
  inconclusive?: string;
}

/**
 * A gated attempt is about to run its first ctx.run closure: it asks to be told once
 * everything before it is durable (a handler that runs none never asks, and its start
 * costs no sync of its own).
 */
export interface AwaitDurable {
  t: "awaitDurable";
  attemptId: number;
}

export type FromWorker = WorkerReady | WorkerLoadError | Command | Output | AttemptError | Suspended | CancelObserved | Checked | AwaitDurable;
