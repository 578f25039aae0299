/**
 * Crash points at every durability boundary (see helpers/sweep.ts): the
 * runtime SIGKILLs itself before a group commit, after it but before its
 * acknowledgements, or right after an HTTP answer, again and again, under a
 * mixed workload. Two sweeps run side by side, each on its own project.
 * Seeded: CRASH_SEED=<n> replays a sweep; CRASH_POINTS sets how many in all
 * (npm run test:crash runs a longer one).
 */
import { afterAll, describe, expect, it } from "vitest";
import { cleanupProjects } from "./helpers/project.js";
import { runSweep } from "./helpers/sweep.js";

afterAll(cleanupProjects);

const points = Number(process.env.CRASH_POINTS ?? 220);
const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const sweeps = [seed, seed + 1];
const each = Math.ceil(points / sweeps.length);

describe.concurrent("crash points", () => {
  for (const s of sweeps) {
    it(`${each} crash points at commit and answer boundaries lose nothing acknowledged and double nothing (seed ${s})`, async () => {
      console.log(`crash sweep: seed ${s}, ${each} points (reproduce one: CRASH_SEED=${s} CRASH_POINTS=${each * sweeps.length} npx vitest run test/crash-points.test.ts)`);
      const r = await runSweep({ seed: s, points: each, log: (l) => console.log(l) });
      console.log(`crash sweep ${s}: ${r.crashes} crashes over ${r.epochs} runs, ${r.operations} operations; by point: ${JSON.stringify(r.byPoint)}`);
      expect(r.crashes).toBe(each);
      // Every kind of boundary was hit.
      expect(Object.keys(r.byPoint).filter((k) => !k.includes("recovery")).sort()).toEqual(["commit-after", "commit-before", "http-after"]);
    }, 900_000);
  }
});
