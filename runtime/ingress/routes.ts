/**
 * Restate 1.7's HTTP ingress: URL shapes, statuses, headers and error bodies as
 * measured on a real server (see shared/reference/restate-behaviour.md).
 */
import type { Engine, Completion } from "../engine/engine.js";
import { UserError } from "../errors.js";
import { isInvocationId } from "../engine/ids.js";
import type { HandlerManifest, Result, ServiceManifest } from "../../sdk/worker/protocol.js";
import { header, json, type Handler, type HttpRequest, type HttpResponse } from "./http.js";
import { parseDelay } from "./duration.js";
import { limitKeyError, scopeError } from "../engine/scopes.js";

type Source = "ingress" | "invocation";

export function ingressError(status: number, message: string, source: Source, extra: Record<string, string> = {}): HttpResponse {
  return json(status, { code: status, message, source }, { "x-restate-error-source": source, ...extra });
}

const BAD_PATH = "bad path, expected either /:service-name/:handler or /:object-name/:object-key/:handler";
const BAD_RESTATE_PATH =
  "bad path, expected /restate/call/:service/:handler, /restate/send/:service/:handler, /restate/scope/:scope/call/:service/:handler, " +
  "/restate/attach/:invocation_id, /restate/output/:invocation_id, or /restate/lookup";

/** Headers that describe the transport, not the request: not handed to handlers. */
const HOP_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "idempotency-key"]);

interface Target {
  service: ServiceManifest;
  handler: HandlerManifest;
  key?: string;
  send: boolean;
}

export function ingressRoutes(engine: Engine): Handler {
  return async (req) => {
    const segments = req.path.split("/").filter((s) => s.length > 0);
    if (segments[0] === "restate") return restateRoutes(engine, req, segments.slice(1));
    if (req.method !== "POST" && req.method !== "GET") return ingressError(405, "method not allowed", "ingress");
    return invokeRoute(engine, req, segments, undefined, undefined);
  };
}

async function restateRoutes(engine: Engine, req: HttpRequest, s: string[]): Promise<HttpResponse> {
  const [first, ...rest] = s;
  if (first === "health" && rest.length === 0) {
    return json(200, { services: engine.listServices().map((x) => x.name) });
  }
  if (first === "call" || first === "send") {
    if (req.method !== "POST" && req.method !== "GET") return ingressError(405, "method not allowed", "ingress");
    return invokeRoute(engine, req, rest, first === "send", undefined);
  }
  // Flow control: /restate/scope/{scope}/call|send/{service}[/{key}]/{handler}
  if (first === "scope") {
    const [rawScope, kind, ...target] = rest;
    if (rawScope === undefined || (kind !== "call" && kind !== "send")) return ingressError(400, BAD_RESTATE_PATH, "ingress");
    if (req.method !== "POST" && req.method !== "GET") return ingressError(405, "method not allowed", "ingress");
    let scope: string;
    try {
      scope = decodeURIComponent(rawScope);
    } catch {
      scope = rawScope;
    }
    const bad = scopeError(scope);
    if (bad) return ingressError(400, bad, "ingress");
    return invokeRoute(engine, req, target, kind === "send", scope);
  }
  if ((first === "awakeables" || first === "a") && rest.length === 2 && (rest[1] === "resolve" || rest[1] === "reject")) {
    if (req.method !== "POST") return ingressError(405, "method not allowed", "ingress");
    return awakeableRoute(engine, req, decodeURIComponent(rest[0]!), rest[1]);
  }
  // /restate/invocation/{id}/attach|output, /restate/attach|output/{id},
  // /restate/invocation/{svc}[/{key}]/{handler}/{idempotencyKey}/attach|output,
  // /restate/workflow/{wf}/{key}/attach|output
  const op = first === "attach" || first === "output" ? first : rest[rest.length - 1];
  if (op !== "attach" && op !== "output") return ingressError(404, "not found", "ingress");
  let id: string | undefined;
  if (first === "attach" || first === "output") id = rest.length === 1 ? decodeURIComponent(rest[0]!) : undefined;
  else if (first === "invocation" && rest.length === 2) id = decodeURIComponent(rest[0]!);
  else if (first === "invocation" && (rest.length === 4 || rest.length === 5)) {
    const [service, ...more] = rest.slice(0, -1).map(decodeURIComponent);
    const [key, handler, idempotencyKey] = more.length === 3 ? more : [undefined, ...more];
    id = engine.idempotentInvocation({ service: service!, handler: handler!, idempotencyKey: idempotencyKey!, ...(key !== undefined ? { key } : {}) });
    if (id === undefined) return ingressError(404, "invocation not found", "ingress");
  } else if (first === "workflow" && rest.length === 3) {
    id = engine.workflowRun(decodeURIComponent(rest[0]!), decodeURIComponent(rest[1]!)).id;
  }
  if (id === undefined) return ingressError(404, "not found", "ingress");
  if (req.method !== "GET") return ingressError(405, "method not allowed", "ingress");
  return attachRoute(engine, id, op, req.signal);
}

