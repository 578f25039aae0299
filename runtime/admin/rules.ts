/**
 * Restate 1.7's concurrency-limit rules on the admin API:
 * - `PUT /limits/rules` with `[{pattern, limits: {concurrency?}, description?, disabled?, precondition?}]`
 *   → 200 with the stored rules; a failed precondition → 409 and nothing changes;
 * - `POST /limits/rules/bulk-delete` with `[{pattern, expected_version?}]` → 200 with the patterns removed.
 * Both answer once the change is durable. Reading is SQL: `SELECT * FROM sys_rules`.
 */
import { json, type HttpRequest, type HttpResponse } from "../ingress/http.js";
import { patternError, RuleConflict, type LimitRule, type Precondition, type RuleBook, type RuleDelete, type RuleUpsert } from "../engine/rule_book.js";
import { adminError, bodyJson, errorResponse, isRecord } from "./shape.js";

export interface RulesDeps {
  rules: RuleBook;
  /** Settles once everything written so far is durable (engine.commit.durable). */
  durable: () => Promise<void>;
}

const UPSERT_USAGE = `the body must be a JSON array like [{"pattern": "tenant1", "limits": {"concurrency": 2}}] (optional per rule: "description", "disabled", "precondition": {"type": "none" | "does_not_exist" | "matches", "version": N})`;
const DELETE_USAGE = `the body must be a JSON array like [{"pattern": "tenant1", "expected_version": 3}] ("expected_version" is optional)`;

function deserializeError(path: string, what: string): HttpResponse {
  return { status: 422, headers: { "content-type": "text/plain; charset=utf-8" }, body: `Failed to deserialize the JSON body into the target type: ${path}: ${what}` };
}

export function ruleShape(r: LimitRule): Record<string, unknown> {
  return {
    pattern: r.pattern,
    limits: r.concurrency === undefined ? {} : { concurrency: r.concurrency },
    ...(r.description !== undefined ? { description: r.description } : {}),
    disabled: r.disabled,
    version: r.version,
    last_modified_millis_since_epoch: r.lastModified,
  };
}

function parseUpserts(body: unknown): RuleUpsert[] | HttpResponse {
  if (!Array.isArray(body)) return adminError(400, UPSERT_USAGE);
  const out: RuleUpsert[] = [];
  for (const [i, item] of body.entries()) {
    if (!isRecord(item) || typeof item.pattern !== "string") return deserializeError(`[${i}]`, `missing field \`pattern\` (${UPSERT_USAGE})`);
    const bad = patternError(item.pattern);
    if (bad) return adminError(400, bad);
    const limits = item.limits ?? {};
    if (!isRecord(limits)) return deserializeError(`[${i}].limits`, "expected a map like {\"concurrency\": 2}");
    const c = limits.concurrency;
    if (c !== undefined && c !== null && (typeof c !== "number" || !Number.isInteger(c) || c < 1 || c > 0xffffffff)) {
      return deserializeError(`[${i}].limits.concurrency`, `invalid value: ${JSON.stringify(c)}, expected a nonzero u32 (leave it out, or null, for unlimited)`);
    }
    if (item.description !== undefined && item.description !== null && typeof item.description !== "string") {
      return deserializeError(`[${i}].description`, "expected a string");
    }
    if (item.disabled !== undefined && typeof item.disabled !== "boolean") return deserializeError(`[${i}].disabled`, "expected a boolean");
    const precondition = parsePrecondition(item.precondition);
    if (typeof precondition === "string") return deserializeError(`[${i}].precondition`, precondition);
    out.push({
      pattern: item.pattern,
      concurrency: typeof c === "number" ? c : undefined,
      description: typeof item.description === "string" ? item.description : undefined,
      disabled: item.disabled === true,
      precondition,
    });
  }
  return out;
}

function parsePrecondition(p: unknown): Precondition | string {
  if (p === undefined || p === null) return { type: "none" };
  if (!isRecord(p)) return `expected {"type": "none" | "does_not_exist" | "matches", "version": N}`;
  if (p.type === "none" || p.type === "does_not_exist") return { type: p.type };
  if (p.type === "matches") {
    if (typeof p.version !== "number" || !Number.isInteger(p.version)) return `"matches" needs "version": N`;
    return { type: "matches", version: p.version };
  }
  return `unknown variant \`${String(p.type)}\`, expected one of \`none\`, \`does_not_exist\`, \`matches\``;
}

function parseDeletes(body: unknown): RuleDelete[] | HttpResponse {
  if (!Array.isArray(body)) return adminError(400, DELETE_USAGE);
  const out: RuleDelete[] = [];
  for (const [i, item] of body.entries()) {
    if (!isRecord(item) || typeof item.pattern !== "string") return deserializeError(`[${i}]`, `missing field \`pattern\` (${DELETE_USAGE})`);
    const v = item.expected_version;
    if (v !== undefined && v !== null && (typeof v !== "number" || !Number.isInteger(v))) return deserializeError(`[${i}].expected_version`, "expected an integer");
    out.push({ pattern: item.pattern, expectedVersion: typeof v === "number" ? v : undefined });
  }
  return out;
}

export async function putRules(deps: RulesDeps, req: HttpRequest): Promise<HttpResponse> {
  const parsed = bodyJson(req.body);
  if (!parsed.ok) return adminError(400, UPSERT_USAGE);
  const batch = parseUpserts(parsed.value);
  if (!Array.isArray(batch)) return batch;
  return apply(deps, () => deps.rules.upsert(batch).map(ruleShape));
}

export async function bulkDeleteRules(deps: RulesDeps, req: HttpRequest): Promise<HttpResponse> {
  const parsed = bodyJson(req.body);
  if (!parsed.ok) return adminError(400, DELETE_USAGE);
  const batch = parseDeletes(parsed.value);
  if (!Array.isArray(batch)) return batch;
  return apply(deps, () => deps.rules.delete(batch));
}

async function apply(deps: RulesDeps, change: () => unknown): Promise<HttpResponse> {
  let value: unknown;
  try {
    value = change();
  } catch (e) {
    if (e instanceof RuleConflict) return adminError(409, e.message);
    return errorResponse(e);
  }
  try {
    await deps.durable();
  } catch (e) {
    return errorResponse(e);
  }
  return json(200, value);
}
