/**
 * `restate-dev services`: the registered services and handlers with their
 * types and options, then the builds: the newest, and older ones that
 * invocations still run on.
 */
import { check, adminTarget, withAdmin } from "../admin_client.js";
import { printJson, stdoutStyle, table, type Style } from "../format.js";
import { buildLines } from "../builds.js";
import type { DeploymentView } from "../admin_types.js";

interface RetryView {
  initial_interval?: string;
  exponentiation_factor?: number;
  max_attempts?: number | null;
  max_interval?: string;
  on_max_attempts?: string;
}

interface HandlerView {
  name: string;
  ty?: string;
  documentation?: string;
  public: boolean;
  input_description?: string;
  output_description?: string;
  retry_policy?: RetryView;
  idempotency_retention?: string;
  journal_retention?: string;
  workflow_completion_retention?: string;
  inactivity_timeout?: string;
  abort_timeout?: string;
  enable_lazy_state?: boolean;
}

interface ServiceView extends Omit<HandlerView, "ty"> {
  ty: string;
  handlers: HandlerView[];
}

export async function services(opts: { adminUrl?: string; dir?: string; json?: boolean }): Promise<number> {
  return withAdmin({ access: "live-read", why: "services come from the code the runtime has loaded", ...adminTarget(opts) }, async (admin) => {
    const list = (check(await admin.send("GET", "/services"), "is the project's entry file calling restate.serve() or endpoint().listen()?").json as { services: ServiceView[] }).services;
    if (opts.json) {
      printJson(list);
      return 0;
    }
    if (list.length === 0) {
      process.stderr.write("no services are registered: does the entry file bind any (restate.serve({ services: [...] }))?\n");
      return 0;
    }
    const style = stdoutStyle();
    const rows: string[][] = [];
    for (const s of list) {
      rows.push([style.bold(s.name), "", s.ty, options(s, style, true)]);
      for (const h of s.handlers) rows.push(["", h.name, h.ty ?? "", options(h, style, false)]);
    }
    process.stdout.write(table(["SERVICE", "HANDLER", "TYPE", "OPTIONS"], rows, style));
    const deployments = await admin.send("GET", "/deployments");
    if (deployments.ok) {
      const lines = buildLines((deployments.json as { deployments: DeploymentView[] }).deployments);
      if (lines.length) process.stdout.write(`\n${style.bold("builds")}\n${lines.map((l) => `  ${l.older ? style.yellow(l.text) : l.text}\n`).join("")}`);
    }
    return 0;
  });
}

/** What a service sets (all its effective options), or what a handler overrides. */
function options(o: HandlerView, style: Style, service: boolean): string {
  const parts: string[] = [];
  if (!o.public) parts.push(style.yellow("private"));
  const r = o.retry_policy;
  if (r) {
    const retry: string[] = [];
    if (r.max_attempts !== undefined && r.max_attempts !== null) retry.push(`${r.max_attempts} attempts`);
    if (r.initial_interval) retry.push(`from ${r.initial_interval}`);
    if (r.exponentiation_factor !== undefined) retry.push(`×${r.exponentiation_factor}`);
    if (r.max_interval) retry.push(`≤ ${r.max_interval}`);
    if (r.on_max_attempts) retry.push(`then ${r.on_max_attempts.toLowerCase()}`);
    if (retry.length) parts.push(`retry ${retry.join(" ")}`);
  }
  if (o.inactivity_timeout) parts.push(`inactivity ${o.inactivity_timeout}`);
  if (o.abort_timeout) parts.push(`abort ${o.abort_timeout}`);
  if (o.idempotency_retention) parts.push(`idempotency ${o.idempotency_retention}`);
  if (o.journal_retention) parts.push(`journal ${o.journal_retention}`);
  if (o.workflow_completion_retention) parts.push(`workflow retention ${o.workflow_completion_retention}`);
  if (o.enable_lazy_state) parts.push("lazy state");
  if (!service && o.input_description && o.input_description !== "application/json") parts.push(`in ${o.input_description}`);
  if (!service && o.output_description && o.output_description !== "application/json") parts.push(`out ${o.output_description}`);
  if (o.documentation) parts.push(style.dim(JSON.stringify(o.documentation)));
  return parts.join(" · ");
}