function resolveTarget(engine: Engine, segments: string[], sendHint: boolean | undefined): Target | HttpResponse {
  const [svcName] = segments;
  if (svcName === undefined || segments.length < 2) return ingressError(400, BAD_PATH, "ingress");
  const service = engine.service(svcName);
  if (!service) {
    return ingressError(404, `service '${svcName}' not found, make sure to register the service before calling it.`, "ingress");
  }
  const keyed = service.ty !== "SERVICE";
  let rest = segments.slice(1);
  let send = sendHint ?? false;
  // Legacy shapes put /send at the end: /svc/handler/send, /obj/key/handler/send.
  if (sendHint === undefined && rest.length === (keyed ? 3 : 2) && rest[rest.length - 1] === "send") {
    send = true;
    rest = rest.slice(0, -1);
  }
  if (rest.length !== (keyed ? 2 : 1)) return ingressError(400, BAD_PATH, "ingress");
  const handlerName = rest[rest.length - 1]!;
  const handler = service.handlers.find((h) => h.name === handlerName);
  if (!handler) {
    return ingressError(
      404,
      `the service '${svcName}' exists, but the handler '${handlerName}' was not found, check that the handler exists in the latest registered service version.`,
      "ingress",
    );
  }
  return { service, handler, send, ...(keyed ? { key: decodeURIComponent(rest[0]!) } : {}) };
}

async function invokeRoute(engine: Engine, req: HttpRequest, segments: string[], sendHint: boolean | undefined, scope: string | undefined): Promise<HttpResponse> {
  // The limit key: the x-restate-limit-key header (what sdk-clients sends), or the limit-key query parameter.
  const limitKey = header(req, "x-restate-limit-key") ?? req.query.get("limit-key") ?? undefined;
  if (limitKey !== undefined) {
    if (scope === undefined) return ingressError(400, "limit-key requires a scope to be set", "ingress");
    const bad = limitKeyError(limitKey);
    if (bad) return ingressError(400, bad, "ingress");
  }
  const t = resolveTarget(engine, segments, sendHint);
  if ("status" in t) return t;
  if (t.handler.options.ingressPrivate ?? t.service.options.ingressPrivate) {
    return ingressError(400, "the invoked service is not public", "ingress");
  }
  const contentError = checkContentType(req, t.handler);
  if (contentError) return ingressError(400, contentError, "ingress");
  const delayParam = req.query.get("delay");
  let delayMs: number | undefined;
  if (delayParam !== null) {
    if (!t.send) {
      return ingressError(400, "cannot use the delay query parameter with calls. The delay is supported only with sends", "ingress");
    }
    delayMs = parseDelay(delayParam);
    if (delayMs === undefined) {
      return ingressError(400, `bad delay query parameter '${delayParam}': use a duration like 500ms, 10s, 1m30s or ISO-8601 PT1S`, "ingress");
    }
  }
  const idempotencyKey = header(req, "idempotency-key");
  const headers: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_HEADERS.has(k)) continue;
    headers.push([k, Array.isArray(v) ? v.join(", ") : v]);
  }
  let accepted;
  try {
    accepted = engine.invoke({
      service: t.service.name,
      handler: t.handler.name,
      ...(t.key !== undefined ? { key: t.key } : {}),
      input: req.body,
      headers,
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(delayMs !== undefined ? { delayMs } : {}),
      ...(scope !== undefined ? { scope } : {}),
      ...(limitKey !== undefined ? { limitKey } : {}),
    });
  } catch (e) {
    if (e instanceof UserError) return ingressError(e.status, e.message, "ingress");
    throw e;
  }
  const idHeader = { "x-restate-id": accepted.invocationId };
  if (accepted.workflowAlreadyInvoked && !t.send) {
    return json(
      409,
      { code: 409, message: "the workflow method was already invoked", source: "invocation" },
      { ...idHeader, "x-restate-error-source": "invocation" },
    );
  }
  if (t.send) {
    try {
      await accepted.durable();
    } catch (e) {
      if (e instanceof UserError) return ingressError(e.status, e.message, "ingress");
      throw e;
    }
    const body: Record<string, string> = {
      invocationId: accepted.invocationId,
      status: accepted.previouslyAccepted ? "PreviouslyAccepted" : "Accepted",
    };
    if (accepted.executionTime !== undefined) body.executionTime = isoNanos(accepted.executionTime);
    return json(202, body, idHeader);
  }
  // A duplicate of a finished invocation is served its stored result; one still running is answered live.
  const stored = accepted.previouslyAccepted && engine.lookup(accepted.invocationId).state === "completed";
  let completion: Completion;
  try {
    completion = await engine.awaitCompletion(accepted.invocationId, req.signal);
  } catch (e) {
    if (e instanceof UserError) return ingressError(e.status, e.message, "ingress");
    throw e;
  }
  return completionResponse(completion, t.handler, stored);
}

