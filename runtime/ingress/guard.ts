/**
 * What keeps a web page from driving the runtime: a wrapper around a port's
 * Handler that checks Host (against DNS rebinding) and Origin /
 * Sec-Fetch-Site (against cross-site requests), answers CORS preflights for
 * allowed origins, and, where asked, takes only JSON bodies on mutating
 * requests (so an HTML form cannot post to the admin API).
 *
 * Clients that are not browsers (curl, Node's fetch, sdk-clients, the CLI)
 * send a loopback Host and neither Origin nor Sec-Fetch-Site, so they pass
 * unchanged. Every port (ingress, admin API, and anything later mounted on
 * them, like /mcp) wraps its handler with `guard`.
 */
import { header, type Handler, type HttpRequest, type HttpResponse } from "./http.js";
import { UserError } from "../errors.js";

export interface GuardPolicy {
  /** Host names allowed besides loopback ones (`--allow-host`): `name` (any port), `name:port`, or `*` (any Host). */
  allowHosts?: string[];
  /** Origins allowed besides loopback ones: `http://host[:port]`, or `*` (any origin). */
  allowOrigins?: string[];
  /** The flag that adds to `allowOrigins`, named in the error (`--allow-origin`, `--admin-allow-origin`). */
  originFlag: string;
  /** Mutating requests (POST, PUT, PATCH, DELETE) may carry only `application/json` bodies. Default false. */
  jsonBodiesOnly?: boolean;
  /** The port's error body: Restate's ingress and admin API shape errors differently. */
  error: (status: number, message: string) => HttpResponse;
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const PREFLIGHT_MAX_AGE_S = "600";

/** Wraps `handler` with the Host, Origin, Sec-Fetch-Site and (optionally) content-type checks. */
export function guard(handler: Handler, policy: GuardPolicy): Handler {
  const hosts = (policy.allowHosts ?? []).map(normalizeAllowedHost);
  const origins = (policy.allowOrigins ?? []).map((o) => normalizeAllowedOrigin(o, policy.originFlag));
  return async (req) => {
    const host = header(req, "host");
    if (!hostAllowed(host, hosts)) return policy.error(403, hostRefusal(host));

    const origin = header(req, "origin");
    const originOk = origin !== undefined && originAllowed(origin, origins);
    if (origin !== undefined && !originOk) return policy.error(403, originRefusal(origin, policy.originFlag));
    const site = header(req, "sec-fetch-site")?.toLowerCase();
    if (!originOk && (site === "cross-site" || site === "same-site")) return policy.error(403, siteRefusal(site, policy.originFlag));
    // Browsers without Sec-Fetch-* (older Safari) still name the page in Referer on an <img> or a link.
    const referer = origin === undefined ? header(req, "referer") : undefined;
    const refererOrigin = referer !== undefined ? originOf(referer) : undefined;
    if (refererOrigin !== undefined && !originAllowed(refererOrigin, origins)) return policy.error(403, originRefusal(refererOrigin, policy.originFlag));

    if (req.method === "OPTIONS" && origin !== undefined && header(req, "access-control-request-method") !== undefined) {
      return preflight(req, origin);
    }
    if (policy.jsonBodiesOnly && MUTATING.has(req.method)) {
      const problem = bodyProblem(req);
      if (problem) return withCors(policy.error(415, problem), originOk ? origin : undefined);
    }
    return withCors(await handler(req), originOk ? origin : undefined);
  };
}

/** Throws a UserError naming the flag when an allowed host or origin is not one. */
export function checkGuardPolicy(policy: GuardPolicy): void {
  (policy.allowHosts ?? []).forEach(normalizeAllowedHost);
  (policy.allowOrigins ?? []).forEach((o) => normalizeAllowedOrigin(o, policy.originFlag));
}

/** `localhost`, `*.localhost`, 127.0.0.0/8 and `[::1]`: names and addresses only this machine answers to. */
export function isLoopbackHostname(name: string): boolean {
  const h = name.toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return /^[a-z0-9.-]+$/.test(h) && !h.includes("..");
  if (h === "[::1]") return true;
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return octets !== null && octets[1] === "127" && octets.slice(2).every((o) => Number(o) <= 255);
}

/** Splits a Host header value into name and port; undefined when it is not one. */
function splitHost(value: string): { name: string; port?: string } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase(), ...(m[2] !== undefined ? { port: m[2] } : {}) };
}

function hostAllowed(value: string | undefined, allowed: string[]): boolean {
  if (allowed.includes("*")) return true;
  if (value === undefined) return false;
  const parsed = splitHost(value);
  if (!parsed) return false;
  if (isLoopbackHostname(parsed.name)) return true;
  return allowed.includes(parsed.name) || (parsed.port !== undefined && allowed.includes(`${parsed.name}:${parsed.port}`));
}

