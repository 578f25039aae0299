/**
 * Hooks for the testing kit (restate-dev/testing): replay hunting, fault
 * injection and fail-fast. Off unless EngineOptions.testing is set, which
 * `restate-dev up` never does.
 */
import type { AttemptError } from "../../sdk/worker/protocol.js";
import type { Engine } from "./engine.js";
import type { ActiveInvocation } from "./invocation.js";
import { attemptFailed } from "./failures.js";
import { moveAttempt } from "./reload.js";

/** Restate's code for a journal mismatch (the SDK reports it; see sdk/errors.ts). */
const JOURNAL_MISMATCH = 570;

export interface EngineTestingOptions {
  /**
   * Replay hunting: an attempt that recorded a new journal entry is ended when
   * it records the next one (or returns), and the invocation continues in a new
   * attempt that replays the journal. Not counted as a failure. So every stretch
   * of handler code runs live once and again by replay, and code that takes
   * another path on replay fails with 570, which then ends the invocation
   * (retrying it would only fail the same way).
   */
  alwaysReplay?: boolean;
  /** The first failed attempt completes the invocation with its failure: no backoff, no pause. */
  disableRetries?: boolean;
  /**
   * Asked after each new journal entry, with the number of entries the journal
   * now holds; `true` crashes the attempt there, as a dying worker would: the
   * attempt fails and is retried.
   */
  crashAfterEntry?: (invocation: { id: string; service: string; handler: string; key?: string }, entries: number) => boolean;
}

/** After an attempt recorded a new journal entry: crash it, or end it and replay. */
export function afterNewEntry(e: Engine, inv: ActiveInvocation): void {
  const t = e.testing;
  const attempt = inv.attempt;
  if (!t || !attempt) return;
  const target = { id: inv.id, service: inv.service, handler: inv.handler, ...(inv.key !== undefined ? { key: inv.key } : {}) };
  if (t.crashAfterEntry?.(target, inv.journal.size)) {
    attemptFailed(e, inv, {
      t: "error",
      aid: attempt.aid,
      code: 500,
      message: `the test crashed this attempt after journal entry ${inv.journal.size} (crashAfter)`,
    });
    return;
  }
  if (t.alwaysReplay && attempt.newEntries >= 2) moveAttempt(e, inv);
}

/** The attempt returned. Under alwaysReplay, one that recorded new entries is replayed first; true if so. */
export function replayInsteadOfOutput(e: Engine, inv: ActiveInvocation): boolean {
  if (!e.testing?.alwaysReplay || !inv.attempt || inv.attempt.newEntries === 0) return false;
  moveAttempt(e, inv);
  return true;
}

/** Whether this failure ends the invocation at once instead of being retried. */
export function failsFast(e: Engine, err: AttemptError): boolean {
  const t = e.testing;
  return !!t && (!!t.disableRetries || (!!t.alwaysReplay && err.code === JOURNAL_MISMATCH));
}
