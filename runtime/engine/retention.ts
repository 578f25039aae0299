/**
 * Retention: a sweeper that drops journals and completed invocations whose
 * retention has passed, as soon as the next one is due (and at least every
 * minute). It owns its timer; the lifecycle tells it when a new expiry comes.
 */
import type { GroupCommit } from "../storage/commit.js";
import type { InvocationRow, Queries } from "../storage/queries.js";
import type { Clock, ClockTimer } from "./clock.js";

/** Expired records are swept at least this often, and as soon as the next one is due. */
const SWEEP_INTERVAL_MS = 60_000;
/**
 * But not more often than this: once retention passes, a record falls due at every
 * completion, and one sweep a second (each a batch) costs less than one per record.
 */
const SWEEP_MIN_GAP_MS = 1_000;

export type ForgetRow = Pick<InvocationRow, "id" | "service" | "key" | "handler" | "handler_type" | "idempotency_key">;

export class Sweeper {
  private next: { timer: ClockTimer; at: number } | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly q: Queries,
    private readonly commit: GroupCommit,
    /** Forgets a completed invocation (its idempotency key in memory, its rows). */
    private readonly forget: (row: ForgetRow) => void,
  ) {}

  /** Something expires at `at`: sweep then at the latest. */
  dueAt(at: number): void {
    if (this.stopped || (this.next && this.next.at <= at)) return;
    if (this.next) this.clock.clearTimeout(this.next.timer);
    const timer = this.clock.setTimeout(() => this.sweep(), Math.max(0, at - this.clock.now()), { background: true });
    this.next = { timer, at };
  }

  /** Drops journals and completed invocations whose retention has passed. */
  sweep(): void {
    if (this.stopped) return;
    this.next = undefined;
    const now = this.clock.now();
    const journals = this.q.expiredJournals(now);
    const invocations = this.q.expiredInvocations(now);
    if (journals.length > 0) {
      this.commit.enqueue(() => {
        for (const id of journals) this.q.dropJournal(id);
      });
    }
    for (const row of invocations) this.forget(row);
    // Look again once this sweep's deletions are committed: at once if the batch was full.
    const full = journals.length >= 1000 || invocations.length >= 1000;
    this.commit.afterDurable(() => {
      const now = this.clock.now();
      const next = full ? now : Math.max(now + SWEEP_MIN_GAP_MS, this.q.nextExpiry() ?? Infinity);
      this.dueAt(Math.min(next, now + SWEEP_INTERVAL_MS));
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.next) this.clock.clearTimeout(this.next.timer);
  }
}
