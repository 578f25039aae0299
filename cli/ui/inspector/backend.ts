/**
 * Where the inspector's data comes from and where its actions go: the admin
 * API (a running runtime, or the read-only database file when none runs) and
 * the ingress (to invoke handlers). `inspect` builds one from cli/admin_client.ts;
 * the `up` dashboard, which knows its own URLs, uses httpBackend; tests pass fixtures.
 */

export interface BackendResponse {
  status: number;
  ok: boolean;
  text: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  json: unknown;
}

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface InspectorBackend {
  /** "live": a running runtime answers; "offline": read-only, from the database file. */
  readonly mode: "live" | "offline";
  /** Shown in the header: the admin URL, or the database file. */
  readonly location: string;
  /** A request to the admin API; `path` starts with `/`. */
  admin(method: Method, path: string, body?: unknown): Promise<BackendResponse>;
  /** A POST to the ingress (`path` like `/cart/u1/addItem/send`) with a raw JSON body. Absent offline. */
  ingress?(path: string, body: string): Promise<BackendResponse>;
}

/** What cli/admin_client.ts's AdminClient offers (structurally), so this module need not import it. */
export interface AdminClientLike {
  readonly mode: "live" | "offline";
  readonly location: string;
  send(method: Method, path: string, body?: unknown): Promise<BackendResponse>;
}

export function parseResponse(status: number, text: string): BackendResponse {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, ok: status >= 200 && status < 300, text, json };
}

async function post(url: string, init: RequestInit): Promise<BackendResponse> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return parseResponse(res.status, await res.text());
}

function ingressCaller(ingressUrl: string): (path: string, body: string) => Promise<BackendResponse> {
  return (path, body) => post(ingressUrl + path, { method: "POST", body, headers: { "content-type": "application/json" } });
}

/** Over HTTP to a running runtime whose URLs are known (the `up` dashboard). */
export function httpBackend(adminUrl: string, ingressUrl: string): InspectorBackend {
  return {
    mode: "live",
    location: adminUrl,
    admin: (method, path, body) =>
      post(adminUrl + path, {
        method,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
      }),
    ingress: ingressCaller(ingressUrl),
  };
}

/** Over an admin client (live or offline); invocations go to `ingressUrl` when the runtime is live. */
export function clientBackend(client: AdminClientLike, ingressUrl: string): InspectorBackend {
  return {
    mode: client.mode,
    location: client.location,
    admin: (method, path, body) => client.send(method, path, body),
    ...(client.mode === "live" ? { ingress: ingressCaller(ingressUrl) } : {}),
  };
}

/** The admin API's error message of a failed response. */
export function errorText(res: BackendResponse): string {
  const m = (res.json as { message?: unknown } | undefined)?.message;
  return typeof m === "string" ? m : res.text || `HTTP ${res.status}`;
}

export const seg = (s: string) => encodeURIComponent(s);
