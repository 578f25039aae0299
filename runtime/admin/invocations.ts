/**
 * Invocations on the admin API:
 * - `GET /invocations?service=&handler=&key=&scope=&status=a,b&limit=` (restate-dev's own; newest first)
 * - `GET /invocations/{id}`: metadata, input, result, journal and failed attempts
 * - Restate's actions: `PATCH /invocations/{id}/cancel|kill|pause|resume|purge|restart-as-new`
 *   (`resume?deployment=latest|keep|dp_…` moves it to another build, as Restate's)
 *   and the deprecated `DELETE /invocations/{id}?mode=Cancel|Kill|Purge`.
 */
import { json, type HttpRequest, type HttpResponse } from "../ingress/http.js";
import type { Engine } from "../engine/engine.js";
import * as operations from "../engine/operations.js";
import { isInvocationId } from "../engine/ids.js";
import { entryFromRow, isCompleted, resultFromColumns, toBytes } from "../storage/codec.js";
import type { Result } from "../../sdk/worker/protocol.js";
import type { AdminReads, ListedInvocation } from "./reads.js";
import type { Deployments } from "../deployments.js";
import { adminError, badInvocationId, bodyJson, empty, errorResponse, invocationNotFound, isRecord, iso, showPayload } from "./shape.js";

const STATUSES = ["pending", "scheduled", "ready", "running", "suspended", "backing-off", "paused", "completed"];
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

export function listInvocations(reads: AdminReads, req: HttpRequest): HttpResponse {
  const q = req.query;
  const statuses = q.getAll("status").flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  const unknown = statuses.filter((s) => !STATUSES.includes(s));
  if (unknown.length) return adminError(400, `unknown status '${unknown[0]}'; the statuses are ${STATUSES.join(", ")}`);
  const limitText = q.get("limit");
  const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return adminError(400, `bad limit '${limitText}': pass a whole number from 1 to ${MAX_LIMIT}`);
  }
  const rows = reads.list({
    ...(q.get("service") ? { service: q.get("service")! } : {}),
    ...(q.get("handler") ? { handler: q.get("handler")! } : {}),
    ...(q.get("key") !== null ? { key: q.get("key")! } : {}),
    ...(statuses.length ? { statuses } : {}),
    ...(q.get("scope") ? { scope: q.get("scope")! } : {}),
    limit,
  });
  return json(200, { invocations: rows.map(summary) });
}

export function describeInvocation(reads: AdminReads, id: string): HttpResponse {
  if (!isInvocationId(id)) return badInvocationId(id);
  const row = reads.invocation(id);
  if (!row) return invocationNotFound(id);
  const parent = row.invoked_by_id ? reads.target(row.invoked_by_id) : undefined;
  const input = showPayload(toBytes(row.input));
  const result = resultFromColumns(row.result_kind, row.result);
  const journal = reads.journal(id).map((r) => {
    const e = entryFromRow(r);
    return {
      index: e.index,
      type: e.type,
      name: e.name ?? null,
      completed: isCompleted(e),
      ...showPayload(e.value),
      ...(e.result ? { result: showResult(e.result) } : {}),
      ...(e.target ? { target: e.target } : {}),
      ...(e.keys ? { keys: e.keys } : {}),
      ...(e.wakeUpAt !== undefined ? { wake_up_at: iso(e.wakeUpAt) } : {}),
      ...(e.targetId !== undefined ? { target_id: e.targetId } : {}),
      ...(e.completion ? { completion: showResult(e.completion) } : {}),
      created_at: iso(r.created_at) ?? null,
      completed_at: iso(r.completed_at) ?? null,
    };
  });
  const attempts = reads.failures(id).map((f) => ({
    attempt: f.attempt,
    at: iso(f.at),
    code: f.code,
    message: f.message,
    stack: f.stack,
    related_entry_index: f.related_index,
    related_entry_type: f.related_type,
    related_entry_name: f.related_name,
  }));
  return json(200, {
    ...summary(row),
    invoked_by_target: parent ? target(parent) : null,
    suspended_waiting_for: row.status === "suspended" && row.suspended_waiting ? (JSON.parse(row.suspended_waiting) as number[]) : null,
    headers: (JSON.parse(row.headers) as Array<[string, string]>).map(([name, value]) => ({ name, value })),
    input: input.value ?? null,
    ...(input.value_encoding ? { input_encoding: input.value_encoding } : {}),
    ...(result ? { result: showResult(result) } : {}),
    journal,
    attempts,
  });
}

type Action = "cancel" | "kill" | "pause" | "resume" | "purge" | "restart-as-new";
const ACTIONS: Action[] = ["cancel", "kill", "pause", "resume", "purge", "restart-as-new"];

/** `PATCH /invocations/{id}/{action}`. */
export async function invocationAction(engine: Engine, reads: AdminReads, id: string, action: string, req: HttpRequest, deployments?: Deployments): Promise<HttpResponse> {
  if (!isInvocationId(id)) return badInvocationId(id);
  if (action === "purge-journal") {
    return adminError(501, "restate-dev does not implement purge-journal; PATCH /invocations/{id}/purge removes the whole completed invocation");
  }
  if (!ACTIONS.includes(action as Action)) {
    return adminError(404, `no invocation action '${action}'; the actions are ${ACTIONS.join(", ")} (PATCH /invocations/{id}/<action>)`);
  }
  try {
    switch (action as Action) {
      case "cancel":
        await operations.cancel(engine, id);
        return empty(202);
      case "kill":
        await operations.kill(engine, id);
        return empty(200);
      case "pause": {
        // Restate answers 202 when a running attempt has to be stopped first, 200 when the pause is immediate.
        const before = reads.invocation(id)?.status;
        await operations.pause(engine, id);
        return empty(before === "running" ? 202 : 200);
      }
      case "resume": {
        const deployment = req.query.get("deployment");
        if (deployment === null) await operations.resume(engine, id);
        else {
          const bad = checkDeployment(deployment, deployments);
          if (bad) return bad;
          await operations.resume(engine, id, deployment);
        }
        return empty(200);
      }
      case "purge":
        await operations.purge(engine, id);
        return empty(200);
      case "restart-as-new":
        return await restartAsNew(engine, id, req);
    }
  } catch (e) {
    return errorResponse(e);
  }
}

