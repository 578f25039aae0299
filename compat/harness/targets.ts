/**
 * The two targets every compatibility scenario runs against, with the same
 * project sources:
 *
 * - `restate-dev`: `restate-dev up <project>` (test/helpers/runtime.ts startUp);
 * - `restate`: the project built with `restate-dev build --target restate`, run
 *   as `node dist/index.mjs` (PORT = a free port, bound to 127.0.0.1 by
 *   bench/loopback.mjs), registered with a real restate-server 1.7.12 started on
 *   loopback (compat/harness/restate_server.mjs, shared with bench/run.js).
 *
 * Each target gets its own copy of the project in a temp dir, with node_modules
 * linked to this repository's (so the real SDK resolves as in an installed project).
 */
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll } from "vitest";
import { connect, type Ingress } from "@restatedev/restate-sdk-clients";
import { CLI, startUp } from "../../test/helpers/runtime.js";
import { LOOPBACK, freePorts, prepareRestateServer, registerDeployment, serverEnv } from "./restate_server.mjs";
import { startProcess, waitFor, type Started } from "./processes.js";

export const REPO = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const LOOPBACK_PRELOAD = pathToFileURL(join(REPO, "bench", "loopback.mjs")).href;
const STARTUP_TIMEOUT_MS = 60_000;

export type TargetKind = "restate-dev" | "restate";
export const ALL_TARGETS: readonly TargetKind[] = ["restate-dev", "restate"];

/** The targets to run: $COMPAT_TARGETS (comma-separated), else both. */
export function selectedTargets(): TargetKind[] {
  const wanted = (process.env.COMPAT_TARGETS ?? ALL_TARGETS.join(",")).split(",").map((s) => s.trim()).filter(Boolean);
  for (const w of wanted) if (!(ALL_TARGETS as readonly string[]).includes(w)) throw new Error(`COMPAT_TARGETS: unknown target '${w}' (known: ${ALL_TARGETS.join(", ")})`);
  return wanted as TargetKind[];
}

export interface Target {
  kind: TargetKind;
  ingressUrl: string;
  adminUrl: string;
  /** This target's copy of the project. */
  projectDir: string;
  /** An sdk-clients connection to the ingress. */
  ingress: Ingress;
  /** What the target's processes printed (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

export interface ProjectSpec {
  /** The project directory to copy (src/, package.json, tsconfig.json). */
  source: string;
  /** Environment for the services, given this target's project dir. */
  env?: (projectDir: string) => Record<string, string>;
  /** The real server with flow control on (restate-dev has it on always). */
  flowControl?: boolean;
}

const tempDirs = new Set<string>();

/** Removes the temp dirs of targets that were stopped (and, at the end, all). */
export function removeTempDirs(): void {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

function copyProject(source: string, kind: TargetKind): string {
  const dir = mkdtempSync(join(tmpdir(), `restate-compat-${kind}-`));
  tempDirs.add(dir);
  const project = join(dir, "project");
  mkdirSync(project);
  for (const f of ["src", "package.json", "tsconfig.json"]) {
    if (existsSync(join(source, f))) cpSync(join(source, f), join(project, f), { recursive: true });
  }
  symlinkSync(join(REPO, "node_modules"), join(project, "node_modules"), "dir");
  return project;
}

export async function startTarget(kind: TargetKind, spec: ProjectSpec): Promise<Target> {
  const projectDir = copyProject(resolve(REPO, spec.source), kind);
  const env = spec.env?.(projectDir) ?? {};
  return kind === "restate-dev" ? startRestateDev(projectDir, env) : startRealRestate(projectDir, env, spec.flowControl ?? false);
}

async function startRestateDev(projectDir: string, env: Record<string, string>): Promise<Target> {
  const up = await startUp(projectDir, { env, args: ["--no-watch"], timeoutMs: STARTUP_TIMEOUT_MS });
  return {
    kind: "restate-dev",
    ingressUrl: up.ingressUrl,
    adminUrl: up.adminUrl,
    projectDir,
    ingress: connect({ url: up.ingressUrl }),
    logs: () => up.output(),
    stop: async () => {
      await up.stop();
    },
  };
}

const execFileAsync = promisify(execFile);

async function startRealRestate(projectDir: string, env: Record<string, string>, flowControl: boolean): Promise<Target> {
  // The production build, as a user runs it.
  try {
    await execFileAsync(process.execPath, [CLI, "build", "--target", "restate", projectDir], { cwd: projectDir });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`restate-dev build --target restate failed: ${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`);
  }
  const serverDir = join(projectDir, "..", "restate-server");
  mkdirSync(serverDir);
  const [fabricPort, ingressPort, adminPort, servicePort] = await freePorts(4);
  const { bin, args } = prepareRestateServer(serverDir, { nodeName: "compat", fabricPort: fabricPort!, ingressPort: ingressPort!, adminPort: adminPort!, writer: "compat/harness/targets.ts", flowControl });
  const procs: Started[] = [];
  const stop = async () => {
    // The service first: the server then sees it gone, as after a deployment shutdown.
    for (const p of [...procs].reverse()) await p.stop(p.name === "restate-server" ? 30_000 : 10_000);
  };
  try {
    procs.push(startProcess("restate-server", bin, args, { cwd: serverDir, env: serverEnv(), logFile: join(serverDir, "server.log") }));
    procs.push(
      startProcess("service (node dist/index.mjs)", process.execPath, ["--enable-source-maps", "--import", LOOPBACK_PRELOAD, join(projectDir, "dist", "index.mjs")], {
        cwd: projectDir,
        env: serverEnv({ ...env, PORT: String(servicePort) }),
        logFile: join(projectDir, "..", "service.log"),
      }),
    );
    const adminUrl = `http://${LOOPBACK}:${adminPort}`;
    const ingressUrl = `http://${LOOPBACK}:${ingressPort}`;
    const opts = { timeoutMs: STARTUP_TIMEOUT_MS, procs };
    await waitFor(`the service on port ${servicePort}`, () => portOpen(servicePort!), opts);
    await waitFor("the admin API (GET /health)", async () => (await fetch(`${adminUrl}/health`)).ok, opts);
    await waitFor("the ingress (GET /restate/health)", async () => (await fetch(`${ingressUrl}/restate/health`)).ok, opts);
    await registerDeployment(adminUrl, `http://${LOOPBACK}:${servicePort}`);
    return {
      kind: "restate",
      ingressUrl,
      adminUrl,
      projectDir,
      ingress: connect({ url: ingressUrl }),
      logs: () => procs.map((p) => `--- ${p.name} (${p.logFile}):\n${p.tail(40)}`).join("\n"),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: LOOPBACK });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

/**
 * A target for the enclosing describe block: started in beforeAll, stopped in
 * afterAll. The returned object is filled in once beforeAll has run.
 */
export function useTarget(kind: TargetKind, spec: ProjectSpec): Target {
  const target = { kind } as Target;
  beforeAll(async () => {
    Object.assign(target, await startTarget(kind, spec));
  }, STARTUP_TIMEOUT_MS * 2);
  afterEach(({ task }) => {
    // What the target's processes said, next to the failure.
    if (task.result?.state === "fail" && target.logs) process.stderr.write(`--- ${kind} output (last lines), for "${task.name}":\n${target.logs().split("\n").slice(-60).join("\n")}\n`);
  });
  afterAll(async () => {
    await target.stop?.();
  }, 60_000);
  return target;
}

/** The lines of a JSON-lines file the services append to (empty if it does not exist yet). */
export function readJsonLines<T = Record<string, unknown>>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}
