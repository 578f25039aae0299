import { describe, expect, it } from "vitest";
import { Builds } from "../../runtime/engine/builds.js";
import { VirtualClock } from "../../testing/virtual_clock.js";
import type { WorkerLink } from "../../runtime/workers/link.js";

const worker = (id: number): WorkerLink => ({ id, alive: true, send: () => undefined, stop: () => undefined });

describe("Builds.repin", () => {
  it("counts what is pinned to each build and says when an older one is left with nothing", () => {
    const builds = new Builds(new VirtualClock(0));
    builds.makeCurrent(worker(1), "dp_old");
    builds.repin(undefined, "dp_old");
    builds.repin(undefined, "dp_old");
    builds.makeCurrent(worker(2), "dp_new");
    expect(builds.workerFor("dp_old")?.id).toBe(1);
    expect(builds.deploymentOfWorker(2)).toBe("dp_new");
    // One moves to the new build, the other completes: only the last one empties the old build.
    expect(builds.repin("dp_old", "dp_new")).toBeUndefined();
    expect(builds.pinned("dp_new")).toBe(1);
    expect(builds.repin("dp_old", undefined)).toBe("dp_old");
    expect(builds.pinned("dp_old")).toBe(0);
    // The newest build is never retired, whatever is pinned to it.
    expect(builds.repin("dp_new", undefined)).toBeUndefined();
  });

  it("forgets an exited worker's build, and a worker stopped on purpose is not a crash", () => {
    const builds = new Builds(new VirtualClock(0));
    const old = worker(1);
    builds.makeCurrent(old, "dp_old");
    builds.makeCurrent(worker(2), "dp_new");
    builds.stoppingOnPurpose(1);
    expect(builds.exited(old)).toEqual({ retired: undefined });
    expect(builds.workerFor("dp_old")).toBeUndefined();
    expect(builds.exited(worker(3))).toBe("crashed");
  });
});
