/**
 * The error taxonomy of `@restatedev/restate-sdk`: a TerminalError ends an
 * invocation (or a ctx.run) with a failure and is never retried; any other error
 * thrown from a handler means "retry this attempt".
 */

export interface RestateErrorOptions {
  errorCode?: number;
  cause?: unknown;
}

export class RestateError extends Error {
  readonly code: number;
  override name = "RestateError";

  constructor(message: string, options?: RestateErrorOptions) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = options?.errorCode ?? INTERNAL_ERROR_CODE;
  }
}

export class TerminalError extends RestateError {
  override name = "TerminalError";
  readonly metadata?: Record<string, string>;

  constructor(message: string, options?: { errorCode?: number; metadata?: Record<string, string>; cause?: unknown }) {
    super(message, options);
    if (options?.metadata !== undefined) this.metadata = options.metadata;
  }
}

export class TimeoutError extends TerminalError {
  override name = "TimeoutError";
  constructor() {
    super("Timeout occurred", { errorCode: TIMEOUT_ERROR_CODE });
  }
}

export class CancelledError extends TerminalError {
  override name = "CancelledError";
  constructor() {
    super("Cancelled", { errorCode: CANCEL_ERROR_CODE });
  }
}

export interface RetryableErrorOptions extends RestateErrorOptions {
  /** Delay before the next attempt, in milliseconds or as a Duration. */
  retryAfter?: number | { days?: number; hours?: number; minutes?: number; seconds?: number; milliseconds?: number };
}

export class RetryableError extends RestateError {
  override name = "RetryableError";
  readonly retryAfter?: RetryableErrorOptions["retryAfter"];

  constructor(message: string, options?: RetryableErrorOptions) {
    super(message, options);
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }

  static from(cause: unknown, options?: RetryableErrorOptions): RetryableError {
    const message = cause instanceof Error ? cause.message : String(cause);
    return new RetryableError(message, { ...options, cause });
  }
}

/** Thrown inside ctx.run, pauses the invocation instead of retrying it. */
export class PauseError extends RestateError {
  override name = "PauseError";
  constructor(message: string) {
    super(message);
  }

  static from(cause: unknown): PauseError {
    return new PauseError(cause instanceof Error ? cause.message : String(cause));
  }
}

export const INTERNAL_ERROR_CODE = 500;
export const TIMEOUT_ERROR_CODE = 408;
export const CANCEL_ERROR_CODE = 409;
/** Restate's code for "replayed code issued a different command than the journal holds". */
export const JOURNAL_MISMATCH_CODE = 570;
/** Restate's code for a protocol violation by the SDK (e.g. a nested ctx call inside ctx.run). */
export const PROTOCOL_VIOLATION_CODE = 571;

export function isTerminalError(e: unknown): e is TerminalError {
  return e instanceof TerminalError;
}

/** A journal mismatch: thrown by the SDK during replay, fails the attempt with code 570. */
export class JournalMismatchError extends RestateError {
  override name = "JournalMismatchError";
  constructor(
    message: string,
    readonly entryIndex: number,
    readonly journaled: { type: string; name?: string },
    readonly attempted: { type: string; name?: string },
  ) {
    super(message, { errorCode: JOURNAL_MISMATCH_CODE });
  }
}