function completionResponse(c: Completion, handler: HandlerManifest | undefined, stored: boolean): HttpResponse {
  const headers: Record<string, string> = { "x-restate-id": c.id };
  if (stored && c.expiresAt !== undefined) headers["idempotency-expires"] = rfc3339(c.expiresAt);
  if (c.result.kind === "failure") {
    const status = c.result.code >= 400 && c.result.code <= 599 ? c.result.code : 500;
    const body: Record<string, unknown> = { code: c.result.code, message: c.result.message };
    if (c.result.metadata) body.metadata = c.result.metadata;
    body.source = "invocation";
    return json(status, body, { ...headers, "x-restate-error-source": "invocation" });
  }
  const value = c.result.kind === "value" ? c.result.value : new Uint8Array(0);
  const contentType = handler?.outputContentType ?? "application/json";
  if (value.byteLength > 0 && contentType) headers["content-type"] = contentType;
  return { status: 200, headers, body: value };
}

async function attachRoute(engine: Engine, id: string, op: "attach" | "output", signal: AbortSignal | undefined): Promise<HttpResponse> {
  if (!isInvocationId(id)) return ingressError(400, `bad invocation id '${id}': bad format`, "ingress");
  const found = engine.lookup(id);
  if (found.state === "unknown") {
    return op === "attach"
      ? ingressError(404, "not found", "invocation", { "x-restate-id": id })
      : ingressError(404, "invocation not found", "ingress");
  }
  if (found.state === "completed") return completionResponse(found.completion, undefined, true);
  if (op === "output") return ingressError(470, "the invocation exists but has not completed yet", "ingress");
  try {
    return completionResponse(await engine.awaitCompletion(id, signal), undefined, false);
  } catch (e) {
    if (e instanceof UserError) return ingressError(e.status, e.message, "ingress");
    throw e;
  }
}

/**
 * Resolve (JSON body) or reject (text reason) an awakeable: 202 with no body, also when it is unknown or done.
 * Answered once the resolution is durable.
 */
async function awakeableRoute(engine: Engine, req: HttpRequest, id: string, op: "resolve" | "reject"): Promise<HttpResponse> {
  const result: Result =
    op === "resolve" ? { kind: "value", value: req.body } : { kind: "failure", code: 500, message: new TextDecoder().decode(req.body) };
  try {
    await engine.completeAwakeable(id, result);
  } catch (e) {
    if (e instanceof UserError) return ingressError(e.status, e.message, "ingress");
    throw e;
  }
  return { status: 202 };
}

function mediaType(v: string): string {
  return v.split(";")[0]!.trim().toLowerCase();
}

function matches(actual: string, accepted: string): boolean {
  return accepted.split(",").some((pattern) => {
    const p = mediaType(pattern);
    if (p === "*/*") return true;
    if (p.endsWith("/*")) return actual.startsWith(p.slice(0, -1));
    return p === actual;
  });
}

/** Restate checks the request's content type against the handler's input content type. */
function checkContentType(req: HttpRequest, handler: HandlerManifest): string | undefined {
  const expected = handler.accept ?? handler.inputContentType;
  if (!expected || req.body.byteLength === 0) return undefined;
  const ct = header(req, "content-type");
  if (!ct) return "input validation error: Empty content-type";
  if (!matches(mediaType(ct), expected)) return `input validation error: Content-type '${ct}' does not match '${expected}'`;
  return undefined;
}

/** Restate prints idempotency-expires as `2026-11-26T13:57:22.952+00:00`. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "+00:00");
}

/** Restate prints execution times with nanosecond digits. */
function isoNanos(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}
