/** Service and handler options, as in `@restatedev/restate-sdk` 1.17. */
import type { Duration } from "./duration.js";
import type { Serde } from "./serde.js";
import type { TerminalError } from "./errors.js";

export interface RetryPolicy {
  /** Attempts including the first; Restate's default is 70. */
  maxAttempts?: number;
  /** What happens when attempts run out; Restate's default is "pause". */
  onMaxAttempts?: "pause" | "kill";
  /** Default 500 ms. */
  initialInterval?: Duration | number;
  /** Default 60 s. */
  maxInterval?: Duration | number;
  /** Default 2. */
  exponentiationFactor?: number;
}

export interface CommonOptions {
  journalRetention?: Duration | number;
  idempotencyRetention?: Duration | number;
  inactivityTimeout?: Duration | number;
  abortTimeout?: Duration | number;
  ingressPrivate?: boolean;
  retryPolicy?: RetryPolicy;
  asTerminalError?: (error: unknown) => TerminalError | undefined;
  serde?: Serde<any>;
  /** Accepted for compatibility; hooks are not called by restate-dev yet. */
  hooks?: unknown[];
  explicitCancellation?: boolean;
  onJournalMismatchErrors?: "retry" | "pause" | "fail";
}

export interface ServiceOptions extends CommonOptions {}

export interface ObjectOptions extends CommonOptions {
  enableLazyState?: boolean;
}

export interface WorkflowOptions extends ObjectOptions {
  workflowRetention?: Duration | number;
}

export interface HandlerOptions<I = any, O = any> extends ObjectOptions {
  input?: Serde<I>;
  output?: Serde<O>;
  accept?: string;
  description?: string;
  metadata?: Record<string, string>;
  setOutputContentTypeIfEmpty?: boolean;
}
