/**
 * `POST /query {"query": "SQL"}` → `{"rows": [...]}` for `Accept:
 * application/json`, else (Restate's default, which the `restate` CLI reads for
 * `*\/*`) an Apache Arrow IPC stream. Statements run one at a time in a child
 * process on a read-only connection, so user SQL never stalls the engine's
 * event loop; one that runs past the timeout is killed (SQLite cannot be
 * interrupted from better-sqlite3, so a thread could not be stopped) and the
 * next query gets a fresh process. Without the compiled worker file (running
 * from TypeScript sources), queries run in-process instead.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { header, type HttpRequest, type HttpResponse } from "../ingress/http.js";
import type { ServiceManifest } from "../../sdk/worker/protocol.js";
import { executeQuery, prepareQueryConnection, type QueryFormat, type QueryOutcome, type ServiceRow } from "./query_exec.js";
import { adminError, bodyJson, isRecord } from "./shape.js";

const WORKER_FILE = fileURLToPath(new URL("./query_worker.js", import.meta.url));
const MAX_HEAP_MB = 512;
const SERVICE_TY = { SERVICE: "service", VIRTUAL_OBJECT: "virtual_object", WORKFLOW: "workflow" } as const;

export interface QueryRunnerOptions {
  dbFile: string;
  /** The rows of sys_service (serviceRow() makes one from a manifest). */
  services: () => ServiceRow[];
  /** Default 30 s. */
  timeoutMs?: number;
}

/** A sys_service row of a manifest, without its deployment. */
export function serviceRow(s: ServiceManifest): ServiceRow {
  return { name: s.name, ty: SERVICE_TY[s.ty], public: s.options.ingressPrivate === true ? 0 : 1, revision: 1, deployment_id: null };
}

/**
 * JSON when the client asks for it (Accept names application/json) or sends no
 * Accept at all; else Arrow, as Restate (curl's and fetch's default `*\/*` too).
 */
export function wantsJson(req: HttpRequest): boolean {
  const accept = header(req, "accept");
  return accept === undefined || /application\/json/i.test(accept);
}

interface Current {
  id: number;
  done: (o: QueryOutcome) => void;
}

export class QueryRunner {
  private worker: ChildProcess | undefined;
  private current: Current | undefined;
  private local: Database.Database | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private readonly timeoutMs: number;

  constructor(private readonly opts: QueryRunnerOptions) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  async route(req: HttpRequest): Promise<HttpResponse> {
    const parsed = bodyJson(req.body);
    const sql = parsed.ok && isRecord(parsed.value) ? parsed.value.query : undefined;
    if (typeof sql !== "string") {
      return adminError(400, `the body must be JSON like {"query": "SELECT id, status FROM sys_invocation"}`);
    }
    const format: QueryFormat = wantsJson(req) ? "json" : "arrow";
    const out = await this.run(sql, format);
    const arrow = out.status === 200 && format === "arrow";
    return { status: out.status, headers: { "content-type": arrow ? "application/vnd.apache.arrow.stream" : "application/json" }, body: out.body };
  }

  /** Runs one statement after the ones before it. */
  run(sql: string, format: QueryFormat = "json"): Promise<QueryOutcome> {
    const next = this.queue.then(() => this.runOne(sql, format));
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.dropWorker();
    this.local?.close();
    this.local = undefined;
  }

  private runOne(sql: string, format: QueryFormat): Promise<QueryOutcome> {
    const services = this.opts.services();
    if (!existsSync(WORKER_FILE)) return Promise.resolve(executeQuery(this.localDb(), sql, services, format));
    let worker: ChildProcess;
    try {
      worker = this.ensureWorker();
    } catch (e) {
      return Promise.resolve(outcome(500, `could not start the query process: ${(e as Error).message}`));
    }
    return new Promise((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.dropWorker();
        this.current?.done(outcome(400, `the query did not finish within ${this.timeoutMs / 1000} s and was stopped; narrow it with WHERE or LIMIT`));
      }, this.timeoutMs);
      this.current = {
        id,
        done: (o) => {
          clearTimeout(timer);
          this.current = undefined;
          resolve(o);
        },
      };
      worker.send({ id, sql, services, format });
    });
  }

  private ensureWorker(): ChildProcess {
    if (this.worker) return this.worker;
    const w = fork(WORKER_FILE, [this.opts.dbFile], {
      execArgv: [`--max-old-space-size=${MAX_HEAP_MB}`],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
    });
    // Neither the process nor its pipes keep the runtime alive; it exits when the runtime does.
    w.unref();
    w.channel?.unref();
    let stderr = "";
    let outOfMemory = false;
    w.stderr?.on("data", (d: Buffer) => {
      const text = d.toString();
      if (/heap limit|heap out of memory/i.test(text)) outOfMemory = true;
      if (stderr.length < 2000) stderr += text;
    });
    (w.stderr as { unref?: () => void } | null)?.unref?.();
    w.on("message", (m: { id: number } & QueryOutcome) => {
      if (this.current?.id === m.id) this.current.done({ status: m.status, body: typeof m.body === "string" ? m.body : Buffer.from(m.body) });
    });
    w.on("error", (e) => {
      if (this.worker === w) this.worker = undefined;
      this.current?.done(outcome(500, `the query process failed: ${e.message}`));
    });
    w.on("exit", (code, signal) => {
      if (this.worker === w) this.worker = undefined;
      this.current?.done(
        outOfMemory
          ? outcome(400, `the query's result is too large (over ${MAX_HEAP_MB} MB); select fewer columns or add a LIMIT`)
          : outcome(500, `the query process ended (${signal ?? `exit code ${code}`}) before answering${stderr ? `: ${stderr.trim().split("\n")[0]}` : ""}; try again`),
      );
    });
    this.worker = w;
    return w;
  }

  private dropWorker(): void {
    const w = this.worker;
    this.worker = undefined;
    if (w) {
      w.removeAllListeners();
      w.kill("SIGKILL");
    }
  }

  private localDb(): Database.Database {
    if (!this.local) {
      this.local = new Database(this.opts.dbFile, { readonly: true, fileMustExist: true });
      prepareQueryConnection(this.local);
    }
    return this.local;
  }
}

function outcome(status: number, message: string): QueryOutcome {
  return { status, body: JSON.stringify({ message, restate_code: null }) };
}
