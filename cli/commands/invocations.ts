/**
 * `restate-dev invocations list|describe|kill|cancel|pause|resume|purge|restart`,
 * mirroring Restate's CLI: the operations take an invocation id or a target
 * prefix (`svc`, `svc/handler`, `obj/key`, `obj/key/handler`), show what they
 * will affect, and ask before acting unless `--yes`.
 */
import { readFileSync } from "node:fs";
import { check, adminTarget, errorMessage, seg, withAdmin, type AdminClient } from "../admin_client.js";
import { canAsk, clip, confirm, note, printJson, statusText, stderrStyle, stdoutStyle, table, when, type Style } from "../format.js";
import { UserError } from "../../runtime/errors.js";
import { isInvocationId } from "../../runtime/engine/ids.js";
import { fetchInvocation, headline, outcome, resultText } from "./journal.js";
import type { InvocationDetail, InvocationSummary } from "../admin_types.js";
export type { InvocationDetail, InvocationSummary };

interface Common {
  adminUrl?: string;
  /** The project directory (default: found from the current one). */
  dir?: string;
  json?: boolean;
}

const connect = (opts: Common, access: "read" | "live") => ({
  access,
  why: "only the running runtime can change invocations (reading works without it: list, describe, journal)",
  ...adminTarget(opts),
});
const LIST_HINT = "'restate-dev invocations list' shows the invocations the runtime knows";

// ---------------------------------------------------------------- list

export interface ListOptions extends Common {
  service?: string;
  handler?: string;
  key?: string;
  status?: string[];
  scope?: string;
  limit?: string;
}

export async function listInvocations(opts: ListOptions): Promise<number> {
  const limit = parseLimit(opts.limit, 50);
  const q = new URLSearchParams();
  if (opts.service) q.set("service", opts.service);
  if (opts.handler) q.set("handler", opts.handler);
  if (opts.key !== undefined) q.set("key", opts.key);
  const statuses = (opts.status ?? []).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  if (statuses.length) q.set("status", statuses.join(","));
  if (opts.scope !== undefined) q.set("scope", opts.scope);
  q.set("limit", String(limit));
  return withAdmin(connect(opts, "read"), async (admin) => {
    const res = check(await admin.send("GET", `/invocations?${q}`), "the statuses are pending, scheduled, ready, running, suspended, backing-off, paused, completed");
    const rows = (res.json as { invocations: InvocationSummary[] }).invocations;
    if (opts.json) {
      printJson(rows);
      return 0;
    }
    if (rows.length === 0) {
      note(`no invocations${q.size > 1 ? " match these filters" : " yet"}`);
      return 0;
    }
    const style = stdoutStyle();
    // Scope and limit key (flow control) get a column when any listed invocation has one.
    const scoped = rows.some((r) => r.scope);
    const head = ["ID", "TARGET", ...(scoped ? ["SCOPE"] : []), "STATUS", "RETRIES", "CREATED", "INFO"];
    const scopeCell = (r: InvocationSummary) => (r.scope ? (r.limit_key ? `${r.scope} (${r.limit_key})` : r.scope) : "");
    process.stdout.write(
      table(head, rows.map((r) => [r.id, r.target, ...(scoped ? [scopeCell(r)] : []), statusText(r, style), String(r.retry_count), when(r.created_at, style), info(r, style)]), style),
    );
    if (rows.length === limit) note(`showing the newest ${limit}; pass --limit to see more`);
    return 0;
  });
}

function info(r: InvocationSummary, style: Style): string {
  if (r.completion_failure) return style.red(`[${r.completion_failure.code}] ${clip(r.completion_failure.message)}`);
  if (r.status === "completed") return "";
  const failure = r.last_failure ? style.red(`[${r.last_failure.code}] ${clip(r.last_failure.message)}`) : "";
  if (r.status === "backing-off" && r.next_retry_at) return `retry ${when(r.next_retry_at, style)}${failure ? `: ${failure}` : ""}`;
  if (r.status === "scheduled" && r.scheduled_start_at) return `starts ${when(r.scheduled_start_at, style)}`;
  return failure;
}

