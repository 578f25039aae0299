import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrate } from "../../runtime/storage/db.js";
import { schemaDump } from "../../runtime/storage/schema.js";

const committed = fileURLToPath(new URL("../../runtime/storage/schema.sql", import.meta.url));

describe("schema.dump", () => {
  it("migrating an empty database reproduces the committed runtime/storage/schema.sql", () => {
    const db = new Database(":memory:");
    migrate(db);
    const dump = schemaDump(db);
    db.close();
    if (process.env.UPDATE_SCHEMA) writeFileSync(committed, dump);
    expect(dump, "the schema changed: review it, then UPDATE_SCHEMA=1 npx vitest run test/unit/schema.dump.test.ts").toBe(readFileSync(committed, "utf8"));
    expect(dump).toContain("CREATE TABLE invocations");
  });

  it("a migrated database migrated again stays the same", () => {
    const db = new Database(":memory:");
    migrate(db);
    const once = schemaDump(db);
    migrate(db);
    expect(schemaDump(db)).toBe(once);
    db.close();
  });
});
