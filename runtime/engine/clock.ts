/**
 * Time as the engine sees it. The system clock in production; tests (and the
 * testing kit) pass a virtual clock so that timers, backoffs and retention
 * can be driven without waiting.
 */
export type ClockTimer = { readonly __timer: true };

export interface Clock {
  now(): number;
  /** `background` timers do not keep the process alive (retention sweeps). */
  setTimeout(fn: () => void, ms: number, options?: { background?: boolean }): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms, options) {
    const t = setTimeout(fn, ms);
    if (options?.background) t.unref();
    return t as unknown as ClockTimer;
  },
  clearTimeout(timer) {
    if (timer) clearTimeout(timer as unknown as NodeJS.Timeout);
  },
};
