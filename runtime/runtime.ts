/**
 * The runtime process: bundle, storage, engine, worker, ingress and admin API,
 * composed and torn down in reverse order.
 */
import { mkdirSync, rmSync, writeFileSync, existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Server } from "node:http";
import { bundle, findEntry } from "./build/bundle.js";
import { openDatabase } from "./storage/db.js";
import { Engine } from "./engine/engine.js";
import { WorkerPool } from "./workers/pool.js";
import { serveHttp } from "./ingress/http.js";
import { ingressError, ingressRoutes } from "./ingress/routes.js";
import { adminRoutes } from "./admin/routes.js";
import { acquireLock } from "./lock.js";
import { UserError } from "./errors.js";
import type { ServiceManifest } from "../sdk/worker/protocol.js";

export interface RuntimeOptions {
  projectDir: string;
  entry?: string;
  host?: string;
  /** Default 8080; 0 picks a free port. */
  ingressPort?: number;
  /** Default 9070; 0 picks a free port. */
  adminPort?: number;
  /** Request bodies above this get 413; default 10 MiB. */
  maxBodyBytes?: number;
  log?: (line: string) => void;
  /** User code's stdout/stderr lines. */
  output?: (line: string, stream: "stdout" | "stderr") => void;
}

export interface Runtime {
  ingressUrl: string;
  adminUrl: string;
  dataDir: string;
  engine: Engine;
  services: ServiceManifest[];
  stop(): Promise<void>;
}

export const DATA_DIR = ".restate-dev";

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const projectDir = resolve(opts.projectDir);
  if (!existsSync(projectDir) || !statSync(projectDir).isDirectory()) {
    throw new UserError("PROJECT_NOT_FOUND", `project directory ${projectDir} does not exist`, "pass the directory of a restate-dev project");
  }
  const log = opts.log ?? ((l: string) => console.log(l));
  const output = opts.output ?? ((l: string, s: "stdout" | "stderr") => (s === "stdout" ? process.stdout : process.stderr).write(l + "\n"));
  const host = opts.host ?? "127.0.0.1";
  const dataDir = join(projectDir, DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  const releasers: Array<() => void | Promise<void>> = [];
  const release = async () => {
    for (const r of releasers.reverse()) await r();
    releasers.length = 0;
  };
  try {
    releasers.push(acquireLock(dataDir));
    const entry = findEntry(projectDir, opts.entry);
    const built = await bundle(entry, join(dataDir, "build"));
    log(`built ${entry} in ${Math.round(built.millis)} ms`);

    const db = openDatabase(join(dataDir, "runtime.db"));
    releasers.push(() => {
      db.close();
    });
    const engine = new Engine({
      db,
      log,
      onFatal: (e) => {
        log(`fatal: could not write to ${join(dataDir, "runtime.db")}: ${e.message}; stopping (the next start recovers from what was committed)`);
        process.exitCode = 1;
        void release();
      },
    });
    releasers.push(() => engine.stop());

    const services = await new Promise<ServiceManifest[]>((resolveReady, rejectReady) => {
      let first = true;
      const pool = new WorkerPool(built.outfile, projectDir, {
        ready: (w, services) => {
          engine.workerReady(w, services);
          if (first) {
            first = false;
            resolveReady(services);
          }
        },
        loadError: (message, stack) => {
          if (first) {
            first = false;
            pool.stop();
            rejectReady(new UserError("LOAD_FAILED", `loading ${entry} failed: ${message}`, stack ? `at ${firstFrame(stack)}` : "fix the entry file and start again"));
          } else log(`worker failed to load the bundle: ${message}`);
        },
        message: (w, msg) => engine.onWorkerMessage(w, msg),
        exit: (w, description) => engine.workerExited(w, description),
        output,
      });
      releasers.push(() => pool.stop());
      pool.start();
    });

    const maxBodyBytes = opts.maxBodyBytes ?? 10 * 1024 * 1024;
    const tooLarge = (limit: number) => ingressError(413, `the request body is larger than the limit of ${limit} bytes`, "ingress");
    const ingress = await listen(ingressRoutes(engine), host, opts.ingressPort ?? 8080, maxBodyBytes, tooLarge, "ingress", "--ingress-port");
    releasers.push(() => closeServer(ingress));
    const admin = await listen(adminRoutes(engine), host, opts.adminPort ?? 9070, maxBodyBytes, tooLarge, "admin API", "--admin-port");
    releasers.push(() => closeServer(admin));

    const ingressUrl = `http://${host}:${port(ingress)}`;
    const adminUrl = `http://${host}:${port(admin)}`;
    const info = join(dataDir, "runtime.json");
    writeFileSync(info, JSON.stringify({ pid: process.pid, ingressUrl, adminUrl }, null, 2));
    releasers.push(() => rmSync(info, { force: true }));
    return { ingressUrl, adminUrl, dataDir, engine, services, stop: release };
  } catch (e) {
    await release();
    throw e;
  }
}

async function listen(
  handler: Parameters<typeof serveHttp>[0],
  host: string,
  p: number,
  maxBodyBytes: number,
  tooLarge: (n: number) => ReturnType<typeof ingressError>,
  what: string,
  flag: string,
): Promise<Server> {
  try {
    return await serveHttp(handler, { host, port: p, maxBodyBytes, tooLarge });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new UserError("PORT_IN_USE", `port ${p} on ${host} is already in use, so the ${what} cannot listen`, `stop what uses it, or pass ${flag} <port>`);
    }
    throw e;
  }
}

function port(s: Server): number {
  const a = s.address();
  return typeof a === "object" && a ? a.port : 0;
}

function closeServer(s: Server): Promise<void> {
  return new Promise((r) => {
    s.close(() => r());
    s.closeAllConnections();
  });
}

function firstFrame(stack: string): string {
  return stack.split("\n").find((l) => l.trim().startsWith("at "))?.trim().slice(3) ?? stack.split("\n")[0]!;
}
