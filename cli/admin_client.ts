/**
 * How the inspection and operation commands talk to the admin API: over HTTP
 * to the running runtime, or, when none runs and the command only reads,
 * through the same route code in-process over the project's SQLite file
 * opened read-only (runtime/admin/offline.ts). Commands see one interface.
 */
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { findRuntime } from "./connect.js";
import { note } from "./format.js";
import { UserError } from "../runtime/errors.js";
import type { OfflineAdmin } from "../runtime/admin/offline.js";

export interface AdminResponse {
  status: number;
  ok: boolean;
  text: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  json: unknown;
}

export interface AdminClient {
  /** "live": a running runtime answers; "offline": the database file of a stopped one. */
  readonly mode: "live" | "offline";
  /** The admin URL, or the database file. */
  readonly location: string;
  send(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<AdminResponse>;
  close(): void;
}

export interface ConnectOptions {
  adminUrl?: string;
  /** "read": may fall back to the database file when no runtime runs; "live": needs the running runtime. */
  access: "read" | "live";
  /** Why a "live" command needs the runtime, for the error when none runs. */
  why?: string;
  /** The project directory whose runtime to find (default: the current directory). */
  dir?: string;
}

const HEALTH_TIMEOUT_MS = 3000;

export async function connectAdmin(opts: ConnectOptions): Promise<AdminClient> {
  const dir = resolve(opts.dir ?? ".");
  const { adminUrl } = findRuntime({ dir, ...(opts.adminUrl !== undefined ? { adminUrl: opts.adminUrl } : {}) });
  const explicit = opts.adminUrl !== undefined ? "--admin-url" : process.env.RESTATE_ADMIN_URL !== undefined ? "RESTATE_ADMIN_URL" : undefined;
  const problem = await probe(adminUrl);
  if (problem === undefined) return httpClient(adminUrl);

  const dbFile = join(dir, ".restate-dev", "runtime.db");
  if (opts.access === "read" && explicit === undefined && existsSync(dbFile)) {
    note(`no runtime is running (${adminUrl}: ${problem}); reading ${relative(process.cwd(), dbFile) || dbFile} read-only, as the runtime left it`);
    const { offlineAdminApi } = await import("../runtime/admin/offline.js");
    return offlineClient(dbFile, offlineAdminApi(dbFile));
  }
  if (explicit !== undefined) {
    throw new UserError("NOT_RUNNING", `cannot reach the admin API at ${adminUrl} (from ${explicit}): ${problem}`, `check the URL, or start the runtime there with 'restate-dev up'`);
  }
  if (opts.access === "live") {
    throw new UserError(
      "NOT_RUNNING",
      `no runtime is running (nothing answers at ${adminUrl}: ${problem}), and ${opts.why ?? "this command needs one"}`,
      `start it with 'restate-dev up' in this project (in another terminal), then run this again; or pass --admin-url`,
    );
  }
  throw new UserError(
    "NOT_RUNNING",
    `no runtime answers at ${adminUrl} (${problem}), and ${dir} has no .restate-dev/runtime.db to read instead`,
    `run this in your project's directory, start the runtime with 'restate-dev up', or pass --admin-url`,
  );
}

/** undefined when the admin API answers; otherwise why not. */
async function probe(adminUrl: string): Promise<string | undefined> {
  try {
    await fetch(`${adminUrl}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    return undefined;
  } catch (e) {
    return reason(e);
  }
}

function reason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError") return `no answer within ${HEALTH_TIMEOUT_MS / 1000} s`;
  if (err.cause?.code === "ECONNREFUSED") return "connection refused";
  return err.cause?.message ?? err.message;
}

function httpClient(adminUrl: string): AdminClient {
  return {
    mode: "live",
    location: adminUrl,
    async send(method, path, body) {
      let res: Response;
      try {
        res = await fetch(adminUrl + path, {
          method,
          // JSON answers: POST /query answers Arrow unless asked for JSON, as Restate's.
          headers: { accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (e) {
        throw new UserError("NOT_RUNNING", `lost the admin API at ${adminUrl}: ${reason(e)}`, "is 'restate-dev up' still running? Start it again, then retry");
      }
      return response(res.status, await res.text());
    },
    close() {},
  };
}

function offlineClient(dbFile: string, api: OfflineAdmin): AdminClient {
  return {
    mode: "offline",
    location: dbFile,
    async send(method, path, body) {
      const url = new URL(path, "http://offline");
      const res = await api.handler({
        method,
        path: url.pathname,
        query: url.searchParams,
        headers: { accept: "application/json", ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        body: body !== undefined ? new TextEncoder().encode(JSON.stringify(body)) : new Uint8Array(0),
      });
      const text = res.body === undefined ? "" : typeof res.body === "string" ? res.body : new TextDecoder().decode(res.body);
      return response(res.status, text);
    },
    close: () => api.close(),
  };
}

function response(status: number, text: string): AdminResponse {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, ok: status >= 200 && status < 300, text, json };
}

/** The admin API's error message of a failed response. */
export function errorMessage(res: AdminResponse): string {
  const m = (res.json as { message?: unknown } | undefined)?.message;
  return typeof m === "string" ? m : res.text || `HTTP ${res.status}`;
}

/** Throws a UserError for a failed response: the API's message and the given hint. */
export function check(res: AdminResponse, hint: string): AdminResponse {
  if (res.ok) return res;
  throw new UserError(res.status === 404 ? "NOT_FOUND" : "ADMIN_ERROR", errorMessage(res), hint);
}

/** Runs `body` with a connected client and closes it after. */
export async function withAdmin<T>(opts: ConnectOptions, body: (admin: AdminClient) => Promise<T>): Promise<T> {
  const admin = await connectAdmin(opts);
  try {
    return await body(admin);
  } finally {
    admin.close();
  }
}

/** Path segment encoding for names and keys. */
export const seg = (s: string) => encodeURIComponent(s);
