/**
 * Migration 5's tables and views: deployments (one per build), the rule book of
 * concurrency limits, the scope and limit key of invocations, and the
 * introspection tables the `restate` CLI 1.7 reads (`sys_invocation` with its
 * later columns, `sys_invocation_status`, `sys_deployment`, `sys_rules`).
 * Conventions as in views.ts.
 */
import { SYS_INVOCATION_COLUMNS, SYS_JOURNAL_VIEW, ts } from "./views.js";

/** sys_journal with Restate's `version` column: 2, the journal of commands and notifications (the CLI reads entry_json then). */
function withVersion(view: string): string {
  const out = view.replace(/AS completed_at\nFROM invocations i\n/, "AS completed_at,\n  2 AS version\nFROM invocations i\n").replace(/\nFROM journal j;/, ",\n  2\nFROM journal j;");
  if (out.split("2 AS version").length !== 2 || !out.includes(",\n  2\nFROM journal j;")) throw new Error("views_v5: sys_journal's text changed; update withVersion()");
  return out;
}

/** Restate's raw invocation status (`sys_invocation_status.status`) for restate-dev's. */
const RAW_STATUS = `(CASE i.status
    WHEN 'pending' THEN CASE WHEN i.key IS NOT NULL AND i.handler_type IN ('exclusive', 'workflow') THEN 'inboxed' ELSE 'ready' END
    WHEN 'ready' THEN 'invoked' WHEN 'running' THEN 'invoked' WHEN 'backing-off' THEN 'invoked'
    ELSE i.status END)`;

/** A 23-character vqueue id per (scope, target service, key): opaque, like Restate's `vq_…`. */
const VQUEUE_ID = `('vq_1' || substr(hex(COALESCE(i.scope, '') || '/' || i.service || '/' || COALESCE(i.key, '')), 1, 30))`;

const EXTRA_COLUMNS = `,
  i.scope AS scope,
  i.limit_key AS limit_key,
  ${VQUEUE_ID} AS vqueue_id,
  NULL AS pinned_deployment_id,
  NULL AS pinned_service_protocol_version,
  NULL AS last_attempt_deployment_id,
  NULL AS last_attempt_server,
  NULL AS trace_id,
  NULL AS invoked_by_subscription_id,
  CASE WHEN i.status = 'suspended' THEN '[]' END AS suspended_waiting_for_signals`;

export const MIGRATION_5_SQL = `
-- One row per build of the project that a worker loaded: Restate's deployments.
CREATE TABLE deployments (
  id         TEXT PRIMARY KEY,
  seq        INTEGER NOT NULL UNIQUE,     -- build order
  created_at INTEGER NOT NULL,
  services   TEXT NOT NULL,               -- JSON: the services' manifests as the worker reported them
  revisions  TEXT NOT NULL                -- JSON: {service: revision}
);

-- The rule book of concurrency limits (PUT /limits/rules).
CREATE TABLE limit_rules (
  pattern       TEXT PRIMARY KEY,
  concurrency   INTEGER,                  -- NULL: unlimited
  description   TEXT,
  disabled      INTEGER NOT NULL,
  version       INTEGER NOT NULL,
  last_modified INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE rule_book (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL                -- bumped by every change; a new rule starts at it
);
INSERT INTO rule_book (id, version) VALUES (1, 0);

-- Flow control: the scope (namespace) and limit key an invocation was made with.
ALTER TABLE invocations ADD COLUMN scope TEXT;
ALTER TABLE invocations ADD COLUMN limit_key TEXT;

DROP VIEW sys_invocation;
CREATE VIEW sys_invocation AS
SELECT
${SYS_INVOCATION_COLUMNS}${EXTRA_COLUMNS}
FROM invocations i LEFT JOIN invocations p ON p.id = i.invoked_by_id;

DROP VIEW sys_journal;
${withVersion(SYS_JOURNAL_VIEW)}

CREATE VIEW sys_invocation_status AS
SELECT
  i.id AS id,
  ${VQUEUE_ID} AS vqueue_id,
  ${RAW_STATUS} AS status,
  CASE WHEN i.status = 'completed' THEN CASE i.result_kind WHEN 'failure' THEN 'failure' ELSE 'success' END END AS completion_result,
  i.service || '/' || COALESCE(i.key || '/', '') || i.handler AS target,
  i.service AS target_service_name,
  i.key AS target_service_key,
  i.handler AS target_handler_name,
  i.service_type AS target_service_ty,
  i.scope AS scope,
  i.limit_key AS limit_key,
  i.idempotency_key AS idempotency_key,
  CASE WHEN i.invoked_by_id IS NULL THEN 'ingress' ELSE 'service' END AS invoked_by,
  i.invoked_by_id AS invoked_by_id,
  i.restarted_from AS restarted_from,
  NULL AS pinned_deployment_id,
  ${ts("i.created_at")} AS created_at,
  ${ts("i.modified_at")} AS modified_at,
  ${ts("i.running_at")} AS running_at,
  ${ts("i.completed_at")} AS completed_at
FROM invocations i;

CREATE VIEW sys_deployment AS
SELECT
  d.id AS id,
  'http' AS ty,
  'restate-dev://build/' || d.seq AS endpoint,
  ${ts("d.created_at")} AS created_at,
  5 AS min_service_protocol_version,
  7 AS max_service_protocol_version,
  (SELECT json_group_array(json_extract(s.value, '$.name')) FROM json_each(d.services) s) AS services
FROM deployments d;

CREATE VIEW sys_rules AS
SELECT
  r.pattern AS pattern,
  r.concurrency AS concurrency,
  r.description AS description,
  r.disabled AS disabled,
  r.version AS version,
  ${ts("r.last_modified")} AS last_modified
FROM limit_rules r;
`;

/** The views migration 5 adds. */
export const FLOW_CONTROL_VIEWS = ["sys_invocation_status", "sys_deployment", "sys_rules"] as const;
