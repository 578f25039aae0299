/** Opens the project's SQLite database (WAL, synchronous commits) and migrates it. */
import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrations } from "./migrations.js";
import { UserError } from "../errors.js";

export type Db = Database.Database;

export interface OpenOptions {
  /** Open for reading only (CLI post-mortem); no migration is run. */
  readonly?: boolean;
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  if (options.readonly) return db;
  db.pragma("journal_mode = WAL");
  // FULL: every commit is fsynced before it returns. An acknowledged step survives
  // a power cut, not just a process crash. The runtime's group commit takes its
  // connection over (NORMAL, plus an fdatasync per batch off the event loop:
  // wal_sync.ts); other writers, such as offline CLI commands, keep FULL.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = OFF");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
}

/**
 * Before reading a database file offline (no runtime, no migration): its schema
 * must be the one this restate-dev reads. An older file is migrated by the next
 * `restate-dev up`; a newer one needs a newer restate-dev.
 */
export function checkReadableSchema(file: string): void {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  let version = 0;
  try {
    version = (db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
  } catch {
    // no schema_migrations table: not migrated at all
  } finally {
    db.close();
  }
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (version < known) {
    throw new UserError(
      "SCHEMA_OLD",
      `${file} was written by an older restate-dev (schema version ${version}; this one reads ${known}), so it cannot be read offline as it is`,
      "run 'restate-dev up' in the project once (it migrates the database, nothing is lost), then run this command again",
    );
  }
  if (version > known) {
    throw new UserError("SCHEMA_TOO_NEW", `${file} has schema version ${version}, newer than this restate-dev knows (${known})`, "upgrade restate-dev to read it");
  }
}

export function migrate(db: Db): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  const applied = new Set((db.prepare("SELECT version FROM schema_migrations").all() as Array<{ version: number }>).map((r) => r.version));
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new UserError(
      "SCHEMA_TOO_NEW",
      `this database has schema version ${newest}, newer than this restate-dev knows (${known}) (${db.name})`,
      "upgrade restate-dev, or delete the project's .restate-dev/ directory to start afresh",
    );
  }
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
    })();
  }
}
