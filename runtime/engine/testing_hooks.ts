/**
 * Hooks for the testing kit (restate-dev/testing): replay hunting, fault
 * injection and fail-fast. Off unless EngineOptions.testing is set, which
 * `restate-dev up` never does. Each hook is a decision the lifecycle carries out.
 */
import type { AttemptError } from "../../sdk/worker/protocol.js";
import { JOURNAL_MISMATCH_CODE } from "../../sdk/errors.js";

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

/** After an attempt recorded a new journal entry: crash it, or end it and replay it elsewhere, or go on. */
export function afterNewEntry(
  t: EngineTestingOptions,
  target: { id: string; service: string; handler: string; key?: string },
  entries: number,
  newEntries: number,
): "crash" | "replay" | undefined {
  if (t.crashAfterEntry?.(target, entries)) return "crash";
  if (t.alwaysReplay && newEntries >= 2) return "replay";
  return undefined;
}

/** The attempt returned. Under alwaysReplay, one that recorded new entries is replayed first. */
export function replaysBeforeOutput(t: EngineTestingOptions, newEntries: number): boolean {
  return !!t.alwaysReplay && newEntries > 0;
}

/** Whether this failure ends the invocation at once instead of being retried. */
export function failsFast(t: EngineTestingOptions, err: AttemptError): boolean {
  return !!t.disableRetries || (!!t.alwaysReplay && err.code === JOURNAL_MISMATCH_CODE);
}
