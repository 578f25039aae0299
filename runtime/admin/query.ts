/**
 * `POST /query {"query": "SQL"}` → `{"rows": [...]}` for `Accept:
 * application/json` (or no Accept), else (Restate's default, which the `restate`
 * CLI reads for `*\/*`) an Apache Arrow IPC stream. Statements run in child processes, each
 * with its own read-only connection, so user SQL never stalls the engine's
 * event loop nor its writes (WAL readers do not block the writer).
 *
 * Bounds, so that no query can wedge the endpoint or the machine:
 * - time: a statement still running after `timeoutMs` is stopped by killing
 *   its process (SQLite cannot be interrupted from better-sqlite3, so a
 *   thread could not be stopped); the next query gets a fresh process;
 * - size: the result is counted as rows are produced (query_exec.ts), and a
 *   process whose memory passes its limit ends itself (query_worker.ts);
 * - waiting: `parallel` statements run at once, each in its own process; up
 *   to `maxWaiting` more wait for a free one, and beyond that the answer is
 *   503 with Retry-After. A wait is bounded by the running ones' time limits.
 *
 * Without the compiled worker file (running from TypeScript sources), queries
 * run in-process instead, one at a time and without a time limit.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { header, type HttpRequest, type HttpResponse } from "../ingress/http.js";
import type { ServiceManifest } from "../../sdk/worker/protocol.js";
import { DEFAULT_MAX_RESULT_BYTES, executeQuery, MEMORY_MARKER, prepareQueryConnection, tooLarge, type QueryFormat, type QueryOutcome, type ServiceRow } from "./query_exec.js";
import { adminError, bodyJson, isRecord } from "./shape.js";

const WORKER_FILE = fileURLToPath(new URL("./query_worker.js", import.meta.url));
const MAX_HEAP_MB = 512;
/** A query process's whole memory (heap, SQLite, buffers); well above what a result at the size limit needs. */
const MAX_RSS_BYTES = 768 * 1024 * 1024;
/** Lower priority (Unix nice value) of the query processes. */
const QUERY_NICENESS = 10;
const SERVICE_TY = { SERVICE: "service", VIRTUAL_OBJECT: "virtual_object", WORKFLOW: "workflow" } as const;

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

export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

export interface QueryRunnerOptions {
  dbFile: string;
  /** The rows of sys_service (serviceRow() makes one from a manifest). */
  services: () => ServiceRow[];
  /** How long a statement may run; default 10 s. */
  timeoutMs?: number;
  /** Where the time limit is set, named in the error (e.g. "restate-dev up --query-timeout"). */
  timeoutSetting?: string;
  /** Largest result, as JSON bytes; default 32 MiB. */
  maxResultBytes?: number;
  /** Statements that run at once, each in its own process; default 2. */
  parallel?: number;
  /** Statements that may wait for a free process; beyond that, 503. Default 4. */
  maxWaiting?: number;
}

/** An answer, with Retry-After (seconds) when the endpoint is busy. */
export type QueryAnswer = QueryOutcome & { retryAfterS?: number };

interface Running {
  id: number;
  deadline: number;
  done: (o: QueryOutcome) => void;
}

/** One query process and the statement it runs. */
interface Slot {
  worker?: ChildProcess;
  running?: Running;
  /** Stops the worker once it has answered nothing for a while (see QUERY_PROCESS_IDLE_MS). */
  idle?: NodeJS.Timeout;
}

/**
 * A query process (~50 MiB) that answered nothing for this long is stopped:
 * queries come in bursts (a `sql` session, the restate CLI), and the next one
 * starts a process again in a few tens of milliseconds.
 */
const idleSetting = Number(process.env.RESTATE_DEV_QUERY_IDLE_MS);
const QUERY_PROCESS_IDLE_MS = idleSetting > 0 ? idleSetting : 30_000;

interface Waiting {
  sql: string;
  format: QueryFormat;
  resolve: (o: QueryAnswer) => void;
}

export class QueryRunner {
  private readonly slots: Slot[];
  private readonly waiting: Waiting[] = [];
  private local: Database.Database | undefined;
  private nextId = 1;
  private readonly timeoutMs: number;
  private readonly maxResultBytes: number;
  private readonly maxWaiting: number;
  private closed = false;

