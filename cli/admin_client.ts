/**
 * How the inspection and operation commands talk to the admin API: over HTTP
 * to the running runtime, or, when none runs and the command only reads,
 * through the same route code in-process over the project's SQLite file
 * opened read-only (runtime/admin/offline.ts). Commands see one interface.
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { type Answer, describeAnswer, explicitSource, findRuntime, isProjectsRuntime, otherRuntimeError, probe, projectDirOf, readRecorded, reason } from "./connect.js";
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
  /** The ingress of the runtime that answered, as its identity says (live only). */
  readonly ingressUrl?: string;
  send(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<AdminResponse>;
  close(): void;
}

export interface ConnectOptions {
  adminUrl?: string;
  /**
   * "read": may fall back to the database file when no runtime runs; "live-read": needs
   * the running runtime, only reads; "live": needs the running runtime and changes things,
   * so never goes to another project's.
   */
  access: "read" | "live-read" | "live";
  /** Why a "live" command needs the runtime, for the error when none runs. */
  why?: string;
  /** The project directory whose runtime to find (default: the current directory). */
  dir?: string;
}

export async function connectAdmin(opts: ConnectOptions): Promise<AdminClient> {
  const dir = projectDirOf(opts.dir);
  const { adminUrl } = findRuntime({ dir, ...(opts.adminUrl !== undefined ? { adminUrl: opts.adminUrl } : {}) });
  const explicit = explicitSource("admin", opts.adminUrl);
  const answer = await probe(adminUrl, "admin");
  if (explicit !== undefined) {
    // Used as given: the user said where to go.
    if (answer.kind !== "none") return httpClient(adminUrl, answer);
    throw new UserError("NOT_RUNNING", `cannot reach the admin API at ${adminUrl} (from ${explicit}): ${answer.problem}`, `check the URL, or start the runtime there with 'restate-dev up'`);
  }
  const recorded = readRecorded(dir);
  if (isProjectsRuntime(answer, dir, recorded)) return httpClient(adminUrl, answer);

  // No runtime of this project answers: read its database, as the runtime left it.
  const other = answer.kind === "none" ? "" : `; ${describeAnswer(answer)} answers at ${adminUrl}, not used`;
  const dbFile = join(dir, ".restate-dev", "runtime.db");
  if (opts.access === "read" && existsSync(dbFile)) {
    note(`this project's runtime is not running${other}; reading ${relative(process.cwd(), dbFile) || dbFile} read-only, as the runtime left it`);
    const { offlineAdminApi } = await import("../runtime/admin/offline.js");
    return offlineClient(dbFile, offlineAdminApi(dbFile));
  }
  if (answer.kind === "none") {
    if (opts.access !== "read") {
      throw new UserError(
        "NOT_RUNNING",
        `this project's runtime (${dir}) is not running (nothing answers at ${adminUrl}: ${answer.problem}), and ${opts.why ?? "this command needs one"}`,
        `start it with 'restate-dev up' in ${dir} (in another terminal), then run this again; or pass --dir <project>, or --admin-url`,
      );
    }
    throw new UserError(
      "NOT_RUNNING",
      `no runtime answers at ${adminUrl} (${answer.problem}), and ${dir} has no .restate-dev/runtime.db to read instead`,
      `run this in your project's directory or pass --dir <project>; start the runtime with 'restate-dev up'; or pass --admin-url`,
    );
  }
  if (opts.access !== "live" && answer.kind === "runtime") {
    // Nothing of this project to read: reading another runtime harms nothing, but say so.
    note(`${dir} has no runtime and no database; reading from ${describeAnswer(answer)} at ${adminUrl} (pass --dir ${answer.projectDir} to say so)`);
    return httpClient(adminUrl, answer);
  }
  throw otherRuntimeError(answer, adminUrl, dir, "--admin-url");
}

function httpClient(adminUrl: string, answer: Answer): AdminClient {
  return {
    mode: "live",
    location: adminUrl,
    ...(answer.kind === "runtime" && answer.ingressUrl ? { ingressUrl: answer.ingressUrl } : {}),
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

/** Where a command's options say to connect: --admin-url and --dir, when given. */
export function adminTarget(opts: { adminUrl?: string; dir?: string }): Pick<ConnectOptions, "adminUrl" | "dir"> {
  return { ...(opts.adminUrl !== undefined ? { adminUrl: opts.adminUrl } : {}), ...(opts.dir !== undefined ? { dir: opts.dir } : {}) };
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