function parseLimit(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UserError("BAD_LIMIT", `--limit must be a whole number from 1 to 10000, got '${text}'`, `for example --limit ${fallback}`);
  return n;
}

// ---------------------------------------------------------------- describe

export async function describeInvocation(id: string, opts: Common): Promise<number> {
  requireId(id);
  return withAdmin(connect(opts, "read"), async (admin) => {
    const inv = await fetchInvocation(admin, id);
    if (opts.json) {
      printJson(inv);
      return 0;
    }
    const children = await childStatuses(admin, inv);
    process.stdout.write(renderDescription(inv, children, stdoutStyle(), await buildOf(admin, inv)));
    return 0;
  });
}

/** The deployment an invocation is pinned to, as GET /deployments/{id} says (not served offline: then just its id). */
async function buildOf(admin: AdminClient, inv: InvocationSummary): Promise<PinnedBuild | undefined> {
  const id = inv.pinned_deployment_id;
  if (!id) return undefined;
  const res = await admin.send("GET", `/deployments/${seg(id)}`).catch(() => undefined);
  const d = res?.ok ? (res.json as { uri?: string; latest?: boolean }) : undefined;
  return { id, ...(d?.uri ? { build: d.uri.replace(/^restate-dev:\/\/build\//, "") } : {}), ...(d?.latest !== undefined ? { latest: d.latest } : {}) };
}

export interface PinnedBuild {
  id: string;
  /** Its build number (GET /deployments/{id}'s uri). */
  build?: string;
  latest?: boolean;
}

const MAX_CHILDREN = 20;

/** Status of each child (the journal's Call and OneWayCall targets), as far as it is known. */
async function childStatuses(admin: AdminClient, inv: InvocationDetail): Promise<Map<string, InvocationSummary>> {
  const ids = inv.journal.map((e) => e.target?.invocationId).filter((x): x is string => !!x).slice(0, MAX_CHILDREN);
  const found = new Map<string, InvocationSummary>();
  await Promise.all(
    ids.map(async (child) => {
      const res = await admin.send("GET", `/invocations/${seg(child)}`);
      if (res.ok) found.set(child, res.json as InvocationSummary);
    }),
  );
  return found;
}

export function renderDescription(inv: InvocationDetail, children: Map<string, InvocationSummary>, style: Style, pinned?: PinnedBuild): string {
  const out: string[] = [];
  const field = (name: string, value: string) => out.push(`  ${style.dim(name.padEnd(16))}${value}`);
  out.push(`${style.bold(inv.id)}  ${inv.target}`);
  let status = statusText(inv, style);
  if (inv.status === "backing-off" && inv.next_retry_at) status += ` · next attempt ${when(inv.next_retry_at, style)}`;
  if (inv.status === "suspended" && inv.suspended_waiting_for?.length) status += ` · waiting for ${inv.suspended_waiting_for.map((i) => `#${i}`).join(", ")}`;
  if (inv.status === "scheduled" && inv.scheduled_start_at) status += ` · starts ${when(inv.scheduled_start_at, style)}`;
  field("status", status);
  if (inv.result) field("result", resultText(inv.result, style, false));
  field("created", `${inv.created_at}${style.tty ? style.dim(` (${when(inv.created_at, style)})`) : ""}`);
  if (inv.running_at) field(inv.status === "running" ? "running since" : "last started", inv.running_at);
  if (inv.completed_at) field("completed", inv.completed_at);
  if (inv.modified_at) field("modified", inv.modified_at);
  field("invoked by", inv.invoked_by_id ? `${inv.invoked_by_target ?? "?"} ${style.dim(inv.invoked_by_id)}` : "ingress");
  if (inv.restarted_from) field("restarted from", inv.restarted_from);
  if (pinned) {
    const build = pinned.build ? ` (build ${pinned.build})` : "";
    const older = pinned.latest === false && inv.status !== "completed";
    field("deployment", `${pinned.id}${build}${pinned.latest ? style.dim(" the newest build") : ""}`);
    if (older) out.push(`  ${" ".repeat(16)}${style.yellow("an older build: it finishes on the code it started with")} ${style.dim(`(to move it: restate-dev invocations resume ${inv.id} --deployment latest)`)}`);
  }
  if (inv.idempotency_key) field("idempotency key", inv.idempotency_key);
  field("attempts", `${inv.retry_count} failed${inv.attempts.length ? `, the last ${when(inv.attempts[inv.attempts.length - 1]!.at, style)}` : ""}`);

  const last = inv.attempts[inv.attempts.length - 1];
  if (inv.last_failure || last) {
    out.push("", style.bold("last failure") + (last ? style.dim(` (attempt ${last.attempt}, ${when(last.at, style)})`) : ""));
    const f = inv.last_failure ?? { code: last!.code, message: last!.message };
    out.push(`  ${style.red(`[${f.code}] ${f.message}`)}`);
    const index = inv.last_failure?.relatedIndex ?? last?.related_entry_index ?? undefined;
    if (index !== undefined && index !== null) {
      const entry = inv.journal.find((e) => e.index === index);
      if (entry) out.push(`  at entry ${style.dim(`#${index}`)} ${headline(entry, style)} ${outcome(entry, style)}`.trimEnd());
      else {
        const type = inv.last_failure?.relatedType ?? last?.related_entry_type ?? "entry";
        const name = inv.last_failure?.relatedName ?? last?.related_entry_name;
        out.push(`  at entry ${style.dim(`#${index}`)} ${style.bold(type)}${name ? ` '${name}'` : ""} ${style.dim("(not journaled: the attempt failed while running it)")}`);
      }
    }
    if (last?.stack) {
      const frames = last.stack.split("\n").slice(1, 6).map((l) => `    ${l.trim()}`);
      if (frames.length) out.push(style.dim(frames.join("\n")));
    }
  }

  out.push("", style.bold("call tree"));
  let indent = "  ";
  if (inv.invoked_by_id) {
    out.push(`${indent}${inv.invoked_by_target ?? "?"} ${style.dim(inv.invoked_by_id)} ${style.dim("(caller)")}`);
    indent += "  ";
  }
  out.push(`${indent}${style.bold(inv.target)} ${style.dim(inv.id)} ${statusText(inv, style)}`);
  const calls = inv.journal.filter((e) => e.type === "Call" || e.type === "OneWayCall");
  calls.forEach((e, i) => {
    const branch = i === calls.length - 1 ? "└─" : "├─";
    const childId = e.target?.invocationId;
    const child = childId ? children.get(childId) : undefined;
    const target = e.target ? (e.target.key !== undefined ? `${e.target.service}/${e.target.key}/${e.target.handler}` : `${e.target.service}/${e.target.handler}`) : (e.name ?? "?");
    out.push(`${indent}  ${branch} ${style.dim(`#${e.index}`)} ${target}${e.type === "OneWayCall" ? style.dim(" (send)") : ""} ${style.dim(childId ?? "(no id yet)")}${child ? " " + statusText(child, style) : ""}`);
  });

  out.push("", `${style.bold("journal")} ${style.dim(`${inv.journal.length} entr${inv.journal.length === 1 ? "y" : "ies"}; 'restate-dev journal ${inv.id}' shows payloads and timing`)}`);
  for (const e of inv.journal) out.push(`  ${style.dim(`#${e.index}`)} ${headline(e, style)} ${outcome(e, style, inv.status === "completed")}`.trimEnd());
  return out.join("\n") + "\n";
}

function requireId(id: string): void {
  if (!isInvocationId(id)) throw new UserError("BAD_ID", `'${id}' is not an invocation id`, "ids look like inv_1…; 'restate-dev invocations list' shows them");
}

// ---------------------------------------------------------------- kill, cancel, pause, resume, purge

export type Action = "kill" | "cancel" | "pause" | "resume" | "purge";

export interface ActionOptions extends Common {
  yes?: boolean;
  limit?: string;
  /** resume: `latest`, `keep` or a deployment id to run it on (as `restate invocations resume --deployment`). */
  deployment?: string;
}

/** With --deployment, resume also moves running and suspended invocations to that build. */
const MOVABLE = ["ready", "running", "suspended", "backing-off", "paused"];

const ACTIONS: Record<Action, { statuses: string[]; done: string; which: string }> = {
  kill: { statuses: ["pending", "scheduled", "ready", "running", "suspended", "backing-off", "paused"], done: "killed", which: "unfinished" },
  cancel: { statuses: ["pending", "scheduled", "ready", "running", "suspended", "backing-off", "paused"], done: "cancel requested", which: "unfinished" },
  pause: { statuses: ["ready", "running", "suspended", "backing-off"], done: "paused", which: "running, suspended or backing-off" },
  resume: { statuses: ["paused", "backing-off"], done: "resumed", which: "paused or backing-off" },
  purge: { statuses: ["completed"], done: "purged", which: "completed" },
};

/** `invocations <action> <id | target prefix>`. */
export async function invocationAction(action: Action, selector: string, opts: ActionOptions): Promise<number> {
  const limit = parseLimit(opts.limit, 500);
  return withAdmin(connect(opts, "live"), async (admin) => {
    const moving = action === "resume" && opts.deployment !== undefined && opts.deployment !== "keep";
    const matched = await select(admin, action, selector, limit, moving ? MOVABLE : undefined);
    if (matched.length === 0) {
      note(`no ${ACTIONS[action].which} invocations match '${selector}': nothing to ${action}`);
      if (opts.json) printJson([]);
      return 0;
    }
    const what = `${action} ${matched.length === 1 ? "this invocation" : `these ${matched.length} invocations`}`;
    if (!(await approve(what, matched, opts, `restate-dev invocations ${action} ${selector} --yes`))) return 0;
    const results: Array<{ id: string; target: string; ok: boolean; message?: string }> = [];
    const style = stdoutStyle();
    for (const inv of matched) {
      const query = action === "resume" && opts.deployment !== undefined ? `?deployment=${encodeURIComponent(opts.deployment)}` : "";
      const res = await admin.send("PATCH", `/invocations/${seg(inv.id)}/${action}${query}`);
      // Killing or cancelling a caller ends its children too: a child already done is not a failure.
      const alreadyDone = !res.ok && res.status === 409 && (action === "kill" || action === "cancel") && /completed/.test(errorMessage(res));
      results.push({ id: inv.id, target: inv.target, ok: res.ok || alreadyDone, ...(res.ok ? {} : { message: errorMessage(res) }) });
      if (!opts.json) {
        const done = moving ? `moved to ${opts.deployment === "latest" ? "the newest build" : opts.deployment}` : ACTIONS[action].done;
        const line = res.ok ? style.green(done) : alreadyDone ? style.dim("already completed") : style.red(`failed: ${errorMessage(res)}`);
        process.stdout.write(`${inv.id}  ${inv.target}  ${line}\n`);
      }
    }
    if (opts.json) printJson(results);
    const failed = results.filter((r) => !r.ok);
    if (failed.length === 1 && matched.length === 1) {
      throw new UserError("ACTION_FAILED", `could not ${action} ${failed[0]!.id}: ${failed[0]!.message}`, hintFor(action, failed[0]!.id));
    }
    if (failed.length) throw new UserError("ACTION_FAILED", `${failed.length} of ${results.length} invocations could not be ${ACTIONS[action].done}`, "see the lines above; 'restate-dev invocations describe <id>' shows why");
    return 0;
  });
}

function hintFor(action: Action, id: string): string {
  if (action === "purge") return `only completed invocations can be purged: kill it first with 'restate-dev invocations kill ${id}'`;
  if (action === "resume") return `only paused, suspended or backing-off invocations can be resumed; 'restate-dev invocations describe ${id}' shows its status`;
  return `'restate-dev invocations describe ${id}' shows its status`;
}

/** The invocations an id or a target prefix names, for this action. */
async function select(admin: AdminClient, action: Action, selector: string, limit: number, statuses = ACTIONS[action].statuses): Promise<InvocationSummary[]> {
  if (isInvocationId(selector)) return [await fetchInvocation(admin, selector)];
  const parts = selector.split("/");
  if (parts.length > 3 || parts.some((p) => p === "")) {
    throw new UserError("BAD_TARGET", `'${selector}' is neither an invocation id nor a target`, "pass an id (inv_1…), or a target prefix: svc, svc/handler, obj/key or obj/key/handler");
  }
  const [service, second, third] = parts as [string, string | undefined, string | undefined];
  const q = new URLSearchParams({ service });
  if (third !== undefined) {
    q.set("key", second!);
    q.set("handler", third);
  } else if (second !== undefined) {
    q.set((await isKeyed(admin, service)) ? "key" : "handler", second);
  }
  q.set("status", statuses.join(","));
  q.set("limit", String(limit));
  const res = check(await admin.send("GET", `/invocations?${q}`), LIST_HINT);
  return (res.json as { invocations: InvocationSummary[] }).invocations;
}

/** Whether `svc/x` means an object key (virtual objects, workflows) or a handler (services). */
async function isKeyed(admin: AdminClient, service: string): Promise<boolean> {
  const svc = await admin.send("GET", `/services/${seg(service)}`);
  if (svc.ok) return (svc.json as { ty: string }).ty !== "Service";
  const seen = await admin.send("GET", `/invocations?service=${seg(service)}&limit=1`);
  const any = seen.ok ? (seen.json as { invocations: InvocationSummary[] }).invocations[0] : undefined;
  if (any) return any.service_type !== "service";
  throw new UserError("NOT_FOUND", errorMessage(svc), "check the service name: 'restate-dev services' lists them");
}

/** Lists what is about to change and asks; refuses when it cannot ask and --yes is missing. */
async function approve(what: string, invs: InvocationSummary[], opts: { yes?: boolean }, yesCommand: string): Promise<boolean> {
  const style = stderrStyle();
  process.stderr.write(`${style.bold(`About to ${what}:`)}\n`);
  const shown = invs.slice(0, 20);
  process.stderr.write(table(["ID", "TARGET", "STATUS", "CREATED"], shown.map((i) => [i.id, i.target, statusText(i, style), when(i.created_at, style)]), style));
  if (invs.length > shown.length) process.stderr.write(style.dim(`… and ${invs.length - shown.length} more\n`));
  if (opts.yes) return true;
  if (!canAsk()) {
    throw new UserError("NOT_CONFIRMED", `refusing to ${what} without confirmation (not a terminal, so there is no one to ask)`, `pass --yes (-y) to confirm: ${yesCommand}`);
  }
  const ok = await confirm(`${what[0]!.toUpperCase()}${what.slice(1)}?`);
  if (!ok) process.stderr.write("nothing changed\n");
  return ok;
}

// ---------------------------------------------------------------- restart

export interface RestartOptions extends Common {
  from?: string;
  set?: string[];
  kill?: boolean;
  yes?: boolean;
}

const KILL_SETTLE_MS = 3000;

export async function restartInvocation(id: string, opts: RestartOptions): Promise<number> {
  requireId(id);
  const from = opts.from === undefined ? undefined : parseIndex(opts.from, "--from");
  const overrides = parseOverrides(opts.set ?? [], from);
  return withAdmin(connect(opts, "live"), async (admin) => {
    const path = `/invocations/${seg(id)}/restart-as-new${from !== undefined ? `?from=${from}` : ""}`;
    const body = overrides ? { overrides } : undefined;
    if (opts.kill) {
      const inv = await fetchInvocation(admin, id);
      if (inv.status !== "completed") {
        if (!(await approve("kill and restart this invocation", [inv], opts, `restate-dev invocations restart ${id} --kill --yes`))) return 0;
        const killed = await admin.send("PATCH", `/invocations/${seg(id)}/kill`);
        if (!killed.ok && killed.status !== 409) check(killed, hintFor("kill", id));
      }
    }
    let res = await admin.send("PATCH", path, body);
    // A kill completes the invocation asynchronously; give it a moment.
    const deadline = Date.now() + KILL_SETTLE_MS;
    while (opts.kill && res.status === 409 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      res = await admin.send("PATCH", path, body);
    }
    if (res.status === 409) {
      const status = (await admin.send("GET", `/invocations/${seg(id)}`)).json as { status?: string } | undefined;
      throw new UserError(
        "STILL_RUNNING",
        `cannot restart ${id}: it has not completed (it is ${status?.status ?? "running"}), and only completed invocations can be restarted`,
        `kill it first ('restate-dev invocations kill ${id} -y'), or add --kill to kill and restart it in one go`,
      );
    }
    check(res, `'restate-dev journal ${id}' lists the entry indexes --from and --set take`);
    const newId = (res.json as { new_invocation_id: string }).new_invocation_id;
    if (opts.json) {
      printJson({ new_invocation_id: newId });
      return 0;
    }
    const reused = from ? `, reusing entries 1..${from}` : "";
    const changed = overrides ? ` with ${Object.keys(overrides).map((k) => `#${k}`).join(", ")} replaced` : "";
    process.stdout.write(`${newId}\n`);
    note(`restarted ${id} as ${newId}${reused}${changed}; follow it with 'restate-dev journal ${newId} --watch'`);
    return 0;
  });
}

function parseIndex(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new UserError("BAD_INDEX", `${flag} takes a journal entry index (0, 1, 2, …), got '${text}'`, "'restate-dev journal <id>' shows the indexes");
  return Number(text);
}

/** `--set K=<json>` / `--set K=@file.json` → {"K": value}. */
function parseOverrides(sets: string[], from: number | undefined): Record<string, unknown> | undefined {
  if (sets.length === 0) return undefined;
  if (from === undefined) {
    throw new UserError("SET_WITHOUT_FROM", "--set replaces results of reused journal entries, so it needs --from", "for example --from 3 --set 2='{\"paid\":true}' reuses entries 1..3 with entry 2's result replaced");
  }
  const out: Record<string, unknown> = {};
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new UserError("BAD_SET", `--set '${s}' is not K=<json> or K=@file.json`, "for example --set 2=42 or --set 2=@result.json");
    const k = parseIndex(s.slice(0, eq), "--set");
    if (k < 1 || k > from) throw new UserError("BAD_SET", `--set ${k}: only reused entries 1..${from} can be replaced`, from < k ? `pass --from ${k} or more` : "entry 0 is the input, which cannot be replaced");
    let text = s.slice(eq + 1);
    if (text.startsWith("@")) {
      try {
        text = readFileSync(text.slice(1), "utf8");
      } catch (e) {
        throw new UserError("BAD_SET", `--set ${k}: cannot read ${text.slice(1)}: ${(e as Error).message}`, "pass a JSON file that exists, or the JSON inline");
      }
    }
    try {
      out[String(k)] = JSON.parse(text);
    } catch (e) {
      throw new UserError("BAD_SET", `--set ${k}: the value is not JSON (${(e as Error).message})`, `quote it for the shell, and strings for JSON: --set ${k}='"text"'`);
    }
  }
  return out;
}
