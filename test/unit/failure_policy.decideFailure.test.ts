import { describe, expect, it } from "vitest";
import { decideFailure } from "../../runtime/engine/failure_policy.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../../runtime/engine/retry.js";
import type { AttemptError } from "../../sdk/worker/protocol.js";

const error = (over: Partial<AttemptError> = {}): AttemptError => ({ t: "error", attemptId: 1, code: 500, message: "boom", ...over });
const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, ...over });

describe("failure_policy.decideFailure", () => {
  it("retries with the policy's backoff while attempts are left", () => {
    expect(decideFailure(policy(), { failedAttempts: 1 }, error())).toEqual({ kind: "retry", delayMs: 500 });
    expect(decideFailure(policy(), { failedAttempts: 3 }, error())).toEqual({ kind: "retry", delayMs: 2000 });
  });

  it("uses the delay the error asks for (RetryableError.retryAfter, a ctx.run policy)", () => {
    expect(decideFailure(policy(), { failedAttempts: 1 }, error({ nextRetryDelayMs: 42 }))).toEqual({ kind: "retry", delayMs: 42 });
  });

  it("pauses when attempts run out (onMaxAttempts pause, the default)", () => {
    expect(decideFailure(policy({ maxAttempts: 3 }), { failedAttempts: 3 }, error())).toEqual({ kind: "pause", exhausted: true });
  });

  it("fails with the error when attempts run out under onMaxAttempts kill; a code that is no HTTP error code becomes 500", () => {
    expect(decideFailure(policy({ maxAttempts: 2, onMaxAttempts: "kill" }), { failedAttempts: 2 }, error({ code: 418 }))).toEqual({
      kind: "fail",
      result: { kind: "failure", code: 418, message: "boom" },
      retriesOff: false,
    });
    expect(decideFailure(policy({ maxAttempts: 1, onMaxAttempts: "kill" }), { failedAttempts: 1 }, error({ code: 700 }))).toMatchObject({ result: { code: 500 } });
  });

  it("pauses at once when the error asks to (PauseError), attempts left or not", () => {
    expect(decideFailure(policy(), { failedAttempts: 1 }, error({ pause: true }))).toEqual({ kind: "pause", exhausted: false });
    expect(decideFailure(policy({ maxAttempts: 1, onMaxAttempts: "kill" }), { failedAttempts: 1 }, error({ pause: true }))).toEqual({ kind: "pause", exhausted: false });
  });

  it("fails at once when the testing kit turned retries off", () => {
    expect(decideFailure(policy(), { failedAttempts: 1 }, error({ code: 400 }), true)).toEqual({ kind: "fail", result: { kind: "failure", code: 400, message: "boom" }, retriesOff: true });
  });
});
