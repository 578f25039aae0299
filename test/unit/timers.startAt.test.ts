import { describe, expect, it } from "vitest";
import { Timers } from "../../runtime/engine/timers.js";
import { VirtualClock } from "../../testing/virtual_clock.js";

describe("Timers.startAt", () => {
  it("keeps one next start per invocation: a backoff replaces a delayed start, a cancel drops it", () => {
    const clock = new VirtualClock(1_000);
    const timers = new Timers(clock);
    const fired: string[] = [];
    timers.startAt("a", 2_000, () => fired.push("a delayed"));
    timers.startAt("a", 3_000, () => fired.push("a backoff"));
    timers.startAt("b", 1_500, () => fired.push("b"));
    timers.cancelStart("b");
    clock.moveTo(5_000);
    expect(fired).toEqual(["a backoff"]);
  });

  it("wakes a Sleep entry once however often it is armed (recovery re-arms), and a callback may arm the next timer", () => {
    const clock = new VirtualClock(0);
    const timers = new Timers(clock);
    const fired: string[] = [];
    timers.sleep("a", 3, 100, () => fired.push("a#3"));
    timers.sleep("a", 3, 100, () => fired.push("a#3 again"));
    timers.watch("a", 50, () => {
      fired.push("inactive");
      timers.watch("a", 200, () => fired.push("abort"));
    });
    clock.moveTo(100);
    expect(fired).toEqual(["inactive", "a#3"]);
    // The abort timer was armed when the inactivity one fired (the clock read 100 then).
    clock.moveTo(299);
    expect(fired).toEqual(["inactive", "a#3"]);
    clock.moveTo(300);
    expect(fired).toEqual(["inactive", "a#3", "abort"]);
  });

  it("fires nothing after stop", () => {
    const clock = new VirtualClock(0);
    const timers = new Timers(clock);
    let fired = 0;
    timers.sleep("a", 1, 10, () => fired++);
    timers.startAt("a", 10, () => fired++);
    timers.watch("a", 10, () => fired++);
    timers.stop();
    clock.moveTo(100);
    expect(fired).toBe(0);
    expect(clock.hasDue).toBe(false);
  });
});
