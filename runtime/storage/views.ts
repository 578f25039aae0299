/**
 * SQL views named and shaped like Restate 1.7's introspection tables, over
 * restate-dev's own tables. Migration 3 creates them, so `POST /query` on the
 * admin API and a plain `sqlite3 .restate-dev/runtime.db` both see them (all but
 * `state` and `sys_service`, which only the admin API's query connection has).
 *
 * Conventions (as Restate's JSON query output shows them):
 * - timestamps are ISO-8601 strings in UTC with milliseconds: `2026-01-02T03:04:05.678Z`
 *   (they sort and compare as text);
 * - booleans are 0/1 (`WHERE completed = true` works; the admin API prints true/false);
 * - blobs are the stored bytes (the admin API prints them as hex, like Restate).
 *
 * Applied migrations never change: to change a view, append a migration that
 * drops and recreates it (this module may then export the new text too).
 */
import { JOURNAL_MISMATCH_CODE, PROTOCOL_VIOLATION_CODE } from "../../sdk/errors.js";

/** ms since epoch → ISO-8601 text; exact to the millisecond (no floating point). */
export function ts(x: string): string {
  return `(CASE WHEN ${x} IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%S', (${x}) / 1000, 'unixepoch') || printf('.%03dZ', (${x}) % 1000) END)`;
}

/** A payload blob as JSON inside json_object(): the JSON value if it is JSON text, else the text. */
function payload(x: string): string {
  return `(CASE WHEN ${x} IS NULL THEN NULL WHEN json_valid(CAST(${x} AS TEXT)) THEN json(CAST(${x} AS TEXT)) ELSE CAST(${x} AS TEXT) END)`;
}

/** A stored completion (result_kind, result) in Restate's entry_json style. */
function result(kind: string, bytes: string): string {
  return `(CASE ${kind}
    WHEN 'value' THEN CASE WHEN length(${bytes}) = 0 THEN 'Void' ELSE json_object('Success', ${payload(bytes)}) END
    WHEN 'empty' THEN 'Void'
    WHEN 'failure' THEN json_object('Failure', json(CAST(${bytes} AS TEXT)))
  END)`;
}

/** `[code] message` from a failure stored as JSON text. */
function failure(jsonText: string): string {
  return `('[' || json_extract(${jsonText}, '$.code') || '] ' || json_extract(${jsonText}, '$.message'))`;
}

/** Restate's documentation error code for a failed attempt's code. */
function restateErrorCode(code: string): string {
  return `(CASE ${code} WHEN ${JOURNAL_MISMATCH_CODE} THEN 'RT0016' WHEN ${PROTOCOL_VIOLATION_CODE} THEN 'RT0012' ELSE 'RT0007' END)`;
}

function target(alias: string): string {
  return `(${alias}.service || '/' || COALESCE(${alias}.key || '/', '') || ${alias}.handler)`;
}

const P = (path: string) => `json_extract(j.params, '${path}')`;
const CALL_TARGET = `(${P("$.target.service")} || '/' || COALESCE(${P("$.target.key")} || '/', '') || ${P("$.target.handler")})`;
const KEYED_BY_NAME = `('GetState', 'SetState', 'ClearState', 'GetPromise', 'PeekPromise', 'CompletePromise')`;
const PROMISES = `('GetPromise', 'PeekPromise', 'CompletePromise')`;

