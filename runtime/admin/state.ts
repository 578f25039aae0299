/**
 * State and keys of virtual objects and workflows on the admin API:
 * - `GET /services/{svc}/state/{key}` → `{service, key, state: {name: value}}` (restate-dev's own)
 * - `GET /services/{svc}/keys/{key}` → `{service, key, lock_holder, inbox}` (restate-dev's own)
 * - `POST /services/{svc}/state` with `{object_key, new_state: {name: [byte, …]}, scope?}` → 202 (Restate's:
 *   replaces the whole state of the key, in `scope` if given)
 * - `PUT /services/{svc}/state/{key}/{name}` with the JSON value as body → 202 (restate-dev's own)
 * - `DELETE /services/{svc}/state/{key}[/{name}]` → 202 (restate-dev's own)
 */
import { json, type HttpRequest, type HttpResponse } from "../ingress/http.js";
import type { Engine } from "../engine/engine.js";
import * as operations from "../engine/operations.js";
import type { ServiceManifest } from "../../sdk/worker/protocol.js";
import { toBytes } from "../storage/codec.js";
import { scopeError } from "../engine/scopes.js";
import type { AdminReads } from "./reads.js";
import { adminError, bodyJson, empty, errorResponse, isRecord, serviceNotFound, showPayload } from "./shape.js";

type Lookup = { ok: true; svc: ServiceManifest } | { ok: false; response: HttpResponse };

/** What reading state needs to know of the engine: its services (offline.ts passes the ones the database knows). */
export type ServiceDirectory = Pick<Engine, "service" | "listServices">;

/** The service, if it exists and has keys. */
function keyedService(engine: ServiceDirectory, name: string): Lookup {
  const svc = engine.service(name);
  if (!svc) return { ok: false, response: serviceNotFound(name, engine.listServices().map((s) => s.name)) };
  if (svc.ty === "SERVICE") {
    return { ok: false, response: adminError(400, `'${name}' is a service, which has no keys and no state; only virtual objects and workflows do`) };
  }
  return { ok: true, svc };
}

export function readState(engine: ServiceDirectory, reads: AdminReads, service: string, key: string): HttpResponse {
  const found = keyedService(engine, service);
  if (!found.ok) return found.response;
  const state: Record<string, unknown> = {};
  const encodings: Record<string, string> = {};
  for (const { name, value } of reads.state(service, key)) {
    const shown = showPayload(toBytes(value));
    state[name] = shown.value ?? "";
    if (shown.value_encoding) encodings[name] = shown.value_encoding;
  }
  return json(200, { service, key, state, ...(Object.keys(encodings).length ? { encodings } : {}) });
}

export function keyStatus(engine: Engine, service: string, key: string): HttpResponse {
  const found = keyedService(engine, service);
  if (!found.ok) return found.response;
  const { holder, inbox } = engine.keyStatus(service, key);
  return json(200, { service, key, lock_holder: holder ?? null, inbox });
}

/** Restate's `POST /services/{svc}/state`: replaces all state of `object_key`. */
export async function replaceState(engine: Engine, service: string, req: HttpRequest): Promise<HttpResponse> {
  const found = keyedService(engine, service);
  if (!found.ok) return found.response;
  const parsed = bodyJson(req.body);
  const body = parsed.ok && isRecord(parsed.value) ? parsed.value : undefined;
  const usage = `the body must be JSON like {"object_key": "k1", "new_state": {"count": [49]}} (each value is the stored bytes, e.g. the UTF-8 of its JSON)`;
  if (!body || typeof body.object_key !== "string" || !isRecord(body.new_state)) return adminError(400, usage);
  const replace = new Map<string, Uint8Array>();
  for (const [name, bytes] of Object.entries(body.new_state)) {
    if (!Array.isArray(bytes) || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
      return adminError(400, `new_state.${name} must be an array of bytes (integers 0–255); ${usage}`);
    }
    replace.set(name, Uint8Array.from(bytes as number[]));
  }
  // Flow control: `scope` names the key's instance in a scope (absent: unscoped).
  const scope = body.scope;
  if (scope !== undefined && scope !== null) {
    const bad = typeof scope === "string" ? scopeError(scope) : "scope must be a string";
    if (bad) return adminError(400, bad);
  }
  return write(() => operations.writeState(engine, service, body.object_key as string, { replace }, typeof scope === "string" ? scope : undefined));
}

/** `PUT /services/{svc}/state/{key}/{name}` with the JSON value as the body. */
export async function setStateValue(engine: Engine, service: string, key: string, name: string, req: HttpRequest): Promise<HttpResponse> {
  const found = keyedService(engine, service);
  if (!found.ok) return found.response;
  if (!bodyJson(req.body).ok) {
    return adminError(400, `the body must be the JSON value to store, e.g. curl -X PUT --data '42' …/services/${service}/state/${key}/${name}`);
  }
  return write(() => operations.writeState(engine, service, key, { set: name, value: new Uint8Array(req.body) }));
}

/** `DELETE /services/{svc}/state/{key}[/{name}]`. */
export async function clearState(engine: Engine, service: string, key: string, name: string | undefined): Promise<HttpResponse> {
  const found = keyedService(engine, service);
  if (!found.ok) return found.response;
  return write(() => operations.writeState(engine, service, key, name === undefined ? { clearAll: true } : { clear: name }));
}

async function write(op: () => unknown): Promise<HttpResponse> {
  try {
    await op();
    return empty(202);
  } catch (e) {
    return errorResponse(e);
  }
}
