/**
 * The admin API's read routes over a project's SQLite file while no runtime
 * runs (post-mortem inspection by the CLI): the same route code as the live
 * admin API (invocations.ts, state.ts, query.ts over reads.ts), on read-only
 * connections, so the answers have the same shapes. Routes that change
 * something, or need what only a running runtime knows (its services'
 * manifests), answer 503 saying that `restate-dev up` must run.
 *
 * Services live in the runtime's memory, not in the file; here they are
 * reconstructed from what the file holds (invocations and state): enough for
 * `sys_service` and for telling keyed services from plain ones.
 */
import Database from "better-sqlite3";
import type { Handler, HttpRequest, HttpResponse } from "../ingress/http.js";
import type { HandlerManifest, ServiceManifest } from "../../sdk/worker/protocol.js";
import { describeInvocation, listInvocations } from "./invocations.js";
import { readState, type ServiceDirectory } from "./state.js";
import { QueryRunner, serviceRow } from "./query.js";
import { AdminReads } from "./reads.js";
import { adminError, segmentHandler } from "./shape.js";
import { checkReadableSchema } from "../storage/db.js";

export interface OfflineAdmin {
  handler: Handler;
  /** Closes the read connections and the query process, if one was started. */
  close(): void;
}

const SERVICE_TY: Record<string, ServiceManifest["ty"]> = { service: "SERVICE", virtual_object: "VIRTUAL_OBJECT", workflow: "WORKFLOW" };
const HANDLER_TY: Record<string, NonNullable<HandlerManifest["ty"]>> = { exclusive: "EXCLUSIVE", shared: "SHARED", workflow: "WORKFLOW" };

export function offlineAdminApi(dbFile: string, opts: { queryTimeoutMs?: number } = {}): OfflineAdmin {
  checkReadableSchema(dbFile);
  const reads = new AdminReads(dbFile);
  const directory = new RecordedServices(dbFile);
  const query = new QueryRunner({ dbFile, services: () => directory.listServices().map(serviceRow), ...(opts.queryTimeoutMs ? { timeoutMs: opts.queryTimeoutMs } : {}) });
  const handler = segmentHandler((req, s) => dispatch(reads, directory, query, req, s), notRunning);

  return {
    handler,
    close: () => {
      query.close();
      reads.close();
      directory.close();
    },
  };
}

async function dispatch(reads: AdminReads, services: ServiceDirectory, query: QueryRunner, req: HttpRequest, s: string[]): Promise<HttpResponse | undefined> {
  const [head, a, b, c] = s;
  if (head === "query" && s.length === 1 && req.method === "POST") return query.route(req);
  if (head === "invocations" && req.method === "GET") {
    if (s.length === 1) return listInvocations(reads, req);
    if (s.length === 2) return describeInvocation(reads, a!);
  }
  if (head === "services" && b === "state" && s.length === 4 && req.method === "GET") return readState(services, reads, a!, c!);
  return undefined;
}

function notRunning(req: HttpRequest): HttpResponse {
  return adminError(
    503,
    `${req.method} ${req.path} needs a running runtime; without one only GET /invocations[/{id}], GET /services/{service}/state/{key} and POST /query ` +
      `answer (from the database file, read-only). Start it with 'restate-dev up'`,
  );
}

/** The services the database has seen, as manifests without options. */
class RecordedServices implements ServiceDirectory {
  private db: Database.Database | undefined;
  private cache: ServiceManifest[] | undefined;

  constructor(private readonly dbFile: string) {}

  listServices(): ServiceManifest[] {
    if (this.cache) return this.cache;
    this.db ??= new Database(this.dbFile, { readonly: true, fileMustExist: true });
    const byName = new Map<string, ServiceManifest>();
    const handlers = this.db
      .prepare(`SELECT DISTINCT service, service_type, handler, handler_type FROM invocations ORDER BY service, handler`)
      .all() as Array<{ service: string; service_type: string; handler: string; handler_type: string | null }>;
    for (const h of handlers) {
      let svc = byName.get(h.service);
      if (!svc) byName.set(h.service, (svc = { name: h.service, ty: SERVICE_TY[h.service_type] ?? "SERVICE", handlers: [], options: {} }));
      if (svc.handlers.some((x) => x.name === h.handler)) continue;
      const ty = h.handler_type ? HANDLER_TY[h.handler_type] : undefined;
      svc.handlers.push({ name: h.handler, ...(ty ? { ty } : {}), options: {} });
    }
    // State outlives purged invocations; only virtual objects and workflows have it.
    for (const { service } of this.db.prepare(`SELECT DISTINCT service FROM state ORDER BY service`).all() as Array<{ service: string }>) {
      if (!byName.has(service)) byName.set(service, { name: service, ty: "VIRTUAL_OBJECT", handlers: [], options: {} });
    }
    this.cache = [...byName.values()].sort((x, y) => x.name.localeCompare(y.name));
    return this.cache;
  }

  service(name: string): ServiceManifest | undefined {
    return this.listServices().find((s) => s.name === name);
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}
