/**
 * An engine on a real SQLite file in a temporary directory, with a worker link
 * that records what the engine sends it (no process): for port-free tests of
 * the ingress and admin routes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../../../runtime/engine/engine.js";
import { openDatabase, type Db } from "../../../runtime/storage/db.js";
import type { HttpRequest } from "../../../runtime/ingress/http.js";
import type { WorkerLink } from "../../../runtime/workers/link.js";
import { WorkerSeam } from "../../../runtime/workers/seam.js";
import type { ServiceManifest, ToWorker } from "../../../sdk/worker/protocol.js";

export const SERVICES: ServiceManifest[] = [
  { name: "greeter", ty: "SERVICE", options: {}, handlers: [{ name: "greet", options: {} }] },
  { name: "counter", ty: "VIRTUAL_OBJECT", options: {}, handlers: [{ name: "add", ty: "EXCLUSIVE", options: {} }, { name: "get", ty: "SHARED", options: {} }] },
];

export class RecordingLink implements WorkerLink {
  readonly sent: ToWorker[] = [];
  alive = true;
  constructor(readonly id: number) {}
  send(msg: ToWorker): void {
    this.sent.push(msg);
  }
  stop(): void {
    this.alive = false;
  }
}

export interface EngineFixture {
  engine: Engine;
  worker: RecordingLink;
  seam: WorkerSeam;
  db: Db;
  dbFile: string;
  close(): void;
}

export function engineFixture(): EngineFixture {
  const dir = mkdtempSync(join(tmpdir(), "restate-dev-unit-"));
  const dbFile = join(dir, "runtime.db");
  const db = openDatabase(dbFile);
  const seam = new WorkerSeam();
  const engine = new Engine({ db, log: () => {}, workers: seam, onFatal: (e) => { throw e; } });
  const worker = new RecordingLink(1);
  seam.connect(worker);
  engine.workerReady(worker, SERVICES);
  return {
    engine,
    worker,
    seam,
    db,
    dbFile,
    close: () => {
      engine.stop();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function request(method: string, target: string, body: string | Uint8Array = "", headers: Record<string, string> = {}): HttpRequest {
  const url = new URL(target, "http://127.0.0.1");
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: { host: "127.0.0.1", ...headers },
    body: typeof body === "string" ? new TextEncoder().encode(body) : body,
  };
}

export function text(body: Uint8Array | string | undefined): string {
  return typeof body === "string" ? body : new TextDecoder().decode(body ?? new Uint8Array());
}
