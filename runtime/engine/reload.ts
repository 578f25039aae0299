/**
 * Hot reload, engine side: a new build's worker takes over, attempts move to it
 * by replay, and in-flight journals are checked against the new code first.
 */
import type { ServiceManifest } from "../../sdk/worker/protocol.js";
import type { WorkerLink } from "../workers/link.js";
import type { Engine, ReloadFinding } from "./engine.js";
import { describeTarget, type ActiveInvocation } from "./invocation.js";


/**
 * A new build's worker takes over: new attempts go to it, and attempts on the
 * previous worker are asked to suspend there and resume here by replay.
 * One attempt runs on one worker: an attempt busy in a ctx.run finishes it on
 * the old code; at the deadline the old worker is stopped, and only once it
 * has exited do its attempts start again on the new one (as after a crash:
 * a closure cut off runs again, never twice at once).
 */
export function adopt(e: Engine, worker: WorkerLink, services: ServiceManifest[], retired: (old: WorkerLink) => void): void {
  const previous = e.worker;
  e.workerReady(worker, services);
  if (!previous || previous === worker) return;
  e.retiring.set(previous.id, () => retired(previous));
  for (const inv of attemptsOn(e, previous.id)) previous.send({ t: "suspend", aid: inv.attempt!.aid });
  retireIfIdle(e, previous.id);
  const deadline = e.defaults.reloadDeadlineMs;
  e.clock.setTimeout(
    () => {
      if (!e.retiring.has(previous.id)) return;
      e.log(`the previous build still runs ${e.attemptsOnWorker(previous.id)} attempt(s) after ${deadline / 1000} s: stopping its worker; they continue on the new build by replay`);
      previous.stop();
    },
    deadline,
    { background: true },
  );
}

export function attemptsOn(e: Engine, workerId: number): ActiveInvocation[] {
  if (e.attemptsOnWorker(workerId) === 0) return [];
  return [...e.attempts.values()].filter((inv) => inv.attempt?.workerId === workerId);
}

/** Restarts an attempt on the current worker, without counting a failure (testing kit: replay hunting). */
export function moveAttempt(e: Engine, inv: ActiveInvocation): void {
  const attempt = inv.attempt;
  if (!attempt) return;
  e.workers.get(attempt.workerId)?.send({ t: "abort", aid: attempt.aid });
  e.endAttempt(inv);
  e.startAttempt(inv);
}

/** A retiring worker with no attempt left is stopped, whatever ended them. */
export function retireIfIdle(e: Engine, workerId: number): void {
  const done = e.retiring.get(workerId);
  if (!done || e.attemptsOnWorker(workerId) > 0) return;
  e.retiring.delete(workerId);
  e.workers.delete(workerId);
  done();
}

/** A retiring worker exited (stopped at the deadline): its attempts continue on the current build, not counted as failures. */
export function retiredWorkerExited(e: Engine, workerId: number): void {
  const done = e.retiring.get(workerId);
  e.retiring.delete(workerId);
  e.workers.delete(workerId);
  for (const inv of attemptsOn(e, workerId)) {
    e.endAttempt(inv);
    e.startAttempt(inv);
  }
  done?.();
}

/**
 * Replays the journal of every in-flight invocation against a new build,
 * offline (no closure runs, nothing is written), and reports those whose
 * journal the new code would not follow.
 */
export function checkJournals(e: Engine, worker: WorkerLink, timeoutMs = 3000): Promise<ReloadFinding[]> {
  const targets = [...e.active.values()].filter(
    (inv) => inv.journal.size > 0 && inv.status !== "pending" && inv.status !== "scheduled",
  );
  return Promise.all(
    targets.map(
      (inv) =>
        new Promise<ReloadFinding | undefined>((resolve) => {
          const aid = e.nextAid++;
          const timer = e.clock.setTimeout(() => {
            e.checks.delete(aid);
            resolve({ invocationId: inv.id, target: describeTarget(inv), status: inv.status, inconclusive: "the replay did not finish in time" });
          }, timeoutMs);
          e.checks.set(aid, (msg) => {
            e.clock.clearTimeout(timer);
            e.checks.delete(aid);
            if (msg.ok) return resolve(undefined);
            resolve({
              invocationId: inv.id,
              target: describeTarget(inv),
              status: inv.status,
              ...(msg.mismatch ? { mismatch: msg.mismatch } : {}),
              ...(msg.inconclusive ? { inconclusive: msg.inconclusive } : {}),
            });
          });
          worker.send({ ...e.startMessage(inv, aid), dryRun: true });
        }),
    ),
  ).then((all) => all.filter((f): f is ReloadFinding => f !== undefined));
}
