/**
 * Finds the runtime a command talks to, and checks it is the project's own.
 *
 * The project is `--dir`, else the nearest folder up from the current one that
 * has a .restate-dev/ or a package.json. Its runtime is the one `up` recorded in
 * .restate-dev/runtime.json (with a runtime id); an explicit `--admin-url` /
 * `--ingress-url` or Restate's RESTATE_ADMIN_URL / RESTATE_INGRESS_URL is used
 * as given, unchecked. Whatever else answers (a stale runtime.json, the default
 * port) is identified by the runtime id and project it sends (runtime/identity.ts),
 * so another project's runtime is never used silently.
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../runtime/errors.js";

export interface Urls {
  ingressUrl: string;
  adminUrl: string;
}

/** What `up` wrote to runtime.json (older files have only pid and urls). */
export interface Recorded extends Partial<Urls> {
  pid?: number;
  runtimeId?: string;
  projectDir?: string;
}

/** Who answered at a URL. */
export type Answer =
  | { kind: "none"; problem: string }
  /** A restate-dev runtime, with its identity. */
  | { kind: "runtime"; runtimeId: string; projectDir: string; pid?: number; ingressUrl?: string; adminUrl?: string }
  /** Something that is not a restate-dev runtime (a Restate server, another program). */
  | { kind: "unknown" };

export const DEFAULT_INGRESS_URL = "http://127.0.0.1:8080";
export const DEFAULT_ADMIN_URL = "http://127.0.0.1:9070";
const PROBE_TIMEOUT_MS = 3000;

/** The project directory a command acts on. */
export function projectDirOf(dir?: string): string {
  if (dir !== undefined) {
    const d = resolve(dir);
    if (!existsSync(d) || !statSync(d).isDirectory()) {
      throw new UserError("PROJECT_NOT_FOUND", `--dir ${dir}: ${d} is not a directory`, "pass the directory of a restate-dev project (the one you ran 'restate-dev up' in)");
    }
    return d;
  }
  const start = resolve(".");
  for (let d = start; ; d = dirname(d)) {
    if (existsSync(join(d, ".restate-dev")) || existsSync(join(d, "package.json"))) return d;
    if (dirname(d) === d) return start;
  }
}

export function readRecorded(projectDir: string): Recorded {
  const info = join(projectDir, ".restate-dev", "runtime.json");
  if (!existsSync(info)) return {};
  try {
    const raw = JSON.parse(readFileSync(info, "utf8")) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    const r: Recorded = {};
    const set = <K extends keyof Recorded>(k: K, v: Recorded[K] | undefined) => v !== undefined && (r[k] = v);
    set("ingressUrl", str(raw.ingressUrl));
    set("adminUrl", str(raw.adminUrl));
    set("runtimeId", str(raw.runtime_id));
    set("projectDir", str(raw.project_dir));
    set("pid", typeof raw.pid === "number" ? raw.pid : undefined);
    return r;
  } catch {
    return {}; // a torn file from a killed runtime
  }
}

/** The URLs a command would use, before any check: flags, environment, runtime.json, defaults. */
export function findRuntime(opts: { dir?: string; ingressUrl?: string; adminUrl?: string }): Urls {
  const recorded = readRecorded(projectDirOf(opts.dir));
  return {
    ingressUrl: trim(opts.ingressUrl ?? process.env.RESTATE_INGRESS_URL ?? recorded.ingressUrl ?? DEFAULT_INGRESS_URL),
    adminUrl: trim(opts.adminUrl ?? process.env.RESTATE_ADMIN_URL ?? recorded.adminUrl ?? DEFAULT_ADMIN_URL),
  };
}

/** Which flag or variable made a URL explicit, if one did. */
export function explicitSource(kind: "admin" | "ingress", flagValue: string | undefined): string | undefined {
  if (flagValue !== undefined) return `--${kind}-url`;
  const env = kind === "admin" ? "RESTATE_ADMIN_URL" : "RESTATE_INGRESS_URL";
  return process.env[env] !== undefined ? env : undefined;
}

