/**
 * What a failed attempt leads to, as a pure function of the retry policy, the
 * attempt and its error: the lifecycle (engine.ts) carries the decision out.
 */
import type { AttemptError, Result } from "../../sdk/worker/protocol.js";
import type { AttemptFailure } from "../storage/queries.js";
import { describeTarget, type ActiveInvocation } from "./invocation.js";
import { backoff, type RetryPolicy } from "./retry.js";

export type FailureDecision =
  /** Try again after `delayMs`. */
  | { kind: "retry"; delayMs: number }
  /** Stop trying until an operator resumes, restarts or kills it; `exhausted` when attempts ran out (else the error asked to pause). */
  | { kind: "pause"; exhausted: boolean }
  /** Complete the invocation with `result`: attempts ran out under onMaxAttempts "kill", or retries are off (`retriesOff`). */
  | { kind: "fail"; result: Result; retriesOff: boolean };

export interface FailedAttempt {
  /** Failed attempts of the invocation, this one included (>= 1). */
  failedAttempts: number;
}

/**
 * @param retriesOff the testing kit turned retries off for this failure
 *   (disableRetries, or a journal mismatch under replay hunting).
 */
export function decideFailure(policy: RetryPolicy, attempt: FailedAttempt, error: AttemptError, retriesOff = false): FailureDecision {
  if (retriesOff) return { kind: "fail", result: failureResult(error), retriesOff: true };
  if (error.pause) return { kind: "pause", exhausted: false };
  if (attempt.failedAttempts >= policy.maxAttempts) {
    return policy.onMaxAttempts === "kill" ? { kind: "fail", result: failureResult(error), retriesOff: false } : { kind: "pause", exhausted: true };
  }
  return { kind: "retry", delayMs: error.nextRetryDelayMs ?? backoff(policy, attempt.failedAttempts) };
}

/** The invocation's failure: the error's code when it is an HTTP error code, else 500. */
function failureResult(error: AttemptError): Result {
  return { kind: "failure", code: error.code >= 400 && error.code < 600 ? error.code : 500, message: error.message };
}

/**
 * A failed attempt as it is recorded: its attempt_failures row, the
 * invocation's last_failure, and the head of the log line. `inv.retryCount`
 * already counts this attempt.
 */
export function describeFailure(inv: ActiveInvocation, err: AttemptError, now: number): { failure: AttemptFailure; lastFailure: string; head: string } {
  const failure: AttemptFailure = {
    invocation_id: inv.id,
    attempt: inv.retryCount,
    at: now,
    code: err.code,
    message: err.message,
    stack: err.stack ?? null,
    related_index: err.relatedIndex ?? null,
    related_type: err.relatedType ?? null,
    related_name: err.relatedName ?? null,
  };
  const lastFailure = JSON.stringify({
    code: err.code,
    message: err.message,
    ...(err.relatedIndex !== undefined ? { relatedIndex: err.relatedIndex, relatedType: err.relatedType, relatedName: err.relatedName } : {}),
  });
  const related = err.relatedIndex !== undefined ? ` at entry ${err.relatedIndex} (${err.relatedType}${err.relatedName ? ` '${err.relatedName}'` : ""})` : "";
  const head = `${inv.id} ${describeTarget(inv)} attempt ${inv.retryCount} failed${related}: [${err.code}] ${err.message}`;
  return { failure, lastFailure, head };
}
