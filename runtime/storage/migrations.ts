import { INTROSPECTION_VIEWS_SQL } from "./views.js";
import { MIGRATION_5_SQL } from "./views_v5.js";
import { MIGRATION_7_SQL } from "./views_v7.js";

/**
 * Numbered schema migrations. Each runs once, in its own transaction, and is
 * recorded in schema_migrations. Append new ones; never edit an applied one.
 */
export const migrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: "initial",
    sql: `
CREATE TABLE invocations (
  id              TEXT PRIMARY KEY,
  service         TEXT NOT NULL,
  handler         TEXT NOT NULL,
  -- NULL for plain services
  key             TEXT,
  service_type    TEXT NOT NULL,           -- service | virtual_object | workflow
  handler_type    TEXT,                    -- exclusive | shared | workflow (keyed services)
  status          TEXT NOT NULL,           -- pending | scheduled | ready | running | suspended | backing-off | paused | completed
  input           BLOB NOT NULL,
  headers         TEXT NOT NULL DEFAULT '[]',
  idempotency_key TEXT,
  seed            TEXT NOT NULL,
  invoked_by_id   TEXT,                    -- parent invocation (calls and sends from handlers)
  invoked_by_index INTEGER,                -- the parent's Call entry, to deliver the result
  inbox_seq       INTEGER,                 -- arrival order of exclusive calls on a key
  retry_count     INTEGER NOT NULL DEFAULT 0,
  next_retry_at   INTEGER,
  scheduled_at    INTEGER,                 -- delayed sends: when due
  last_failure    TEXT,                    -- JSON: code, message, stack, related entry
  result_kind     TEXT,                    -- value | failure, once completed
  result          BLOB,
  created_at      INTEGER NOT NULL,
  modified_at     INTEGER NOT NULL,
  running_at      INTEGER,
  completed_at    INTEGER
);
CREATE INDEX invocations_unfinished ON invocations(status) WHERE status <> 'completed';
CREATE INDEX invocations_target ON invocations(service, key, handler);

CREATE TABLE journal (
  invocation_id TEXT NOT NULL,
  idx           INTEGER NOT NULL,
  type          TEXT NOT NULL,
  name          TEXT,
  value         BLOB,                      -- command payload (state value, call input)
  params        TEXT,                      -- JSON: call target, state keys, wake-up time
  result_kind   TEXT,                      -- value | failure when completed
  result        BLOB,
  created_at    INTEGER NOT NULL,
  completed_at  INTEGER,
  PRIMARY KEY (invocation_id, idx)
) WITHOUT ROWID;

CREATE TABLE state (
  service TEXT NOT NULL,
  key     TEXT NOT NULL,
  name    TEXT NOT NULL,
  value   BLOB NOT NULL,
  PRIMARY KEY (service, key, name)
) WITHOUT ROWID;

CREATE TABLE idempotency (
  service         TEXT NOT NULL,
  key             TEXT NOT NULL,           -- '' for plain services
  handler         TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  invocation_id   TEXT NOT NULL,
  expires_at      INTEGER,                 -- set when the invocation completes
  PRIMARY KEY (service, key, handler, idempotency_key)
) WITHOUT ROWID;

CREATE TABLE attempt_failures (
  invocation_id TEXT NOT NULL,
  attempt       INTEGER NOT NULL,
  at            INTEGER NOT NULL,
  code          INTEGER NOT NULL,
  message       TEXT NOT NULL,
  stack         TEXT,
  related_index INTEGER,
  related_type  TEXT,
  related_name  TEXT,
  PRIMARY KEY (invocation_id, attempt)
) WITHOUT ROWID;
`,
  },
  {
    version: 2,
    name: "programming model: completion order, cancellation, promises, retention",
    sql: `
-- Completion order within an invocation: replays settle combinators (race, any) the same way.
ALTER TABLE journal ADD COLUMN completion_seq INTEGER;

-- A cancel request: the completion sequence number it arrived at, and the last
-- journal index the SDK had allocated when it saw it (NULL until it did).
ALTER TABLE invocations ADD COLUMN cancel_seq INTEGER;
ALTER TABLE invocations ADD COLUMN cancel_observed_index INTEGER;
ALTER TABLE invocations ADD COLUMN restarted_from TEXT;
ALTER TABLE invocations ADD COLUMN suspended_waiting TEXT;        -- JSON array of entry indexes
ALTER TABLE invocations ADD COLUMN completion_expires_at INTEGER; -- result and metadata dropped after
ALTER TABLE invocations ADD COLUMN journal_expires_at INTEGER;    -- journal dropped after
CREATE INDEX invocations_expiry ON invocations(completion_expires_at) WHERE completion_expires_at IS NOT NULL;

-- Durable promises of workflows, per (workflow, key, name).
CREATE TABLE promises (
  service      TEXT NOT NULL,
  key          TEXT NOT NULL,
  name         TEXT NOT NULL,
  result_kind  TEXT NOT NULL,                 -- value | failure
  result       BLOB,
  completed_at INTEGER NOT NULL,
  PRIMARY KEY (service, key, name)
) WITHOUT ROWID;
`,
  },
  {
    version: 3,
    name: "introspection views shaped like Restate's (sys_invocation, sys_journal, ...)",
    sql: INTROSPECTION_VIEWS_SQL,
  },
  {
    version: 4,
    name: "durability: awakeable resolutions that arrive before their entry",
    sql: `
-- A resolution acknowledged (202) for an entry index the attempt has not journaled
-- yet; applied when it does, dropped when the invocation completes. First wins.
CREATE TABLE early_completions (
  invocation_id TEXT NOT NULL,
  idx           INTEGER NOT NULL,
  result_kind   TEXT NOT NULL,
  result        BLOB,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (invocation_id, idx)
) WITHOUT ROWID;
`,
  },
  {
    version: 5,
    name: "deployments per build, flow control (scope, limit key, concurrency rules), the tables the restate CLI reads",
    sql: MIGRATION_5_SQL,
  },
  {
    version: 6,
    name: "scale: newest-first listing and journal expiry are index lookups",
    sql: `
-- GET /invocations (the CLI, the inspector, the dashboard) lists newest first.
CREATE INDEX invocations_created ON invocations(created_at);
-- Retention finds expired journals without scanning every invocation.
CREATE INDEX invocations_journal_expiry ON invocations(journal_expires_at) WHERE journal_expires_at IS NOT NULL;
`,
  },
  {
    version: 7,
    name: "hot reload pinning: the deployment each invocation runs on, the bundle each deployment keeps",
    sql: MIGRATION_7_SQL,
  },
];
