/** `restate-dev invoke <target> [json]`: call a handler through the ingress and print the result. */
import { readFileSync } from "node:fs";
import { projectIngress } from "../connect.js";
import { adminTarget, check, withAdmin } from "../admin_client.js";
import { UserError } from "../../runtime/errors.js";
import { EXIT_FAILED, EXIT_USAGE } from "../errors.js";

export interface InvokeOptions {
  key?: string;
  send?: boolean;
  delay?: string;
  idempotencyKey?: string;
  header?: string[];
  ingressUrl?: string;
  /** The project directory (default: found from the current one). */
  dir?: string;
  json?: boolean;
}

/** `restate-dev invoke` with no target: the handlers one can call, one per line (shell completion friendly). */
export async function listTargets(opts: { adminUrl?: string; dir?: string }): Promise<number> {
  type Services = Array<{ name: string; ty: string; handlers: Array<{ name: string; public?: boolean }> }>;
  const services = await withAdmin(
    { access: "live-read", why: "the handlers come from the code the runtime has loaded", ...adminTarget(opts) },
    async (admin) => (check(await admin.send("GET", "/services"), "is the runtime up?").json as { services: Services }).services,
  );
  for (const s of services) {
    for (const h of s.handlers) {
      if (h.public === false) continue;
      process.stdout.write(s.ty === "Service" ? `${s.name}/${h.name}\n` : `${s.name}/<key>/${h.name}\n`);
    }
  }
  return 0;
}

export async function invoke(target: string, input: string | undefined, opts: InvokeOptions): Promise<number> {
  const parts = target.split("/").filter(Boolean);
  if (parts.length < 2 || parts.length > 3) {
    throw new UserError("BAD_TARGET", `'${target}' is not a handler target`, "use <service>/<handler> or <object>/<key>/<handler>, e.g. cart/u1/addItem");
  }
  if (opts.key !== undefined) {
    if (parts.length !== 2) throw new UserError("BAD_TARGET", "--key goes with <object>/<handler>, not with a key in the target", "drop one of the two keys");
    parts.splice(1, 0, opts.key);
  }
  const body = readInput(input);
  const ingressUrl = await projectIngress({ ...(opts.ingressUrl !== undefined ? { ingressUrl: opts.ingressUrl } : {}), ...(opts.dir !== undefined ? { dir: opts.dir } : {}) });
  const path = parts.map((p, i) => (i === 1 && parts.length === 3 ? encodeURIComponent(p) : p)).join("/");
  const url = new URL(`${ingressUrl}/${path}${opts.send ? "/send" : ""}`);
  if (opts.delay) url.searchParams.set("delay", opts.delay);
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (opts.idempotencyKey) headers["idempotency-key"] = opts.idempotencyKey;
  for (const h of opts.header ?? []) {
    const i = h.indexOf("=");
    if (i <= 0) throw new UserError("BAD_HEADER", `--header '${h}' is not k=v`, "for example --header x-user=alice");
    headers[h.slice(0, i)] = h.slice(i + 1);
  }
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers, ...(body !== undefined ? { body } : {}) });
  } catch (e) {
    throw new UserError("NOT_RUNNING", `cannot reach the ingress at ${ingressUrl} (${(e as Error).cause ?? (e as Error).message})`, "start the runtime with 'restate-dev up' in this project, or pass --ingress-url");
  }
  const text = await res.text();
  const id = res.headers.get("x-restate-id");
  let parsed: unknown = text;
  try {
    parsed = text.length ? JSON.parse(text) : null;
  } catch {
    // not JSON: print as text
  }
  // The ingress refused the request itself (no invocation ran): a usage error, exit 2.
  const rejected = !res.ok && (res.headers.get("x-restate-error-source") === "ingress" || (parsed as { source?: unknown } | null)?.source === "ingress");
  if (opts.json) {
    process.stdout.write(JSON.stringify({ status: res.status, invocationId: id, body: parsed }) + "\n");
    return res.ok ? 0 : rejected ? EXIT_USAGE : EXIT_FAILED;
  }
  if (rejected) throw rejection(res.status, (parsed ?? {}) as { message?: string }, text, parts, opts.key !== undefined);
  if (res.ok) {
    process.stdout.write((typeof parsed === "string" ? parsed : JSON.stringify(parsed, null, 2)) + "\n");
    if (id) process.stderr.write(`invocation: ${id}\n`);
    return 0;
  }
  const err = (parsed ?? {}) as { code?: number; message?: string; source?: string };
  process.stderr.write(`failed: [${err.code ?? res.status}] ${err.message ?? text}\n`);
  if (id) process.stderr.write(`invocation: ${id}\n`);
  return EXIT_FAILED;
}

function readInput(input: string | undefined): string | undefined {
  if (input === undefined) return undefined;
  let text = input;
  if (input.startsWith("@")) {
    try {
      text = readFileSync(input === "@-" ? 0 : input.slice(1), "utf8");
    } catch (e) {
      throw new UserError("BAD_INPUT", `cannot read ${input.slice(1)}: ${(e as Error).message}`, "pass JSON inline, @file.json, or @- for stdin");
    }
  }
  try {
    JSON.parse(text);
  } catch (e) {
    throw new UserError("BAD_INPUT", `the input is not valid JSON: ${(e as Error).message}`, `quote it for the shell, e.g. '{"productId":"p1"}'`);
  }
  return text;
}

/** What to do about a request the ingress refused, in the terms of the command line. */
function rejection(status: number, err: { message?: string }, text: string, parts: string[], keyFlag: boolean): UserError {
  const message = err.message ?? text;
  const [service, ...rest] = parts;
  if (status === 400 && /^bad path/.test(message)) {
    // The ingress resolved the service: with two parts it wants a key, with three it wants none.
    if (parts.length === 2) {
      return new UserError("MISSING_KEY", `'${service}' is a virtual object or workflow: the target needs a key`, `call it as ${service}/<key>/${rest[0]}, or pass --key <key>`);
    }
    return new UserError("UNEXPECTED_KEY", `'${service}' is a service: it has no keys${keyFlag ? " (drop --key)" : ""}`, `call it as ${service}/${rest[rest.length - 1]}`);
  }
  if (status === 404) {
    return new UserError("NOT_FOUND", message, "'restate-dev invoke' without a target lists the handlers");
  }
  return new UserError("REJECTED", `the ingress refused the request: [${status}] ${message}`, "'restate-dev invoke --help' shows the target shapes and options");
}