function originAllowed(origin: string, allowed: string[]): boolean {
  if (allowed.includes("*")) return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === undefined) return false;
  if (/^https?:\/\//.test(normalized) && isLoopbackHostname(new URL(normalized).hostname)) return true;
  return allowed.includes(normalized);
}

/** `scheme://host[:port]` lowercased, without a default port or trailing slash; undefined for `null` and garbage. */
function normalizeOrigin(value: string): string | undefined {
  const v = value.trim().toLowerCase().replace(/\/$/, "");
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]+$/.test(v)) return undefined;
  if (!/^https?:/.test(v)) return v; // e.g. chrome-extension://id: URL gives these the opaque origin "null"
  try {
    return new URL(v).origin;
  } catch {
    return undefined;
  }
}

/** The origin of a Referer URL; undefined when it has none worth checking. */
function originOf(url: string): string | undefined {
  try {
    const o = new URL(url).origin;
    return o === "null" ? undefined : o;
  } catch {
    return undefined;
  }
}

function normalizeAllowedHost(entry: string): string {
  const e = entry.trim().toLowerCase();
  if (e === "*") return e;
  const parsed = splitHost(e);
  if (!parsed || e.includes("/")) {
    throw new UserError("BAD_ALLOW_HOST", `--allow-host takes a host name or address as a browser sends it in Host, got '${entry}'`, "for example --allow-host myapp.test or --allow-host 192.168.1.20:8080");
  }
  return parsed.port !== undefined ? `${parsed.name}:${parsed.port}` : parsed.name;
}

function normalizeAllowedOrigin(entry: string, flag: string): string {
  if (entry.trim() === "*") return "*";
  const o = normalizeOrigin(entry);
  if (o === undefined) {
    throw new UserError("BAD_ALLOW_ORIGIN", `${flag} takes an origin (a scheme, a host and an optional port, as a browser's Origin header has it), got '${entry}'`, `for example ${flag} https://app.example.com or ${flag} http://192.168.1.20:3000`);
  }
  return o;
}

function preflight(req: HttpRequest, origin: string): HttpResponse {
  const headers: Record<string, string> = {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "access-control-max-age": PREFLIGHT_MAX_AGE_S,
    vary: "origin, access-control-request-method, access-control-request-headers",
  };
  const asked = header(req, "access-control-request-headers");
  if (asked) headers["access-control-allow-headers"] = asked;
  // Chrome's Private Network Access: a public page calling loopback asks first.
  if (header(req, "access-control-request-private-network") === "true") headers["access-control-allow-private-network"] = "true";
  return { status: 204, headers };
}

/** Lets the allowed page read the answer and its headers (x-restate-id, retry-after, …). */
function withCors(res: HttpResponse, origin: string | undefined): HttpResponse {
  if (origin === undefined) return res;
  const names = Object.keys(res.headers ?? {});
  return {
    ...res,
    headers: {
      ...res.headers,
      "access-control-allow-origin": origin,
      ...(names.length ? { "access-control-expose-headers": names.join(", ") } : {}),
      vary: "origin",
    },
  };
}

function bodyProblem(req: HttpRequest): string | undefined {
  const type = header(req, "content-type");
  if (type === undefined) {
    return req.body.byteLength === 0 ? undefined : `${req.method} ${req.path} has a body but no content-type; send it as JSON with 'content-type: application/json'`;
  }
  const media = type.split(";")[0]!.trim().toLowerCase();
  if (media === "application/json") return undefined;
  return `${req.method} ${req.path} takes only JSON bodies ('content-type: application/json'), got '${media}'; the admin API refuses forms and text so that a web page cannot post to it`;
}

function hostRefusal(host: string | undefined): string {
  if (host === undefined) return "the request has no Host header; send one naming this machine, e.g. 'Host: localhost'";
  const name = splitHost(host)?.name ?? host;
  return (
    `refused: the Host header '${host}' does not name this machine (only localhost, *.localhost, 127.0.0.0/8 and [::1] are accepted); ` +
    `a web page using DNS rebinding would send such a Host. If you reach restate-dev by that name on purpose, start it with 'restate-dev up --allow-host ${name}'`
  );
}

function originRefusal(origin: string, flag: string): string {
  const shown = normalizeOrigin(origin) ?? origin;
  return (
    `refused: requests from the web page at '${origin}' are not allowed (pages on loopback origins like http://localhost:3000 are). ` +
    (shown === "null" ? `Serve the page from http://localhost instead of a file or sandbox` : `To let that page call it, start it with 'restate-dev up ${flag} ${shown}'`)
  );
}

function siteRefusal(site: string, flag: string): string {
  return (
    `refused: the browser marks this request as coming from another site (Sec-Fetch-Site: ${site}) and it has no allowed Origin, ` +
    `as an <img>, a link or a form from another page would be. Call it with fetch() from a loopback page or one allowed with ${flag}, or from curl or a server`
  );
}