/** entry_json of one journal row: `{"Command": {"<Type>": {...}}}` with payloads decoded. */
const ENTRY_JSON = `json_object('Command', json_object(j.type, CASE j.type
    WHEN 'GetState' THEN json_object('key', j.name, 'result', ${result("j.result_kind", "j.result")})
    WHEN 'GetStateKeys' THEN json_object('keys', ${P("$.keys")})
    WHEN 'SetState' THEN json_object('key', j.name, 'value', ${payload("j.value")})
    WHEN 'ClearState' THEN json_object('key', j.name)
    WHEN 'ClearAllState' THEN json_object()
    WHEN 'Run' THEN json_object('name', j.name, 'result', ${result("j.result_kind", "j.result")})
    WHEN 'Call' THEN json_object('name', j.name, 'invocation_id', ${P("$.target.invocationId")}, 'invocation_target', ${CALL_TARGET},
      'idempotency_key', ${P("$.target.idempotencyKey")}, 'parameter', ${payload("j.value")}, 'result', ${result("j.result_kind", "j.result")})
    WHEN 'OneWayCall' THEN json_object('name', j.name, 'invocation_id', ${P("$.target.invocationId")}, 'invocation_target', ${CALL_TARGET},
      'idempotency_key', ${P("$.target.idempotencyKey")}, 'parameter', ${payload("j.value")}, 'invoke_time', ${P("$.target.invokeAt")})
    WHEN 'Sleep' THEN json_object('name', j.name, 'wake_up_time', ${P("$.wakeUpAt")}, 'result', ${result("j.result_kind", "j.result")})
    WHEN 'Awakeable' THEN json_object('awakeable_id', ${P("$.targetId")}, 'result', ${result("j.result_kind", "j.result")})
    WHEN 'CompleteAwakeable' THEN json_object('awakeable_id', ${P("$.targetId")}, 'completion', ${P("$.completion")})
    WHEN 'GetPromise' THEN json_object('key', j.name, 'result', ${result("j.result_kind", "j.result")})
    WHEN 'PeekPromise' THEN json_object('key', j.name, 'result', ${result("j.result_kind", "j.result")})
    WHEN 'CompletePromise' THEN json_object('key', j.name, 'completion', ${P("$.completion")}, 'result', ${result("j.result_kind", "j.result")})
    WHEN 'AttachInvocation' THEN json_object('invocation_id', ${P("$.targetId")}, 'result', ${result("j.result_kind", "j.result")})
    WHEN 'GetInvocationOutput' THEN json_object('invocation_id', ${P("$.targetId")}, 'result', ${result("j.result_kind", "j.result")})
    WHEN 'CancelInvocation' THEN json_object('invocation_id', ${P("$.targetId")})
    ELSE json_object('name', j.name, 'value', ${payload("j.value")}, 'params', json(j.params), 'result', ${result("j.result_kind", "j.result")})
  END))`;

const INPUT_JSON = `json_object('Command', json_object('Input', json_object(
    'headers', (SELECT json_group_array(json_object('name', json_extract(h.value, '$[0]'), 'value', json_extract(h.value, '$[1]'))) FROM json_each(i.headers) h),
    'payload', ${payload("i.input")})))`;

const LAST_FAILURE = `CASE WHEN i.status <> 'completed' THEN i.last_failure END`;

