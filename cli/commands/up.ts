/** `restate-dev up [dir]`: bundle the project and serve it until Ctrl-C. */
import { relative, resolve } from "node:path";
import { startRuntime } from "../../runtime/runtime.js";
import { UserError } from "../../runtime/errors.js";
import { parseDelay } from "../../runtime/ingress/duration.js";
import { isLoopbackHostname } from "../../runtime/ingress/guard.js";
import { projectBackend, type McpBackend } from "../mcp/backend.js";
import type { Handler } from "../../runtime/ingress/http.js";

export interface UpOptions {
  dir?: string;
  entry?: string;
  ingressPort?: string;
  adminPort?: string;
  maxBodySize?: string;
  /** commander sets false for --no-watch. */
  watch?: boolean;
  host?: string;
  /** Repeatable flags, collected into arrays. */
  allowHost?: string[];
  allowOrigin?: string[];
  adminAllowOrigin?: string[];
  queryTimeout?: string;
}

export function parsePort(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError("BAD_PORT", `${flag} must be a port number (0-65535), got '${v}'`, `for example ${flag} 8080`);
  return n;
}

/** Parses sizes like 1048576, 512kb, 10mb. */
export function parseSize(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(v.trim());
  if (!m) throw new UserError("BAD_SIZE", `${flag} must be a size like 1048576, 512kb or 10mb, got '${v}'`, `for example ${flag} 10mb`);
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? "b").toLowerCase() as "b"];
  return Number(m[1]) * unit;
}

export function parseTimeout(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDelay(v);
  if (ms === undefined || ms <= 0) throw new UserError("BAD_DURATION", `${flag} must be a duration like 10s, 1m or 500ms, got '${v}'`, `for example ${flag} 30s`);
  return ms;
}

export async function up(dirArg: string | undefined, opts: UpOptions): Promise<void> {
  // Absolute: the runtime moves into the project once it starts (startRuntime).
  const projectDir = resolve(opts.dir ?? dirArg ?? ".");
  const ingressPort = parsePort(opts.ingressPort, "--ingress-port");
  const adminPort = parsePort(opts.adminPort, "--admin-port");
  const maxBodyBytes = parseSize(opts.maxBodySize, "--max-body-size");
  const queryTimeoutMs = parseTimeout(opts.queryTimeout, "--query-timeout");
  // A live dashboard on a terminal; plain lines when piped (or NO_DASHBOARD is set).
  // ink is loaded only for the dashboard: piped output stays light.
  const dashboard =
    process.stdout.isTTY && !process.env.CI && !process.env.NO_DASHBOARD ? (await import("../ui/dashboard.js")).startDashboard() : undefined;
  const log = dashboard ? dashboard.log : (line: string) => process.stdout.write(`${line}\n`);
  // `/mcp` on the admin port: the MCP tools over the runtime's own URLs, known once it listens.
  let mcpBackend: McpBackend | undefined;
  let runtime;
  // The runtime moves into the project (its workers' user code reads files from there).
  const launchedFrom = process.cwd();
  try {
    runtime = await startRuntime({
    projectDir,
    ...(opts.entry !== undefined ? { entry: opts.entry } : {}),
    ...(ingressPort !== undefined ? { ingressPort } : {}),
    ...(adminPort !== undefined ? { adminPort } : {}),
    ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
    ...(queryTimeoutMs !== undefined ? { queryTimeoutMs } : {}),
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    ...(opts.allowHost ? { allowHosts: opts.allowHost } : {}),
    ...(opts.allowOrigin ? { allowOrigins: opts.allowOrigin } : {}),
    ...(opts.adminAllowOrigin ? { adminAllowOrigins: opts.adminAllowOrigin } : {}),
    watch: opts.watch ?? true,
    adminMounts: { mcp: lazyMcp(() => mcpBackend) },
    log,
    ...(dashboard ? { output: (line: string) => dashboard.log(line) } : {}),
  });
  } catch (e) {
    dashboard?.stop();
    throw e;
  }
  mcpBackend = projectBackend({ dir: projectDir, adminUrl: runtime.adminUrl, ingressUrl: runtime.ingressUrl });
  dashboard?.ready({ ingressUrl: runtime.ingressUrl, adminUrl: runtime.adminUrl, services: runtime.services });
  const names = runtime.services.map((s) => `${s.name} (${s.handlers.map((h) => h.name).join(", ")})`);
  log(`services: ${names.join("; ")}`);
  if (opts.host !== undefined && !isLoopbackHostname(opts.host.includes(":") ? `[${opts.host}]` : opts.host)) {
    log(`warning: listening on ${opts.host}: whoever can reach this machine on it can call your handlers and the admin API (change state, kill invocations, run SQL)`);
  }
  log(`ingress: ${runtime.ingressUrl}`);
  log(`admin:   ${runtime.adminUrl}`);
  log(`mcp:     ${runtime.adminUrl}/mcp`);
  for (const line of readyHint(runtime.services, runtime.ingressUrl, relative(launchedFrom, runtime.identity.projectDir))) log(line);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping; unfinished invocations resume at the next 'restate-dev up'`);
      void runtime.stop().then(() => {
        dashboard?.stop();
        resolve();
      });
    };
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.once("SIGTERM", () => shutdown("SIGTERM"));
  });
}

/**
 * How to call a handler. Its input is not known (a wrong guess answers 400, or
 * worse, runs a side effect with made-up data), so the line shows where it goes.
 */
export function readyHint(services: Array<{ name: string; ty: string; handlers: Array<{ name: string }> }>, ingressUrl: string, projectFromCwd: string): string[] {
  const s = services[0];
  const h = s?.handlers[0]?.name;
  if (!s || !h) return ["ready"];
  const target = s.ty === "SERVICE" ? `${s.name}/${h}` : `${s.name}/<key>/${h}`;
  const dir = projectFromCwd ? ` --dir ${projectFromCwd}` : "";
  return [
    `ready: call a handler with  restate-dev invoke ${target} '<input as JSON>'${dir}   (without a target it lists them all)`,
    `       or with curl         curl -X POST ${ingressUrl}/${target} -H 'content-type: application/json' -d '<input as JSON>'`,
  ];
}

/** The MCP server (its SDK and schemas) loads on the first /mcp request: a runtime nobody asks stays light. */
function lazyMcp(backend: () => McpBackend | undefined): Handler {
  let handler: Promise<Handler> | undefined;
  return async (req) => {
    handler ??= import("../mcp/http.js").then((m) => m.mcpHttpHandler(backend));
    return (await handler)(req);
  };
}
