/**
 * The SDK's notion of "now" for what it journals (sleep wake-up times, delayed
 * sends, ctx.date.now()). A worker thread uses the system clock; an
 * in-process test environment with a virtual clock replaces it.
 */
let source: () => number = () => Date.now();

export function now(): number {
  return source();
}

export function setClock(fn: () => number): void {
  source = fn;
}
