/**
 * The engine's timers over the injected clock: a Sleep entry's wake-up, an
 * invocation's next start (a delayed send due, a backoff over), and a running
 * attempt's inactivity (then abort) timeout. Each timer forgets itself before
 * it fires, so a callback may arm the next one.
 */
import type { Clock, ClockTimer } from "./clock.js";

export class Timers {
  private readonly sleeps = new Map<string, ClockTimer>();
  private readonly starts = new Map<string, ClockTimer>();
  private readonly inactivity = new Map<string, ClockTimer>();

  constructor(private readonly clock: Clock) {}

  /** Wakes the Sleep entry `index` of invocation `id` at `at`; once per entry. */
  sleep(id: string, index: number, at: number, wake: () => void): void {
    const k = `${id}#${index}`;
    if (this.sleeps.has(k)) return;
    this.sleeps.set(
      k,
      this.clock.setTimeout(() => {
        this.sleeps.delete(k);
        wake();
      }, Math.max(0, at - this.clock.now())),
    );
  }

  cancelSleep(id: string, index: number): void {
    const k = `${id}#${index}`;
    this.clock.clearTimeout(this.sleeps.get(k));
    this.sleeps.delete(k);
  }

  /** The invocation's next start (delayed send, end of a backoff); replaces the one set before. */
  startAt(id: string, at: number, start: () => void): void {
    this.cancelStart(id);
    this.starts.set(
      id,
      this.clock.setTimeout(() => {
        this.starts.delete(id);
        start();
      }, Math.max(0, at - this.clock.now())),
    );
  }

  cancelStart(id: string): void {
    this.clock.clearTimeout(this.starts.get(id));
    this.starts.delete(id);
  }

  /** The running attempt's inactivity or abort timeout; replaces the one set before. */
  watch(id: string, ms: number, fire: () => void): void {
    this.unwatch(id);
    this.inactivity.set(
      id,
      this.clock.setTimeout(() => {
        this.inactivity.delete(id);
        fire();
      }, ms),
    );
  }

  unwatch(id: string): void {
    this.clock.clearTimeout(this.inactivity.get(id));
    this.inactivity.delete(id);
  }

  /** A one-off timer that does not keep the process alive (a reload's deadline). */
  background(ms: number, fire: () => void): void {
    this.clock.setTimeout(fire, ms, { background: true });
  }

  /** Shutdown: no timer fires any more; the database has what they were for. */
  stop(): void {
    for (const map of [this.sleeps, this.starts, this.inactivity]) {
      for (const t of map.values()) this.clock.clearTimeout(t);
      map.clear();
    }
  }
}
