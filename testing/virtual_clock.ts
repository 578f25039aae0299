/**
 * Virtual time for the engine (its Clock) and for the SDK (what handlers
 * journal as "now"). It stands still until advanced; timers fire in the order
 * they are due. Timers already due fire on the next turn of the event loop, as
 * real ones would.
 */
import type { Clock, ClockTimer } from "../runtime/engine/clock.js";

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  background: boolean;
}

export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Set<Timer>();
  private dueScheduled = false;
  private stopped = false;

  constructor(start: number) {
    this.current = start;
  }

  now = (): number => this.current;

  setTimeout(fn: () => void, ms: number, options?: { background?: boolean }): ClockTimer {
    const t: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, background: options?.background ?? false };
    this.timers.add(t);
    if (t.at <= this.current) this.scheduleDue();
    return t as unknown as ClockTimer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer) this.timers.delete(timer as unknown as Timer);
  }

  /**
   * When the next timer is due. Background timers (retention sweeps) are only
   * counted with `background`: skipping time to reach them is never needed.
   */
  nextDue(options: { background: boolean }): number | undefined {
    let next: number | undefined;
    for (const t of this.timers) {
      if (t.background && !options.background) continue;
      if (next === undefined || t.at < next) next = t.at;
    }
    return next;
  }

  /** A timer is due and waits for its turn. */
  get hasDue(): boolean {
    for (const t of this.timers) if (t.at <= this.current) return true;
    return false;
  }

  /** Moves time forward to `at` (never back) and fires every timer due by then, in order. */
  moveTo(at: number): void {
    if (at > this.current) this.current = at;
    this.fireDue();
  }

  /** No timer fires after this. */
  stop(): void {
    this.stopped = true;
    this.timers.clear();
  }

  private scheduleDue(): void {
    if (this.dueScheduled) return;
    this.dueScheduled = true;
    setImmediate(() => {
      this.dueScheduled = false;
      this.fireDue();
    });
  }

  private fireDue(): void {
    while (!this.stopped) {
      let first: Timer | undefined;
      for (const t of this.timers) {
        if (t.at > this.current) continue;
        if (!first || t.at < first.at || (t.at === first.at && t.seq < first.seq)) first = t;
      }
      if (!first) return;
      this.timers.delete(first);
      first.fn();
    }
  }
}
