import { describe, expect, it } from "vitest";
import { WorkerSeam, type EngineBound } from "../../runtime/workers/seam.js";
import type { WorkerLink } from "../../runtime/workers/link.js";
import { RecordingLink } from "./helpers/engine.js";

describe("WorkerSeam.deliver", () => {
  it("carries messages both ways: a transport's messages reach the one subscriber, the subscriber's reach the link by id", () => {
    const seam = new WorkerSeam();
    const heard: Array<[number, string]> = [];
    const ended: Array<[number, string]> = [];
    seam.subscribe({ message: (w: WorkerLink, m: EngineBound) => heard.push([w.id, m.t]), exited: (w, why) => ended.push([w.id, why]) });
    expect(() => seam.subscribe({ message: () => {}, exited: () => {} })).toThrow(/already has a subscriber/);
    const a = new RecordingLink(1);
    const b = new RecordingLink(2);
    seam.connect(a);
    seam.connect(b);
    seam.deliver(b, { t: "suspended", attemptId: 7, waitingOn: [1] });
    seam.send(1, { t: "abort", attemptId: 3 });
    expect(heard).toEqual([[2, "suspended"]]);
    expect(a.sent).toEqual([{ t: "abort", attemptId: 3 }]);
    expect(b.sent).toEqual([]);
    // An ended worker gets nothing more.
    seam.ended(a, "killed by SIGKILL");
    seam.send(1, { t: "abort", attemptId: 4 });
    expect(a.sent).toHaveLength(1);
    expect(ended).toEqual([[1, "killed by SIGKILL"]]);
  });
});
