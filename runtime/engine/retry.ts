/** Retry policy resolution and backoff, with Restate 1.7's defaults. */
import type { HandlerManifest, RetryPolicyManifest, ServiceManifest } from "../../sdk/worker/protocol.js";

export interface RetryPolicy {
  initialInterval: number;
  exponentiationFactor: number;
  maxInterval: number;
  /** Attempts including the first. */
  maxAttempts: number;
  onMaxAttempts: "pause" | "kill";
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialInterval: 500,
  exponentiationFactor: 2,
  maxInterval: 60_000,
  maxAttempts: 70,
  onMaxAttempts: "pause",
};

/** Handler options override service options, which override the defaults. */
export function resolveRetryPolicy(service: ServiceManifest | undefined, handler: HandlerManifest | undefined): RetryPolicy {
  const merged: RetryPolicy = { ...DEFAULT_RETRY_POLICY };
  for (const p of [service?.options.retryPolicy, handler?.options.retryPolicy]) {
    if (!p) continue;
    assign(merged, p);
  }
  // Restate coerces 0 to 1: the first attempt always happens.
  merged.maxAttempts = Math.max(1, merged.maxAttempts);
  return merged;
}

function assign(into: RetryPolicy, p: RetryPolicyManifest): void {
  if (p.initialInterval !== undefined) into.initialInterval = p.initialInterval;
  if (p.exponentiationFactor !== undefined) into.exponentiationFactor = p.exponentiationFactor;
  if (p.maxInterval !== undefined) into.maxInterval = p.maxInterval;
  if (p.maxAttempts !== undefined) into.maxAttempts = p.maxAttempts;
  if (p.onMaxAttempts !== undefined) into.onMaxAttempts = p.onMaxAttempts;
}

/** Delay before the next attempt, after `failedAttempts` attempts have failed (>= 1). */
export function backoff(policy: RetryPolicy, failedAttempts: number): number {
  const d = policy.initialInterval * Math.pow(policy.exponentiationFactor, Math.max(0, failedAttempts - 1));
  return Math.min(policy.maxInterval, d);
}

/** 500ms, 2s, 1.5s: how delays appear in log lines. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
}