  constructor(private readonly opts: QueryRunnerOptions) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.maxResultBytes = opts.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
    this.maxWaiting = opts.maxWaiting ?? 4;
    this.slots = Array.from({ length: Math.max(1, opts.parallel ?? 2) }, () => ({}));
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
    const headers: Record<string, string> = { "content-type": arrow ? "application/vnd.apache.arrow.stream" : "application/json" };
    if (out.retryAfterS !== undefined) headers["retry-after"] = String(out.retryAfterS);
    return { status: out.status, headers, body: out.body };
  }

  /** Runs one statement as soon as a query process is free. */
  run(sql: string, format: QueryFormat = "json"): Promise<QueryAnswer> {
    if (!existsSync(WORKER_FILE)) return Promise.resolve(executeQuery(this.localDb(), sql, this.opts.services(), format, this.maxResultBytes));
    const free = this.slots.find((s) => s.running === undefined);
    if (free && this.waiting.length === 0) return this.start(free, sql, format);
    if (this.waiting.length >= this.maxWaiting) return Promise.resolve(this.busy());
    return new Promise((resolve) => this.waiting.push({ sql, format, resolve }));
  }

  close(): void {
    this.closed = true;
    for (const slot of this.slots) {
      this.dropWorker(slot);
      slot.running?.done(outcome(503, "the admin API is shutting down"));
    }
    for (const w of this.waiting.splice(0)) w.resolve(outcome(503, "the admin API is shutting down"));
    this.local?.close();
    this.local = undefined;
  }

  private start(slot: Slot, sql: string, format: QueryFormat): Promise<QueryOutcome> {
    clearTimeout(slot.idle);
    let worker: ChildProcess;
    try {
      worker = this.ensureWorker(slot);
    } catch (e) {
      queueMicrotask(() => this.startWaiting(slot));
      return Promise.resolve(outcome(500, `could not start the query process: ${(e as Error).message}`));
    }
    return new Promise((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.dropWorker(slot);
        const where = this.opts.timeoutSetting ? ` (the query time limit, set with ${this.opts.timeoutSetting})` : " (the query time limit)";
        running.done(outcome(400, `the query did not finish within ${seconds(this.timeoutMs)}${where} and was stopped; narrow it with WHERE or LIMIT`));
      }, this.timeoutMs);
      const running: Running = {
        id,
        deadline: Date.now() + this.timeoutMs,
        done: (o) => {
          if (slot.running !== running) return;
          clearTimeout(timer);
          slot.running = undefined;
          resolve(o);
          this.startWaiting(slot);
        },
      };
      slot.running = running;
      worker.send({ id, sql, services: this.opts.services(), format });
    });
  }

  private startWaiting(slot: Slot): void {
    const next = this.closed ? undefined : this.waiting.shift();
    if (next) void this.start(slot, next.sql, next.format).then(next.resolve);
    else if (slot.worker && !slot.running) {
      clearTimeout(slot.idle);
      slot.idle = setTimeout(() => {
        if (!slot.running) this.dropWorker(slot);
      }, QUERY_PROCESS_IDLE_MS).unref();
    }
  }

  private busy(): QueryAnswer {
    const soonest = Math.min(...this.slots.map((s) => s.running?.deadline ?? Date.now()));
    const retryAfterS = Math.max(1, Math.ceil((soonest - Date.now()) / 1000));
    return {
      ...outcome(503, `the query endpoint is busy: ${this.slots.length} queries are running and ${this.waiting.length} are waiting; retry in ${retryAfterS} s`),
      retryAfterS,
    };
  }

  private ensureWorker(slot: Slot): ChildProcess {
    if (slot.worker) return slot.worker;
    const w = fork(WORKER_FILE, [this.opts.dbFile, String(this.maxResultBytes), String(MAX_RSS_BYTES)], {
      execArgv: [`--max-old-space-size=${MAX_HEAP_MB}`],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
    });
    // The runtime's own work comes first: a runaway query gets what CPU is left.
    if (w.pid !== undefined) {
      try {
        setPriority(w.pid, QUERY_NICENESS);
      } catch {
        // not permitted here: the query just runs at normal priority
      }
    }
    // Neither the process nor its pipes keep the runtime alive; it exits when the runtime does.
    w.unref();
    w.channel?.unref();
    let stderr = "";
    let outOfMemory = false;
    w.stderr?.on("data", (d: Buffer) => {
      const text = d.toString();
      if (/heap limit|heap out of memory/i.test(text) || text.includes(MEMORY_MARKER)) outOfMemory = true;
      if (stderr.length < 2000) stderr += text;
    });
    (w.stderr as { unref?: () => void } | null)?.unref?.();
    w.on("message", (m: { id: number } & QueryOutcome) => {
      if (slot.running?.id === m.id) slot.running.done({ status: m.status, body: typeof m.body === "string" ? m.body : Buffer.from(m.body) });
    });
    w.on("error", (e) => {
      if (slot.worker === w) slot.worker = undefined;
      slot.running?.done(outcome(500, `the query process failed: ${e.message}`));
    });
    w.on("exit", (code, signal) => {
      if (slot.worker === w) slot.worker = undefined;
      // The watchdog's line may arrive after the exit event; the stream ends first.
      const report = () =>
        slot.running?.done(
          outOfMemory
            ? outcome(400, tooLarge(this.maxResultBytes))
            : outcome(500, `the query process ended (${signal ?? `exit code ${code}`}) before answering${stderr ? `: ${stderr.trim().split("\n")[0]}` : ""}; try again`),
        );
      if (w.stderr && !w.stderr.readableEnded) w.stderr.once("end", report);
      else report();
    });
    slot.worker = w;
    return w;
  }

  private dropWorker(slot: Slot): void {
    clearTimeout(slot.idle);
    const w = slot.worker;
    slot.worker = undefined;
    if (w) {
      w.removeAllListeners();
      w.stderr?.removeAllListeners();
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

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function outcome(status: number, message: string): QueryOutcome {
  return { status, body: JSON.stringify({ message, restate_code: null }) };
}
