import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { engineFixture, type EngineFixture } from "./helpers/engine.js";
import type { StartAttempt } from "../../sdk/worker/protocol.js";

let f: EngineFixture;
beforeEach(() => {
  f = engineFixture();
});
afterEach(() => f.close());

describe("keys.inbox (through the engine)", () => {
  it("runs 20,000 invocations queued on one key one at a time, in arrival order, in well under a second per thousand", async () => {
    const n = 20_000;
    const started = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(f.engine.invoke({ service: "counter", handler: "add", key: "hot", input: new TextEncoder().encode(String(i)), headers: [] }).invocationId);
    }
    expect(f.engine.keyStatus("counter", "hot").inbox.length).toBe(n - 1);
    // The worker answers each attempt at once; the next in the inbox starts as the previous one returns.
    const ran: string[] = [];
    const seam = f.seam;
    for (let i = 0; i < n; i++) {
      const start = f.worker.sent.pop() as StartAttempt;
      expect(start.t).toBe("start");
      ran.push(start.invocationId);
      f.worker.sent.length = 0;
      seam.deliver(f.worker, { t: "output", attemptId: start.attemptId, result: { kind: "empty" } });
    }
    const elapsed = performance.now() - started;
    expect(ran).toEqual(ids);
    expect(f.engine.keyStatus("counter", "hot")).toEqual({ holder: undefined, inbox: [] });
    await f.engine.durably(() => undefined);
    expect(f.engine.lookup(ids[n - 1]!).state).toBe("completed");
    // 20k queued on one key took 7 s with an O(n) inbox.
    expect(elapsed).toBeLessThan(5000);
  });
});
