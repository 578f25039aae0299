/** Drops journals and completed invocations whose retention has passed, as soon as they are due. */
import type { Engine } from "./engine.js";
import { forget } from "./operations.js";

/** Expired records are swept at least this often, and as soon as the next one is due. */
const SWEEP_INTERVAL_MS = 60_000;
/**
 * But not more often than this: once retention passes, a record falls due at every
 * completion, and one sweep a second (each a batch) costs less than one per record.
 */
const SWEEP_MIN_GAP_MS = 1_000;

export function scheduleSweep(e: Engine, at: number): void {
  if (e.stopped || (e.sweeper && e.sweeper.at <= at)) return;
  if (e.sweeper) e.clock.clearTimeout(e.sweeper.timer);
  const timer = e.clock.setTimeout(() => sweep(e), Math.max(0, at - e.clock.now()), { background: true });
  e.sweeper = { timer, at };
}

/** Drops journals and completed invocations whose retention has passed. */
export function sweep(e: Engine): void {
  if (e.stopped) return;
  e.sweeper = undefined;
  const now = e.clock.now();
  const journals = e.q.expiredJournals(now);
  const invocations = e.q.expiredInvocations(now);
  if (journals.length > 0) {
    e.commit.enqueue(() => {
      for (const id of journals) e.q.dropJournal(id);
    });
  }
  for (const row of invocations) forget(e, row);
  // Look again once this sweep's deletions are committed: at once if the batch was full.
  const full = journals.length >= 1000 || invocations.length >= 1000;
  e.commit.afterDurable(() => {
    const now = e.clock.now();
    const next = full ? now : Math.max(now + SWEEP_MIN_GAP_MS, e.q.nextExpiry() ?? Infinity);
    scheduleSweep(e, Math.min(next, now + SWEEP_INTERVAL_MS));
  });
}
