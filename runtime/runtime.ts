/**
 * The runtime process: bundle, storage, engine, worker, ingress and admin API,
 * composed and torn down in reverse order.
 */
import { mkdirSync, rmSync, writeFileSync, existsSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Server } from "node:http";
import { Builder } from "./build/bundle.js";
import { findEntry } from "./build/entry.js";
import { SourceWatcher, sourcesOfChange } from "./build/watch.js";
import type { WorkerLink } from "./workers/link.js";
import { openDatabase } from "./storage/db.js";
import { Engine, type ReloadFinding } from "./engine/engine.js";
import { WorkerPool } from "./workers/pool.js";
import { WorkerSeam } from "./workers/seam.js";
import { serveHttp } from "./ingress/http.js";
import { checkGuardPolicy, guard, isLoopbackHostname, type GuardPolicy } from "./ingress/guard.js";
import { ingressError, ingressRoutes } from "./ingress/routes.js";
import { adminApi } from "./admin/routes.js";
import { adminError } from "./admin/shape.js";
import { JournalCheckLog } from "./admin/journal_check.js";
import type { Handler } from "./ingress/http.js";
import { Deployments } from "./deployments.js";
import { PinnedBuilds } from "./pinned_builds.js";
import { acquireLock } from "./lock.js";
import { adminWithIdentity, identityJson, ingressWithIdentity, newIdentity, type RuntimeIdentity } from "./identity.js";
import { UserError } from "./errors.js";
import { Releasers } from "./releasers.js";
import { storageError } from "./storage/storage_errors.js";
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
  /** Rebuild and reload on source changes (default true). */
  watch?: boolean;
  /** Host names both ports accept besides loopback ones (`--allow-host`). */
  allowHosts?: string[];
  /** Web origins the ingress accepts besides loopback ones (`--allow-origin`; `*` for any). */
  allowOrigins?: string[];
  /** Web origins the admin API accepts besides loopback ones (`--admin-allow-origin`). */
  adminAllowOrigins?: string[];
  /** How long a `POST /query` statement may run; default 10 s. */
  queryTimeoutMs?: number;
  /** Extra admin API routes by first path segment, e.g. `{ mcp }` for `/mcp` (see AdminApiOptions.mounts). */
  adminMounts?: Record<string, Handler>;
}

export interface Runtime {
  ingressUrl: string;
  adminUrl: string;
  dataDir: string;
  identity: RuntimeIdentity;
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
  const guards = portGuards(opts, host);

