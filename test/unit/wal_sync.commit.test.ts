import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../runtime/storage/db.js";
import { GroupCommit } from "../../runtime/storage/commit.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "rd-walsync-"));
  dirs.push(dir);
  const file = join(dir, "runtime.db");
  const db = openDatabase(file);
  db.exec("CREATE TABLE blobs (n INTEGER PRIMARY KEY, b BLOB)");
  const fatal: Error[] = [];
  const commit = new GroupCommit(db, (e) => fatal.push(e), (why) => new Error(`unavailable: ${why}`));
  return { db, file, commit, fatal };
}

describe("WalSync.commit (through GroupCommit, on a real WAL file)", () => {
  it("the write connection leaves per-commit syncs to it and keeps SQLite's own (NORMAL), with no automatic checkpoint", () => {
    const { db, commit } = setup();
    expect(db.pragma("synchronous", { simple: true })).toBe(1);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    commit.close();
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
    db.close();
  });

  it("callbacks run in commit order across many syncs; the WAL is checkpointed and stays bounded; another connection reads everything", async () => {
    const { db, file, commit, fatal } = setup();
    const insert = db.prepare("INSERT INTO blobs (n, b) VALUES (?, ?)");
    const blob = Buffer.alloc(16 * 1024, 7);
    const seen: number[] = [];
    let maxWal = 0;
    for (let turn = 0; turn < 200; turn++) {
      for (let i = 0; i < 10; i++) {
        const n = turn * 10 + i;
        commit.enqueue(() => insert.run(n, blob), () => void seen.push(n));
      }
      // Every other turn waits for durability: batches pile up behind a sync in flight, and share the next one.
      if (turn % 2 === 1) await commit.durable();
      else await new Promise((r) => setImmediate(r));
      maxWal = Math.max(maxWal, statSync(`${file}-wal`).size);
    }
    await commit.durable();
    expect(fatal).toEqual([]);
    expect(seen).toEqual(Array.from({ length: 2000 }, (_, n) => n));
    // 2000 × 16 KiB = 31 MiB written: without checkpoints the WAL would hold it all.
    expect(maxWal).toBeLessThan(20 * 1024 * 1024);
    const other = new Database(file, { readonly: true });
    expect((other.prepare("SELECT COUNT(*) AS c FROM blobs").get() as { c: number }).c).toBe(2000);
    other.close();
    commit.close();
    db.close();
  });
});