/** `?deployment=` of resume: `latest`, `keep`, or the id of a deployment whose build is still kept. */
function checkDeployment(deployment: string, deployments: Deployments | undefined): HttpResponse | undefined {
  if (deployment === "latest" || deployment === "keep") return undefined;
  if (!deployment.startsWith("dp_")) return adminError(400, `bad deployment '${deployment}': pass latest, keep or a deployment id (dp_…; GET /deployments lists them)`);
  if (deployments && !deployments.get(deployment)) return adminError(404, `The requested deployment '${deployment}' does not exist (GET /deployments lists them; latest names the newest)`);
  return undefined;
}

/** The deprecated `DELETE /invocations/{id}?mode=Cancel|Kill|Purge` (default Cancel): 202 for all. */
export async function deleteInvocation(engine: Engine, id: string, req: HttpRequest): Promise<HttpResponse> {
  if (!isInvocationId(id)) return badInvocationId(id);
  const mode = req.query.get("mode") ?? "Cancel";
  const run = { Cancel: operations.cancel, cancel: operations.cancel, Kill: operations.kill, kill: operations.kill, Purge: operations.purge, purge: operations.purge }[mode];
  if (!run) return adminError(400, `unknown mode '${mode}'; pass ?mode=Cancel, ?mode=Kill or ?mode=Purge (or use PATCH /invocations/{id}/cancel|kill|purge)`);
  try {
    await run(engine, id);
    return empty(202);
  } catch (e) {
    return errorResponse(e);
  }
}

async function restartAsNew(engine: Engine, id: string, req: HttpRequest): Promise<HttpResponse> {
  const fromText = req.query.get("from");
  if (fromText !== null && !/^\d+$/.test(fromText)) {
    return adminError(400, `bad query parameter from='${fromText}': pass the index of a journal entry (0, 1, 2, …; GET /invocations/${id} lists them)`);
  }
  const from = fromText === null ? undefined : Number(fromText);
  // restate-dev's own extension: {"overrides": {"<entry index>": <JSON value>}} replaces recorded results in the copy.
  let overrides: Map<number, Uint8Array> | undefined;
  if (req.body.byteLength > 0) {
    const parsed = bodyJson(req.body);
    const o = parsed.ok && isRecord(parsed.value) ? parsed.value.overrides : undefined;
    if (!parsed.ok || !isRecord(parsed.value) || (o !== undefined && !isRecord(o))) {
      return adminError(400, `the body must be empty or JSON like {"overrides": {"2": {"paid": true}}} (entry index → the JSON result to use instead)`);
    }
    if (o) {
      overrides = new Map();
      for (const [k, v] of Object.entries(o)) {
        if (!/^\d+$/.test(k)) return adminError(400, `bad override key '${k}': use journal entry indexes ("1", "2", …) as keys`);
        overrides.set(Number(k), new TextEncoder().encode(JSON.stringify(v)));
      }
    }
  }
  const newId = await operations.restartAsNew(engine, id, from, overrides);
  return json(200, { new_invocation_id: newId });
}

function summary(row: ListedInvocation): Record<string, unknown> {
  const result = row.status === "completed" ? resultFromColumns(row.result_kind, row.result) : undefined;
  return {
    id: row.id,
    target: target(row),
    service: row.service,
    handler: row.handler,
    key: row.key,
    service_type: row.service_type,
    handler_type: row.handler_type,
    status: row.status,
    completion_result: result ? (result.kind === "failure" ? "failure" : "success") : null,
    completion_failure: result?.kind === "failure" ? { code: result.code, message: result.message } : null,
    idempotency_key: row.idempotency_key,
    scope: row.scope ?? null,
    limit_key: row.limit_key ?? null,
    invoked_by: row.invoked_by_id ? "service" : "ingress",
    invoked_by_id: row.invoked_by_id,
    restarted_from: row.restarted_from ?? null,
    // The build its attempts run on (a reload keeps an invocation whose journal the new code does not follow on its own).
    pinned_deployment_id: row.deployment_id ?? null,
    retry_count: row.retry_count,
    next_retry_at: iso(row.next_retry_at) ?? null,
    // A handler awaiting ctx.sleep shows as running until it suspends: say what it waits for.
    sleeping_until: row.status === "running" || row.status === "suspended" ? (iso(row.sleeping_until) ?? null) : null,
    last_failure: row.last_failure ? JSON.parse(row.last_failure) : null,
    created_at: iso(row.created_at),
    modified_at: iso(row.modified_at),
    scheduled_start_at: iso(row.scheduled_at) ?? null,
    running_at: iso(row.running_at) ?? null,
    completed_at: iso(row.completed_at) ?? null,
  };
}

function target(t: { service: string; handler: string; key: string | null }): string {
  return t.key !== null ? `${t.service}/${t.key}/${t.handler}` : `${t.service}/${t.handler}`;
}

function showResult(r: Result): Record<string, unknown> {
  if (r.kind === "value") return showPayload(r.value) as Record<string, unknown>;
  if (r.kind === "failure") return { failure: { code: r.code, message: r.message, ...(r.metadata ? { metadata: r.metadata } : {}) } };
  return { empty: true };
}
