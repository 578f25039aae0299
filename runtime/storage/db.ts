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
  // a power cut, not just a process crash; group commit keeps this affordable.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = OFF");
  db.pragma("busy_timeout = 5000");
  migrate(db);
  return db;
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
