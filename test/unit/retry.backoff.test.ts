import { describe, expect, it } from "vitest";
import { backoff, DEFAULT_RETRY_POLICY, formatMs, resolveRetryPolicy } from "../../runtime/engine/retry.js";

describe("retry.backoff", () => {
  it("grows exponentially from the initial interval up to the maximum (Restate's defaults)", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => backoff(DEFAULT_RETRY_POLICY, n));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });

  it("follows the handler's policy over the service's", () => {
    const policy = resolveRetryPolicy(
      { name: "s", ty: "SERVICE", handlers: [], options: { retryPolicy: { initialInterval: 100, exponentiationFactor: 3, maxAttempts: 0 } } },
      { name: "h", options: { retryPolicy: { maxInterval: 1000 } } },
    );
    expect(policy.maxAttempts).toBe(1); // 0 means 1, as in Restate: the first attempt always happens
    expect([1, 2, 3, 4].map((n) => backoff(policy, n))).toEqual([100, 300, 900, 1000]);
    expect(formatMs(500)).toBe("500ms");
    expect(formatMs(1500)).toBe("1.5s");
  });
});
