/**
 * Finds the runtime a command talks to: flags, then Restate's environment
 * variables, then what `up` recorded in the project's .restate-dev/, then the
 * defaults.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface Urls {
  ingressUrl: string;
  adminUrl: string;
}

export function findRuntime(opts: { dir?: string; ingressUrl?: string; adminUrl?: string }): Urls {
  let recorded: Partial<Urls> = {};
  const info = join(resolve(opts.dir ?? "."), ".restate-dev", "runtime.json");
  if (existsSync(info)) {
    try {
      recorded = JSON.parse(readFileSync(info, "utf8")) as Partial<Urls>;
    } catch {
      // a torn file from a killed runtime: fall back to the defaults
    }
  }
  return {
    ingressUrl: trim(opts.ingressUrl ?? process.env.RESTATE_INGRESS_URL ?? recorded.ingressUrl ?? "http://127.0.0.1:8080"),
    adminUrl: trim(opts.adminUrl ?? process.env.RESTATE_ADMIN_URL ?? recorded.adminUrl ?? "http://127.0.0.1:9070"),
  };
}

function trim(u: string): string {
  return u.replace(/\/+$/, "");
}