export const SYS_INVOCATION_COLUMNS = `
  i.id AS id,
  ${target("i")} AS target,
  i.service AS target_service_name,
  i.key AS target_service_key,
  i.handler AS target_handler_name,
  i.service_type AS target_service_ty,
  i.idempotency_key AS idempotency_key,
  CASE WHEN i.invoked_by_id IS NULL THEN 'ingress' ELSE 'service' END AS invoked_by,
  p.service AS invoked_by_service_name,
  i.invoked_by_id AS invoked_by_id,
  CASE WHEN p.id IS NOT NULL THEN ${target("p")} END AS invoked_by_target,
  i.restarted_from AS restarted_from,
  i.status AS status,
  CASE WHEN i.status = 'completed' THEN CASE i.result_kind WHEN 'failure' THEN 'failure' WHEN 'value' THEN 'success' WHEN 'empty' THEN 'success' END END
    AS completion_result,
  CASE WHEN i.status = 'completed' AND i.result_kind = 'failure' THEN ${failure("CAST(i.result AS TEXT)")} END AS completion_failure,
  CASE
    WHEN i.status IN ('running', 'suspended') THEN i.retry_count + 1
    WHEN i.status IN ('backing-off', 'paused', 'ready') AND i.retry_count > 0 THEN i.retry_count
  END AS retry_count,
  CASE WHEN i.status <> 'completed' THEN ${ts("i.next_retry_at")} END AS next_retry_at,
  CASE WHEN (${LAST_FAILURE}) IS NOT NULL THEN ${failure("i.last_failure")} || COALESCE(char(10) ||
    (SELECT f.stack FROM attempt_failures f WHERE f.invocation_id = i.id AND f.attempt = i.retry_count), '') END AS last_failure,
  CASE WHEN (${LAST_FAILURE}) IS NOT NULL THEN ${restateErrorCode("json_extract(i.last_failure, '$.code')")} END AS last_failure_error_code,
  json_extract(${LAST_FAILURE}, '$.relatedIndex') AS last_failure_related_command_index,
  json_extract(${LAST_FAILURE}, '$.relatedName') AS last_failure_related_command_name,
  json_extract(${LAST_FAILURE}, '$.relatedType') AS last_failure_related_command_type,
  json_extract(${LAST_FAILURE}, '$.relatedIndex') AS last_failure_related_entry_index,
  json_extract(${LAST_FAILURE}, '$.relatedName') AS last_failure_related_entry_name,
  json_extract(${LAST_FAILURE}, '$.relatedType') AS last_failure_related_entry_type,
  CASE WHEN i.status = 'suspended' THEN i.suspended_waiting END AS suspended_waiting_for_completions,
  CASE WHEN i.status NOT IN ('pending', 'scheduled') THEN 1 + (SELECT count(*) FROM journal j WHERE j.invocation_id = i.id) END AS journal_size,
  CASE WHEN i.status NOT IN ('pending', 'scheduled') THEN 1 + (SELECT count(*) FROM journal j WHERE j.invocation_id = i.id) END AS journal_commands_size,
  ${ts("i.created_at")} AS created_at,
  ${ts("i.modified_at")} AS modified_at,
  CASE WHEN i.status = 'pending' THEN ${ts("COALESCE(i.scheduled_at, i.created_at)")} END AS inboxed_at,
  CASE WHEN i.scheduled_at IS NOT NULL THEN ${ts("i.created_at")} END AS scheduled_at,
  ${ts("i.scheduled_at")} AS scheduled_start_at,
  ${ts("i.running_at")} AS running_at,
  ${ts("i.running_at")} AS last_start_at,
  ${ts("i.completed_at")} AS completed_at,
  ${ts("i.completion_expires_at")} AS completion_expires_at,
  ${ts("i.journal_expires_at")} AS journal_expires_at`;

export const SYS_JOURNAL_VIEW = `CREATE VIEW sys_journal AS
SELECT
  i.id AS id,
  0 AS "index",
  'Command: Input' AS entry_type,
  '' AS name,
  1 AS completed,
  ${INPUT_JSON} AS entry_json,
  NULL AS invoked_id,
  NULL AS invoked_target,
  NULL AS sleep_wakeup_at,
  NULL AS promise_name,
  ${ts("i.created_at")} AS appended_at,
  ${ts("i.created_at")} AS completed_at
FROM invocations i
UNION ALL
SELECT
  j.invocation_id,
  j.idx,
  'Command: ' || j.type,
  CASE WHEN j.type IN ${KEYED_BY_NAME} THEN '' ELSE COALESCE(j.name, '') END,
  j.completed_at IS NOT NULL,
  ${ENTRY_JSON},
  CASE WHEN j.type IN ('Call', 'OneWayCall') THEN ${P("$.target.invocationId")}
       WHEN j.type IN ('AttachInvocation', 'GetInvocationOutput', 'CancelInvocation') THEN ${P("$.targetId")} END,
  CASE WHEN j.type IN ('Call', 'OneWayCall') THEN ${CALL_TARGET} END,
  CASE WHEN j.type = 'Sleep' THEN ${ts(P("$.wakeUpAt"))} END,
  CASE WHEN j.type IN ${PROMISES} THEN j.name END,
  ${ts("j.created_at")},
  ${ts("j.completed_at")}
FROM journal j;
`;