  // Released once, newest first, whoever asks first (a stop, or a failed write): later calls share it.
  const releasers = new Releasers();
  const release = () => releasers.release();
  try {
    mkdirSync(dataDir, { recursive: true });
    releasers.add(acquireLock(dataDir));
    const entry = findEntry(projectDir, opts.entry);
    const builder = new Builder(entry, join(dataDir, "build"), projectDir);
    releasers.add(() => builder.dispose());
    const built = await builder.build();
    log(`built ${relative(projectDir, entry)} in ${Math.round(built.millis)} ms`);

    const db = openDatabase(join(dataDir, "runtime.db"));
    releasers.add(() => {
      // A clean stop leaves everything in runtime.db itself, not in its -wal file.
      try {
        db.pragma("wal_checkpoint(TRUNCATE)");
      } catch {
        // a full disk or a failed write: the WAL stays, and the next start replays it
      }
      db.close();
    });
    // RESTATE_DEV_RELOAD_DEADLINE_MS: how long a replaced build's attempts may finish a ctx.run (default 10 s).
    const reloadDeadline = Number(process.env.RESTATE_DEV_RELOAD_DEADLINE_MS);
    // Workers speak to the engine through this seam, both ways; the pool only manages their processes.
    const seam = new WorkerSeam();
    const engine = new Engine({
      db,
      workers: seam,
      log,
      ...(reloadDeadline > 0 ? { defaults: { reloadDeadlineMs: reloadDeadline } } : {}),
      onFatal: (e) => {
        const known = storageError(e, dataDir);
        log(`fatal: could not write to ${join(dataDir, "runtime.db")}: ${known?.message ?? e.message}; stopping (the next start recovers from what was committed)${known?.hint ? `\n  hint: ${known.hint}` : ""}`);
        process.exitCode = 2;
        // Waiting clients were answered 503 just now: let those answers go out first.
        setTimeout(() => void release(), 100);
      },
    });
    releasers.add(() => engine.stop());
    const deployments = new Deployments(db, { enqueue: (w) => engine.write(w) }, () => engine.now());
    const pinned = new PinnedBuilds(dataDir, deployments, engine, builder, log);
    engine.hostDeployments(pinned);
    // Bundles of earlier runs stay only if something unfinished is pinned to them.
    const keep = pinned.pinnedBundles();
    builder.prune(new Set([...keep, built.outfile]));
    pinned.dropUnpinned(keep);

    // User code runs in worker threads of this process, and reads files relative to the
    // project as it would when started there: every path the runtime keeps is absolute.
    process.chdir(projectDir);
    let pool!: WorkerPool;
    const services = await new Promise<ServiceManifest[]>((resolveReady, rejectReady) => {
      let first = true;
      let adopted = false;
      // A respawn while the first start still checks journals: it takes over once that is done.
      let respawned: { w: WorkerLink; services: ServiceManifest[] } | undefined;
      pool = new WorkerPool(built.outfile, seam, {
        ready: (w, services) => {
          if (!first) {
            if (adopted) engine.workerReady(w, services, deployments.latest()?.id);
            else respawned = { w, services };
            return;
          }
          first = false;
          // A start is a reload from the builds the recovered invocations ran on.
          void (async () => {
            const findings = await engine.checkJournals(w, (d) => deployments.get(d)?.bundleHash === built.hash);
            const d = deployments.record(services, { file: pinned.relativeBundle(built.outfile), hash: built.hash });
            const decided = engine.adopt(w, services, d.id, findings);
            pinned.stayed(decided.flatMap((f) => (f.stays ? [f.stays] : [])));
            adopted = true;
            if (respawned) engine.workerReady(respawned.w, respawned.services, d.id);
            for (const line of describeFindings(decided)) log(line);
            resolveReady(services);
          })().catch(rejectReady);
        },
        loadError: (message, stack) => {
          if (first) {
            first = false;
            pool.stop();
            rejectReady(new UserError("LOAD_FAILED", `loading ${entry} failed: ${message}`, stack ? `at ${firstFrame(stack)}` : "fix the entry file and start again"));
          } else log(`worker failed to load the bundle: ${message}`);
        },
        output,
      });
      releasers.add(() => pool.stop());
      pinned.usePool(pool);
      pool.start();
    });

    const journalCheck = new JournalCheckLog();
    if (opts.watch ?? true) {
      const reload = reloader({ builder, pool, engine, deployments, pinned, log, journalCheck, projectDir, firstInputs: built.inputs });
      const watcher = new SourceWatcher(projectDir, (files) => void reload(files));
      await watcher.start();
      releasers.add(() => watcher.stop());
    }

    const maxBodyBytes = opts.maxBodyBytes ?? 10 * 1024 * 1024;
    const tooLarge = (limit: number) => ingressError(413, `the request body is larger than the limit of ${limit} bytes`, "ingress");
    const identity = newIdentity(projectDir);
    const ingress = await listen(guard(ingressWithIdentity(ingressRoutes(engine), identity), guards.ingress), host, opts.ingressPort ?? 8080, maxBodyBytes, tooLarge, "ingress", "--ingress-port");
    releasers.add(() => closeServer(ingress));
    const adminHandlers = adminApi(engine, {
      dbFile: join(dataDir, "runtime.db"),
      ...(opts.queryTimeoutMs !== undefined ? { queryTimeoutMs: opts.queryTimeoutMs } : {}),
      queryTimeoutSetting: "restate-dev up --query-timeout",
      journalCheck,
      ...(opts.adminMounts ? { mounts: opts.adminMounts } : {}),
      deployments,
      rules: engine.rules,
      ingressUrl: `http://${host}:${port(ingress)}/`,
    });
    releasers.add(() => adminHandlers.close());
    const admin = await listen(guard(adminWithIdentity(adminHandlers.handler, identity), guards.admin), host, opts.adminPort ?? 9070, maxBodyBytes, tooLarge, "admin API", "--admin-port");
    releasers.add(() => closeServer(admin));

    const ingressUrl = `http://${host}:${port(ingress)}`;
    const adminUrl = `http://${host}:${port(admin)}`;
    identity.ingressUrl = ingressUrl;
    identity.adminUrl = adminUrl;
    const info = join(dataDir, "runtime.json");
    // camelCase urls and pid as before (scripts and the test helpers read them), plus the identity.
    writeFileSync(info, JSON.stringify({ pid: process.pid, ingressUrl, adminUrl, ...identityJson(identity) }, null, 2));
    releasers.add(() => rmSync(info, { force: true }));
    return { ingressUrl, adminUrl, dataDir, identity, engine, services, stop: release };
  } catch (e) {
    await release().catch(() => undefined);
    throw storageError(e, dataDir) ?? e;
  }
}

/**
 * Both ports refuse web pages that are not on loopback origins and requests
 * addressed to other host names (DNS rebinding); see ingress/guard.ts. Checked
 * before anything starts, so a bad flag fails at once. The address the ports
 * are bound to is allowed too, so the URLs in runtime.json work (an address,
 * unlike a name, cannot be rebound).
 */
