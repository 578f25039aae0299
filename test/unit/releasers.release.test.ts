import { describe, expect, it } from "vitest";
import { Releasers } from "../../runtime/releasers.js";

describe("Releasers.release", () => {
  it("releases in reverse order of acquisition, each once", async () => {
    const order: string[] = [];
    const r = new Releasers();
    r.add(() => void order.push("lock"));
    r.add(async () => {
      await new Promise((res) => setTimeout(res, 5));
      order.push("db");
    });
    r.add(() => void order.push("server"));
    await Promise.all([r.release(), r.release()]);
    await r.release();
    expect(order).toEqual(["server", "db", "lock"]);
  });

  it("runs every releaser when one throws, and rejects with the first error", async () => {
    const order: string[] = [];
    const r = new Releasers();
    r.add(() => void order.push("first acquired"));
    r.add(() => {
      throw new Error("second");
    });
    r.add(async () => {
      order.push("third");
      throw new Error("third");
    });
    await expect(r.release()).rejects.toThrow("third");
    expect(order).toEqual(["third", "first acquired"]);
    // A second release gets the same outcome and releases nothing again.
    await expect(r.release()).rejects.toThrow("third");
    expect(order).toEqual(["third", "first acquired"]);
  });

  it("refuses a resource added after release, releasing it at once", async () => {
    const r = new Releasers();
    await r.release();
    let released = false;
    expect(() => r.add(() => void (released = true))).toThrow(/torn down/);
    await new Promise((res) => setTimeout(res, 1));
    expect(released).toBe(true);
    expect(r.released).toBe(true);
  });
});
