/** Failed attempts: retry with backoff, or pause or fail the invocation when attempts run out. */
import type { AttemptError } from "../../sdk/worker/protocol.js";
import type { Engine } from "./engine.js";
import { describeTarget, type ActiveInvocation } from "./invocation.js";
import { backoff, formatMs, resolveRetryPolicy } from "./retry.js";
import { failsFast } from "./testing_hooks.js";

export function attemptFailed(e: Engine, inv: ActiveInvocation, err: AttemptError): void {
  const attempt = inv.attempt;
  if (!attempt) return;
  e.endAttempt(inv);
  e.workers.get(attempt.workerId)?.send({ t: "abort", aid: attempt.aid });
  inv.retryCount += 1;
  inv.retriesSinceEntry += 1;
  const now = e.clock.now();
  const failure = {
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
  inv.lastFailure = lastFailure;
  const policy = resolveRetryPolicy(e.services.get(inv.service), e.handler(inv.service, inv.handler));
  const related = err.relatedIndex !== undefined ? ` at entry ${err.relatedIndex} (${err.relatedType}${err.relatedName ? ` '${err.relatedName}'` : ""})` : "";
  const head = `${inv.id} ${describeTarget(inv)} attempt ${inv.retryCount} failed${related}: [${err.code}] ${err.message}`;

  if (e.testing && failsFast(e, err)) {
    // A test asked for no retries (or hunts for non-determinism): the failure is the outcome.
    e.log(`${head}; the invocation fails (retries are off in this test environment)`);
    e.commit.enqueue(() => e.q.insertFailure(failure));
    e.complete(inv, { kind: "failure", code: err.code >= 400 && err.code < 600 ? err.code : 500, message: err.message });
    return;
  }
  if (err.pause || inv.retryCount >= policy.maxAttempts) {
    const exhausted = !err.pause;
    if (exhausted && policy.onMaxAttempts === "kill") {
      e.log(`${head}; no attempts left (${policy.maxAttempts}), the invocation fails`);
      e.commit.enqueue(() => e.q.insertFailure(failure));
      e.complete(inv, { kind: "failure", code: err.code >= 400 && err.code < 600 ? err.code : 500, message: err.message });
      return;
    }
    e.log(`${head}; ${exhausted ? `no attempts left (${policy.maxAttempts}), ` : ""}paused: resume, restart or kill it`);
    e.commit.enqueue(() => e.q.insertFailure(failure));
    setPaused(e, inv, lastFailure);
    return;
  }
  const delay = err.nextRetryDelayMs ?? backoff(policy, inv.retryCount);
  inv.status = "backing-off";
  inv.nextRetryAt = now + delay;
  e.log(`${head}; retrying in ${formatMs(delay)}`);
  e.commit.enqueue(() => {
    e.q.insertFailure(failure);
    e.q.setBackingOff(inv.id, "backing-off", inv.retryCount, inv.nextRetryAt!, lastFailure, now);
  });
  e.scheduleAt(inv, inv.nextRetryAt, () => retryNow(e, inv));
}

export function setPaused(e: Engine, inv: ActiveInvocation, lastFailure: string | undefined): void {
  if (inv.timer) e.clock.clearTimeout(inv.timer);
  inv.timer = undefined;
  inv.status = "paused";
  inv.nextRetryAt = undefined;
  const now = e.clock.now();
  e.commit.enqueue(() => e.q.setBackingOff(inv.id, "paused", inv.retryCount, null, lastFailure ?? null, now));
}

export function retryNow(e: Engine, inv: ActiveInvocation): void {
  if (!e.active.has(inv.id) || inv.status !== "backing-off") return;
  e.setStatus(inv, "ready");
  e.startAttempt(inv);
}
