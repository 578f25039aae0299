/**
 * Small formatting helpers shared by the admin routes: payload decoding,
 * timestamps, Restate-style durations and error bodies.
 */
import { json, type Handler, type HttpRequest, type HttpResponse } from "../ingress/http.js";
import { UserError } from "../errors.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A payload as the admin API shows it: the JSON value when the bytes are JSON,
 * else the UTF-8 text (`value_encoding: "utf8"`), else base64
 * (`value_encoding: "base64"`). Empty payloads show no value at all.
 */
export interface ShownPayload {
  value?: unknown;
  value_encoding?: "utf8" | "base64";
}

export function showPayload(bytes: Uint8Array | null | undefined): ShownPayload {
  if (!bytes || bytes.byteLength === 0) return {};
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64"), value_encoding: "base64" };
  }
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { value: text, value_encoding: "utf8" };
  }
}

/** ms since epoch → ISO-8601 with milliseconds and `Z`, as Restate's JSON query output shows timestamps. */
export function iso(ms: number | null | undefined): string | undefined {
  return ms === null || ms === undefined ? undefined : new Date(ms).toISOString();
}

/** Milliseconds as Restate's admin API prints durations (humantime): `1d`, `1h 30m`, `500ms`. */
export function humanDuration(ms: number): string {
  if (ms <= 0) return "0s";
  const units: Array<[string, number]> = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ];
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join(" ");
}

/** Restate's admin error body. */
export function adminError(status: number, message: string): HttpResponse {
  return json(status, { message, restate_code: null });
}

export function empty(status: number): HttpResponse {
  return { status };
}

/** Maps what the engine throws to an admin error; anything else is a 500. */
export function errorResponse(e: unknown): HttpResponse {
  if (e instanceof UserError) return adminError(e.status, e.hint ? `${e.message} (${e.hint})` : e.message);
  const message = e instanceof Error ? e.message : String(e);
  return adminError(500, `internal error in the admin API: ${message}; the runtime's log may say more`);
}

export function badInvocationId(id: string): HttpResponse {
  return adminError(
    400,
    `The request field 'invocation_id' is invalid. Reason: bad format ('${id}' is not an invocation id; they look like inv_1… — ` +
      `take one from the x-restate-id response header or from GET /invocations)`,
  );
}

export function invocationNotFound(id: string): HttpResponse {
  return adminError(404, `The requested invocation '${id}' does not exist (it may have been purged or expired; GET /invocations lists the known ones)`);
}

export function serviceNotFound(name: string, known: string[]): HttpResponse {
  const list = known.length ? `the registered services are: ${known.join(", ")}` : "no services are registered yet: is the project's entry file calling restate.serve()?";
  return adminError(404, `The requested service '${name}' does not exist (${list})`);
}

/** Parses a request body as JSON; undefined when it is empty or not JSON. */
export function bodyJson(body: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  if (body.byteLength === 0) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8")) };
  } catch {
    return { ok: false };
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * An admin handler from a router over decoded path segments: bad percent-encoding
 * is a 400, unrouted requests get `fallback`, and thrown errors become admin errors.
 */
export function segmentHandler(
  route: (req: HttpRequest, segments: string[]) => Promise<HttpResponse | undefined> | HttpResponse | undefined,
  fallback: (req: HttpRequest) => HttpResponse,
): Handler {
  return async (req) => {
    let segments: string[];
    try {
      segments = req.path.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      return adminError(400, `the path ${req.path} is not valid percent-encoding`);
    }
    try {
      return (await route(req, segments)) ?? fallback(req);
    } catch (e) {
      return errorResponse(e);
    }
  };
}
