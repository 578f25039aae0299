/**
 * The admin API (127.0.0.1:9070 by default), mirroring Restate's where it has
 * one. This module only dispatches; each concern has its own module:
 * services.ts (service manifests), invocations.ts (reading and operator
 * actions), state.ts (state and keys), query.ts (SQL over the introspection views),
 * deployments.ts (one per build), rules.ts (concurrency limits), version.ts.
 * Every route is also served under Restate's versioned prefixes (`/v4/services`
 * …), which the `restate` CLI uses.
 */
import type { Engine } from "../engine/engine.js";
import type { Handler, HttpRequest, HttpResponse } from "../ingress/http.js";
import { servicesRoute } from "./services.js";
import { deleteInvocation, describeInvocation, invocationAction, listInvocations } from "./invocations.js";
import { clearState, keyStatus, readState, replaceState, setStateValue } from "./state.js";
import { QueryRunner, serviceRow } from "./query.js";
import type { ServiceRow } from "./query_exec.js";
import { AdminReads } from "./reads.js";
import { adminError, segmentHandler } from "./shape.js";
import type { JournalCheckLog } from "./journal_check.js";
import { deploymentsRoute } from "./deployments.js";
import { bulkDeleteRules, putRules, type RulesDeps } from "./rules.js";
import { versionRoute } from "./version.js";
import type { Deployments } from "../deployments.js";
import type { RuleBook } from "../engine/rule_book.js";

export interface AdminApiOptions {
  /** The runtime's SQLite file; the admin API reads it on its own read-only connections. */
  dbFile: string;
  /** How long a `POST /query` may run; default 10 s. */
  queryTimeoutMs?: number;
  /** Where that limit is set, named in the timeout error. */
  queryTimeoutSetting?: string;
  /** The last reload's journal check, served at `GET /journal-check`. */
  journalCheck?: JournalCheckLog;
  /**
   * Handlers mounted under a first path segment (`{ mcp: h }` serves `/mcp`):
   * routes the runtime does not implement itself (the CLI's MCP server), inside
   * this handler so that whatever wraps the admin API wraps them too.
   */
  mounts?: Record<string, Handler>;
  deployments: Deployments;
  rules: RuleBook;
  /** The ingress's base URL, which `GET /version` advertises. */
  ingressUrl: string;
}

export interface AdminApi {
  handler: Handler;
  /** Closes the read connections and the query worker. */
  close(): void;
}

const ROUTES = [
  "GET /health",
  "GET /version",
  "GET /deployments[/{id}]",
  "GET /services[/{service}[/handlers[/{handler}]]]",
  "GET /services/{service}/state/{key}",
  "GET /services/{service}/keys/{key}",
  "POST /services/{service}/state",
  "PUT|DELETE /services/{service}/state/{key}/{name}",
  "DELETE /services/{service}/state/{key}",
  "GET /invocations[?service=&handler=&key=&status=&limit=]",
  "GET /invocations/{id}",
  "PATCH /invocations/{id}/cancel|kill|pause|resume|purge|restart-as-new",
  "DELETE /invocations/{id}?mode=Cancel|Kill|Purge",
  "POST /query",
  "GET /journal-check",
  "PUT /limits/rules",
  "POST /limits/rules/bulk-delete",
  "(each also under /v1 … /v4, as Restate's)",
];

/** Restate's admin API versions the routes are served under. */
const API_PREFIX = /^v[1-4]$/;

export function adminApi(engine: Engine, opts: AdminApiOptions): AdminApi {
  const reads = new AdminReads(opts.dbFile);
  const query = new QueryRunner({
    dbFile: opts.dbFile,
    services: () => serviceRows(engine, opts.deployments),
    ...(opts.queryTimeoutMs ? { timeoutMs: opts.queryTimeoutMs } : {}),
    ...(opts.queryTimeoutSetting ? { timeoutSetting: opts.queryTimeoutSetting } : {}),
  });
  const ctx: Ctx = { engine, reads, query, opts, rules: { rules: opts.rules, durable: () => engine.durable() } };
  const handler = segmentHandler((req, s) => {
    const mounted = s[0] !== undefined && s.length === 1 ? opts.mounts?.[s[0]] : undefined;
    if (mounted) return mounted(req);
    if (s[0] === "journal-check" && s.length === 1 && req.method === "GET" && opts.journalCheck) return opts.journalCheck.route();
    return dispatch(ctx, req, API_PREFIX.test(s[0] ?? "") ? s.slice(1) : s);
  }, notFound);

  return {
    handler,
    close: () => {
      query.close();
      reads.close();
    },
  };
}

interface Ctx {
  engine: Engine;
  reads: AdminReads;
  query: QueryRunner;
  opts: AdminApiOptions;
  rules: RulesDeps;
}

async function dispatch(ctx: Ctx, req: HttpRequest, s: string[]): Promise<HttpResponse | undefined> {
  const { engine, reads, query, opts } = ctx;
  const m = req.method;
  const [head, a, b, c, d] = s;
  if (head === "health" && s.length === 1 && m === "GET") return { status: 200 };
  if (head === "version" && s.length === 1 && m === "GET") return versionRoute(opts.ingressUrl);
  if (head === "query" && s.length === 1 && m === "POST") return query.route(req);
  if (head === "deployments" && m === "GET") return deploymentsRoute(opts.deployments, s, () => engine.pinnedInvocations(), engine.latestDeployment());
  if (head === "limits" && a === "rules") {
    if (s.length === 2 && m === "PUT") return putRules(ctx.rules, req);
    if (s.length === 3 && b === "bulk-delete" && m === "POST") return bulkDeleteRules(ctx.rules, req);
  }

  if (head === "services") {
    if (b === "state" && s.length === 4 && m === "GET") return readState(engine, reads, a!, c!);
    if (b === "state" && s.length === 3 && m === "POST") return replaceState(engine, a!, req);
    if (b === "state" && s.length === 5 && m === "PUT") return setStateValue(engine, a!, c!, d!, req);
    if (b === "state" && (s.length === 4 || s.length === 5) && m === "DELETE") return clearState(engine, a!, c!, d);
    if (b === "keys" && s.length === 4 && m === "GET") return keyStatus(engine, a!, c!);
    if (b !== "state" && b !== "keys" && m === "GET") return servicesRoute(engine, s, origin(opts.deployments));
    return undefined;
  }

  if (head === "invocations") {
    if (s.length === 1 && m === "GET") return listInvocations(reads, req);
    if (s.length === 2 && m === "GET") return describeInvocation(reads, a!);
    if (s.length === 2 && m === "DELETE") return deleteInvocation(engine, a!, req);
    if (s.length === 3 && m === "PATCH") return invocationAction(engine, reads, a!, b!, req, opts.deployments);
  }
  return undefined;
}

function notFound(req: HttpRequest): HttpResponse {
  return adminError(404, `no admin route for ${req.method} ${req.path}; the routes are: ${ROUTES.join("; ")}`);
}

function origin(deployments: Deployments) {
  return (service: string) => {
    const found = deployments.ofService(service);
    return found ? { deploymentId: found.deployment.id, revision: found.revision } : undefined;
  };
}

function serviceRows(engine: Engine, deployments: Deployments): ServiceRow[] {
  return engine.listServices().map((s) => {
    const found = deployments.ofService(s.name);
    return { ...serviceRow(s), revision: found?.revision ?? 1, deployment_id: found?.deployment.id ?? null };
  });
}