export const INTROSPECTION_VIEWS_SQL = `
CREATE VIEW sys_invocation AS
SELECT
${SYS_INVOCATION_COLUMNS}
FROM invocations i LEFT JOIN invocations p ON p.id = i.invoked_by_id;

${SYS_JOURNAL_VIEW}
CREATE VIEW sys_journal_events AS
SELECT
  f.invocation_id AS id,
  COALESCE((SELECT max(j.idx) FROM journal j WHERE j.invocation_id = f.invocation_id AND j.created_at <= f.at), 0) AS after_journal_entry_index,
  ${ts("f.at")} AS appended_at,
  'TransientError' AS event_type,
  json_object('ty', 'TransientError', 'error_code', f.code, 'error_message', f.message, 'error_stacktrace', f.stack,
    'restate_doc_error_code', ${restateErrorCode("f.code")}, 'related_command_index', f.related_index,
    'related_command_name', f.related_name, 'related_command_type', f.related_type) AS event_json,
  f.attempt AS attempt
FROM attempt_failures f;

CREATE VIEW sys_inbox AS
SELECT
  i.service AS service_name,
  i.key AS service_key,
  i.id AS id,
  i.inbox_seq AS sequence_number,
  ${ts("i.created_at")} AS created_at
FROM invocations i
WHERE i.status = 'pending';

CREATE VIEW sys_keyed_service_status AS
SELECT
  i.service AS service_name,
  i.key AS service_key,
  i.id AS invocation_id
FROM invocations i
WHERE i.key IS NOT NULL
  AND i.handler_type IN ('exclusive', 'workflow')
  AND i.status IN ('ready', 'running', 'suspended', 'backing-off', 'paused');

CREATE VIEW sys_idempotency AS
SELECT
  d.service AS service_name,
  NULLIF(d.key, '') AS service_key,
  d.handler AS service_handler,
  d.idempotency_key AS idempotency_key,
  d.invocation_id AS invocation_id,
  ${ts("d.expires_at")} AS expires_at
FROM idempotency d;

CREATE VIEW sys_promise AS
SELECT
  pr.service AS service_name,
  pr.key AS service_key,
  pr.name AS key,
  1 AS completed,
  CASE WHEN pr.result_kind <> 'failure' THEN COALESCE(pr.result, x'') END AS completion_success_value,
  CASE WHEN pr.result_kind <> 'failure' THEN CAST(COALESCE(pr.result, x'') AS TEXT) END AS completion_success_value_utf8,
  CASE WHEN pr.result_kind = 'failure' THEN ${failure("CAST(pr.result AS TEXT)")} END AS completion_failure,
  ${ts("pr.completed_at")} AS completed_at
FROM promises pr;
`;

/** Scoped rows of main.state: their key is U+001F scope U+001F key (runtime/engine/flow_control.ts instanceKey). */
const SCOPED = (k: string) => `substr(${k}, 1, 1) = char(31)`;
const SCOPE_END = (k: string) => `instr(substr(${k}, 2), char(31))`;
const SCOPE_OF = (k: string) => `CASE WHEN ${SCOPED(k)} THEN substr(${k}, 2, ${SCOPE_END(k)} - 1) END`;
const KEY_OF = (k: string) => `CASE WHEN ${SCOPED(k)} THEN substr(${k}, ${SCOPE_END(k)} + 2) ELSE ${k} END`;

/**
 * Restate's `state` table has the name of restate-dev's own `state` table, so it
 * cannot be a view in the file: the admin API's query connection creates it as a
 * TEMP view, which SQLite resolves before main.state. (A plain sqlite3 shell sees
 * the engine's table: service, key, name, value.)
 * A scoped object's rows show as `scope` and `service_key`.
 */
export const STATE_TEMP_VIEW_SQL = `
CREATE TEMP VIEW state AS
SELECT
  ${SCOPE_OF("s.key")} AS scope,
  s.service AS service_name,
  ${KEY_OF("s.key")} AS service_key,
  s.name AS key,
  length(CAST(s.name AS BLOB)) AS key_length,
  CAST(s.value AS TEXT) AS value_utf8,
  s.value AS value,
  length(s.value) AS value_length
FROM main.state s;
`;

/** The views migration 3 creates. */
export const INTROSPECTION_VIEWS = [
  "sys_invocation",
  "sys_journal",
  "sys_journal_events",
  "sys_inbox",
  "sys_keyed_service_status",
  "sys_idempotency",
  "sys_promise",
] as const;