function portGuards(opts: RuntimeOptions, host: string): { ingress: GuardPolicy; admin: GuardPolicy } {
  const bound = host.includes(":") ? `[${host}]` : host;
  const allowHosts = [...(opts.allowHosts ?? []), ...(isLoopbackHostname(bound) ? [] : [bound])];
  const ingress: GuardPolicy = {
    allowHosts,
    allowOrigins: opts.allowOrigins ?? [],
    originFlag: "--allow-origin",
    error: (status, message) => ingressError(status, message, "ingress"),
  };
  const admin: GuardPolicy = {
    allowHosts,
    allowOrigins: opts.adminAllowOrigins ?? [],
    originFlag: "--admin-allow-origin",
    jsonBodiesOnly: true,
    error: adminError,
  };
  checkGuardPolicy(ingress);
  checkGuardPolicy(admin);
  return { ingress, admin };
}

/**
 * A source changed: rebuild, load the build in a new worker, check every
 * in-flight journal against it, then switch over: what the new code follows
 * moves to it, the rest stays on its build (engine.adopt). One reload at a
 * time; a change during a reload triggers one more.
 */
const CONFIG_FILES = ["package.json", "tsconfig.json"];

function reloader(ctx: {
  builder: Builder;
  pool: WorkerPool;
  engine: Engine;
  deployments: Deployments;
  pinned: PinnedBuilds;
  log: (l: string) => void;
  journalCheck: JournalCheckLog;
  projectDir: string;
  firstInputs: string[];
}) {
  const { builder, pool, engine, log } = ctx;
  let running = false;
  let again: string[] | undefined;
  // Only files the bundle is made of (or project config) trigger a reload; after
  // a failed build any change may be the fix.
  let inputs: Set<string> | undefined = new Set(ctx.firstInputs);
  const relevant = (files: string[]) =>
    inputs === undefined || files.some((f) => inputs!.has(resolve(ctx.projectDir, f)) || CONFIG_FILES.includes(f));
  const once = async (files: string[]) => {
    if (!relevant(files)) return;
    let built;
    try {
      built = await builder.build();
    } catch (e) {
      const changed = sourcesOfChange(files, ctx.projectDir, [inputs], CONFIG_FILES);
      inputs = undefined;
      log(`build failed after a change to ${changed.join(", ")}; the last good build keeps serving:\n${(e as Error).message}`);
      return;
    }
    const before = inputs;
    inputs = new Set(built.inputs);
    const changed = sourcesOfChange(files, ctx.projectDir, [before, inputs], CONFIG_FILES);
    const loaded = await pool.load(built.outfile);
    if (!loaded.ok) {
      builder.discard(built.outfile);
      log(`the new build failed to load; the last good build keeps serving: ${loaded.message}`);
      return;
    }
    const findings = await engine.checkJournals(loaded.worker, (d) => ctx.deployments.get(d)?.bundleHash === built.hash);
    pool.promote(loaded.worker, built.outfile);
    const deployment = ctx.deployments.record(loaded.services, { file: ctx.pinned.relativeBundle(built.outfile), hash: built.hash });
    const decided = engine.adopt(loaded.worker, loaded.services, deployment.id, findings);
    ctx.pinned.stayed(decided.flatMap((f) => (f.stays ? [f.stays] : [])));
    ctx.journalCheck.record(files, decided);
    log(`reloaded after a change to ${changed.join(", ")} (build ${Math.round(built.millis)} ms, ${deployment.id})`);
    for (const line of describeFindings(decided)) log(line);
  };
  return async (files: string[]) => {
    if (running) {
      again = [...(again ?? []), ...files];
      return;
    }
    running = true;
    try {
      await once(files);
      while (again) {
        const next = again;
        again = undefined;
        await once(next);
      }
    } finally {
      running = false;
    }
  };
}

export function describeFindings(findings: ReloadFinding[]): string[] {
  const lines: string[] = [];
  for (const f of findings) {
    if (f.stays) {
      const why = f.mismatch
        ? `its journal diverges from the new code at entry ${f.mismatch.index}: the journal holds ${f.mismatch.journaled}, the code now does ${f.mismatch.attempted}`
        : `its journal could not be checked against the new code: ${f.inconclusive}`;
      lines.push(
        `${f.invocationId} ${f.target} stays on ${f.stays} (${why}); it finishes on the code it started with. ` +
          `To move it anyway: restate-dev invocations resume ${f.invocationId} --deployment latest`,
      );
    } else if (f.mismatch) {
      lines.push(
        `journal check: ${f.invocationId} ${f.target} (${f.status}) would diverge at entry ${f.mismatch.index}: ` +
          `the journal holds ${f.mismatch.journaled}, the code now does ${f.mismatch.attempted}`,
      );
      const from = f.mismatch.index > 1 ? ` --from ${f.mismatch.index - 1}` : "";
      lines.push(
        `  undo the change, or kill it and run it again on the new code, keeping the steps before the divergence:\n` +
          `    restate-dev invocations kill ${f.invocationId} && restate-dev invocations restart ${f.invocationId}${from}`,
      );
    } else {
      lines.push(`journal check: ${f.invocationId} ${f.target} (${f.status}) could not be checked: ${f.inconclusive}`);
    }
  }
  return lines;
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