/** Asks the admin API (GET /health) or the ingress (GET /restate/health) who it is. */
export async function probe(url: string, kind: "admin" | "ingress"): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(`${url}${kind === "admin" ? "/health" : "/restate/health"}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (e) {
    return { kind: "none", problem: reason(e) };
  }
  const runtimeId = res.headers.get("x-restate-dev-runtime");
  const project = res.headers.get("x-restate-dev-project");
  let body: Record<string, unknown> = {};
  try {
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    // the ingress's health body, or none
  }
  if (!runtimeId || !project) return { kind: "unknown" };
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const a: Answer = { kind: "runtime", runtimeId, projectDir: decodeURIComponent(project) };
  if (typeof body.pid === "number") a.pid = body.pid;
  const ingressUrl = str(body.ingress_url);
  const adminUrl = str(body.admin_url);
  if (ingressUrl) a.ingressUrl = ingressUrl;
  if (adminUrl) a.adminUrl = adminUrl;
  return a;
}

/** Whether the runtime that answered serves this project. */
export function isProjectsRuntime(answer: Answer, projectDir: string, recorded: Recorded): boolean {
  if (answer.kind !== "runtime") return false;
  if (recorded.runtimeId !== undefined) return answer.runtimeId === recorded.runtimeId;
  return samePath(answer.projectDir, projectDir);
}

/** "the runtime of project /x (pid 12)" or "something that is not a restate-dev runtime". */
export function describeAnswer(answer: Answer): string {
  if (answer.kind === "runtime") return `the runtime of project ${answer.projectDir}${answer.pid ? ` (pid ${answer.pid})` : ""}`;
  if (answer.kind === "unknown") return "something that is not a restate-dev runtime (a Restate server?)";
  return `nothing (${answer.problem})`;
}

/**
 * The error for a command that would change things when the runtime that
 * answered is not this project's.
 */
export function otherRuntimeError(answer: Answer, url: string, projectDir: string, flag: "--admin-url" | "--ingress-url"): UserError {
  const hint =
    answer.kind === "runtime"
      ? `start this project's runtime with 'restate-dev up' in ${projectDir}; or, to act on the one that answered, pass --dir ${answer.projectDir}`
      : `start this project's runtime with 'restate-dev up' in ${projectDir}; or, to use what answers there, pass ${flag} ${url}`;
  return new UserError("OTHER_RUNTIME", `this project's runtime (${projectDir}) is not running; what answers at ${url} is ${describeAnswer(answer)}, so nothing was done`, hint);
}

export function reason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError") return `no answer within ${PROBE_TIMEOUT_MS / 1000} s`;
  if (err.cause?.code === "ECONNREFUSED") return "connection refused";
  return err.cause?.message ?? err.message;
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

function trim(u: string): string {
  return u.replace(/\/+$/, "");
}

/**
 * The ingress URL of this project's runtime, checked; or the explicit one as given.
 * For commands that invoke handlers (which changes things): never another project's.
 */
export async function projectIngress(opts: { dir?: string; ingressUrl?: string }): Promise<string> {
  const explicit = explicitSource("ingress", opts.ingressUrl);
  const { ingressUrl } = findRuntime(opts);
  if (explicit) return ingressUrl;
  const dir = projectDirOf(opts.dir);
  const recorded = readRecorded(dir);
  const answer = await probe(ingressUrl, "ingress");
  if (isProjectsRuntime(answer, dir, recorded)) return ingressUrl;
  if (answer.kind === "none") {
    throw new UserError(
      "NOT_RUNNING",
      `this project's runtime (${dir}) is not running: nothing answers at ${ingressUrl} (${answer.problem})`,
      `start it with 'restate-dev up' in ${dir} (in another terminal); or pass --dir <project>, or --ingress-url`,
    );
  }
  throw otherRuntimeError(answer, ingressUrl, dir, "--ingress-url");
}
