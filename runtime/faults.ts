/**
 * Fault points for crash tests: the runtime SIGKILLs itself at a chosen
 * durability boundary, so a test lands exactly in the window between a write
 * and its commit, or between a commit and what it acknowledges. Off unless
 * RESTATE_DEV_CRASH_AT is set; `restate-dev up` users never set it.
 *
 *   RESTATE_DEV_CRASH_AT=<point>:<n>
 *
 * Points (counted from the start of this process, n >= 1):
 * - `commit-before`: the nth group commit, before its transaction runs;
 * - `commit-after`:  the nth group commit, after it is durable but before any
 *                    of its callbacks (acknowledgements, worker notifications) run;
 * - `http-after`:    right after the nth HTTP answer (ingress or admin) was written.
 *
 * RESTATE_DEV_COMMIT_DELAY_MS=<ms> holds every group commit that long before it
 * runs, widening each window between a write and its commit, so that anything
 * answered before its write is durable is exposed by the next crash point.
 */
export type FaultPoint = "commit-before" | "commit-after" | "http-after";

const POINTS: FaultPoint[] = ["commit-before", "commit-after", "http-after"];

function parse(spec: string | undefined): { point: FaultPoint; n: number } | undefined {
  if (!spec) return undefined;
  const [point, n] = spec.split(":");
  const count = Number(n);
  if (!POINTS.includes(point as FaultPoint) || !Number.isInteger(count) || count < 1) {
    process.stderr.write(`RESTATE_DEV_CRASH_AT='${spec}' is not <${POINTS.join("|")}>:<n>; no fault point is set\n`);
    return undefined;
  }
  return { point: point as FaultPoint, n: count };
}

const armed = parse(process.env.RESTATE_DEV_CRASH_AT);
const counts: Record<FaultPoint, number> = { "commit-before": 0, "commit-after": 0, "http-after": 0 };

/** Passes a fault point; dies here if it is the armed one. */
export function faultPoint(point: FaultPoint): void {
  if (!armed || armed.point !== point) return;
  if (++counts[point] !== armed.n) return;
  process.stderr.write(`fault point ${point}:${armed.n} reached: SIGKILL\n`);
  process.kill(process.pid, "SIGKILL");
}

const delay = Number(process.env.RESTATE_DEV_COMMIT_DELAY_MS ?? 0);
/** How long a group commit waits before it runs (0: the next turn of the event loop). */
export const commitDelayMs = Number.isFinite(delay) && delay > 0 ? delay : 0;
