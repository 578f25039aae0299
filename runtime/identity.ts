/**
 * Which runtime this is: a fresh id per `up`, the project directory it serves
 * and where it listens. `up` writes it to .restate-dev/runtime.json; the admin
 * API sends it on every response (header) and as the body of GET /health, and
 * the ingress on GET /restate/health, so that a command can tell its project's
 * runtime from another project's that happens to answer on the same port.
 */
import { randomBytes } from "node:crypto";
import type { Handler } from "./ingress/http.js";
import { VERSION } from "./version.js";

export const RUNTIME_ID_HEADER = "x-restate-dev-runtime";
export const RUNTIME_PROJECT_HEADER = "x-restate-dev-project";

export interface RuntimeIdentity {
  runtimeId: string;
  projectDir: string;
  pid: number;
  version: string;
  /** Known once both servers listen. */
  ingressUrl?: string;
  adminUrl?: string;
}

export function newIdentity(projectDir: string): RuntimeIdentity {
  return { runtimeId: `rt_${randomBytes(8).toString("hex")}`, projectDir, pid: process.pid, version: VERSION };
}

/** The identity as runtime.json and GET /health carry it (snake_case, like the rest of the admin API). */
export function identityJson(id: RuntimeIdentity): Record<string, unknown> {
  return {
    runtime_id: id.runtimeId,
    project_dir: id.projectDir,
    pid: id.pid,
    version: id.version,
    ingress_url: id.ingressUrl ?? null,
    admin_url: id.adminUrl ?? null,
  };
}

function headers(id: RuntimeIdentity): Record<string, string> {
  // Header values are ASCII: the directory is percent-encoded.
  return { [RUNTIME_ID_HEADER]: id.runtimeId, [RUNTIME_PROJECT_HEADER]: encodeURIComponent(id.projectDir) };
}

/** The admin API with the identity header on every response, and the identity as the body of GET /health. */
export function adminWithIdentity(handler: Handler, id: RuntimeIdentity): Handler {
  return async (req) => {
    const res = await handler(req);
    const health = req.method === "GET" && req.path.replace(/\/+$/, "") === "/health" && res.status === 200 && !res.body;
    return {
      ...res,
      headers: { ...(res.headers ?? {}), ...headers(id), ...(health ? { "content-type": "application/json" } : {}) },
      ...(health ? { body: JSON.stringify(identityJson(id)) } : {}),
    };
  };
}

/** The ingress with the identity header on GET /restate/health only: every other answer stays Restate's. */
export function ingressWithIdentity(handler: Handler, id: RuntimeIdentity): Handler {
  return async (req) => {
    const res = await handler(req);
    if (req.path.replace(/\/+$/, "") !== "/restate/health") return res;
    return { ...res, headers: { ...(res.headers ?? {}), ...headers(id) } };
  };
}
