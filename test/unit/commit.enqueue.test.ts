import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../runtime/storage/commit.js";

function setup() {
  const db = new Database(":memory:");
  db.exec("CREATE TABLE log (n INTEGER)");
  const fatal: Error[] = [];
  const commit = new GroupCommit(db, (e) => fatal.push(e), (why) => new Error(`unavailable: ${why}`));
  const rows = () => (db.prepare("SELECT n FROM log ORDER BY rowid").all() as Array<{ n: number }>).map((r) => r.n);
  return { db, commit, rows, fatal };
}

describe("GroupCommit.enqueue", () => {
  it("applies the writes of one turn in one transaction, in order, and runs callbacks after it, in order", async () => {
    const { commit, rows, db } = setup();
    const seen: string[] = [];
    for (let n = 1; n <= 5; n++) commit.enqueue(() => void seen.push(`write ${n}`), () => void seen.push(`durable ${n} (rows: ${rows().length})`));
    commit.enqueue(() => {
      for (let n = 1; n <= 3; n++) db.prepare("INSERT INTO log VALUES (?)").run(n);
    });
    expect(seen).toEqual([]);
    await commit.durable();
    expect(seen.slice(0, 5)).toEqual(["write 1", "write 2", "write 3", "write 4", "write 5"]);
    // Every callback runs after the whole transaction: the rows of the last write are there already.
    expect(seen.slice(5)).toEqual([1, 2, 3, 4, 5].map((n) => `durable ${n} (rows: 3)`));
    expect(rows()).toEqual([1, 2, 3]);
  });

  it("a barrier (durable, afterDurable) covers everything queued before it, and not what comes after", async () => {
    const { commit, rows, db } = setup();
    const insert = (n: number) => () => void db.prepare("INSERT INTO log VALUES (?)").run(n);
    commit.enqueue(insert(1));
    const first = commit.durable().then(() => rows());
    const after: number[][] = [];
    commit.afterDurable(() => after.push(rows()));
    expect(await first).toEqual([1]);
    expect(after).toEqual([[1]]);
    commit.enqueue(insert(2));
    await commit.durable();
    expect(rows()).toEqual([1, 2]);
    expect(commit.idle).toBe(true);
  });

  it("after a failed write nothing more is written or acknowledged: barriers reject, callbacks never run", async () => {
    const { commit, rows, db, fatal } = setup();
    let called = false;
    commit.enqueue(() => void db.prepare("INSERT INTO log VALUES (1)").run(), () => (called = true));
    commit.enqueue(() => {
      throw new Error("disk full");
    });
    await expect(commit.durable()).rejects.toThrow("unavailable: disk full");
    expect(called).toBe(false);
    expect(rows()).toEqual([]); // the transaction rolled back as a whole
    expect(fatal.map((e) => e.message)).toEqual(["disk full"]);
    commit.enqueue(() => void db.prepare("INSERT INTO log VALUES (2)").run());
    await expect(commit.durable()).rejects.toThrow("unavailable");
    expect(rows()).toEqual([]);
  });
});
