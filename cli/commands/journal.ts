/**
 * `restate-dev journal <id>`: an invocation's journal entry by entry (index,
 * type, name, timing, payload, result); `--watch` re-prints it as it grows.
 * Also exports the entry rendering `invocations describe` uses for its summary.
 */
import { check, adminTarget, withAdmin, seg, type AdminClient } from "../admin_client.js";
import { duration, note, pretty, preview, printJson, statusText, stdoutStyle, type Style } from "../format.js";
import { UserError } from "../../runtime/errors.js";
import { EXIT_FAILED } from "../errors.js";
import { isInvocationId } from "../../runtime/engine/ids.js";
import type { InvocationDetail, JournalEntryView as EntryView, ResultView } from "../admin_types.js";
export type { EntryView, ResultView };

export interface JournalOptions {
  adminUrl?: string;
  /** The project directory (default: found from the current one). */
  dir?: string;
  json?: boolean;
  watch?: boolean;
}

const WATCH_INTERVAL_MS = 500;

export async function journal(id: string, opts: JournalOptions): Promise<number> {
  if (!isInvocationId(id)) {
    throw new UserError("BAD_ID", `'${id}' is not an invocation id`, "ids look like inv_1…; 'restate-dev invocations list' shows them");
  }
  return withAdmin({ access: "read", ...adminTarget(opts) }, async (admin) => {
    const style = stdoutStyle();
    let inv = await fetchInvocation(admin, id);
    print(inv, opts, style, false);
    if (!opts.watch) return 0;
    if (admin.mode === "offline") {
      note("--watch: the runtime is not running, so the journal will not change; start it with 'restate-dev up' to watch");
      return 0;
    }
    let last = fingerprint(inv);
    while (inv.status !== "completed") {
      await new Promise((r) => setTimeout(r, WATCH_INTERVAL_MS));
      inv = await fetchInvocation(admin, id);
      const now = fingerprint(inv);
      if (now === last) continue;
      last = now;
      print(inv, opts, style, true);
    }
    // Like `invoke`: having waited for it, say whether it failed.
    return inv.completion_result === "failure" ? EXIT_FAILED : 0;
  });
}

export async function fetchInvocation(admin: AdminClient, id: string): Promise<InvocationDetail> {
  const res = check(await admin.send("GET", `/invocations/${seg(id)}`), "'restate-dev invocations list' shows the invocations the runtime knows");
  return res.json as InvocationDetail;
}

function fingerprint(inv: InvocationDetail): string {
  return JSON.stringify([inv.status, inv.retry_count, inv.journal, inv.result ?? null]);
}

function print(inv: InvocationDetail, opts: JournalOptions, style: Style, again: boolean): void {
  if (opts.json) {
    // --watch --json: one JSON document per line, one per change.
    const doc = { id: inv.id, target: inv.target, status: inv.status, input: inv.input, journal: inv.journal, ...(inv.result ? { result: inv.result } : {}) };
    if (opts.watch) process.stdout.write(JSON.stringify(doc) + "\n");
    else printJson(doc);
    return;
  }
  if (again) process.stdout.write(style.tty ? "\x1b[2J\x1b[H" : "\n");
  process.stdout.write(renderJournal(inv, style));
}

export function renderJournal(inv: InvocationDetail, style: Style): string {
  const out: string[] = [];
  out.push(`${style.bold(inv.id)}  ${inv.target}  ${statusText(inv, style)}  ${style.dim(`${inv.journal.length} entr${inv.journal.length === 1 ? "y" : "ies"}`)}`);
  out.push(`${style.dim("#0")}  ${style.bold("Input")}  ${style.dim(inv.created_at)}`);
  if (inv.input !== null && inv.input !== undefined) out.push(payloadLines("", inv.input, inv.input_encoding, style));
  // In a completed invocation an entry still open never will complete (a sleep or call it was cancelled or killed in).
  const ended = inv.status === "completed";
  for (const e of inv.journal) {
    out.push(`${style.dim(`#${e.index}`)}  ${headline(e, style)}  ${timing(e, inv.created_at, style, ended)}`);
    for (const line of details(e, style, ended)) out.push(line);
  }
  if (inv.result) out.push(`${style.bold("result")} ${resultText(inv.result, style, true)}`);
  else if (inv.status !== "completed") out.push(style.dim(`… ${inv.status}${inv.status === "suspended" && inv.suspended_waiting_for ? ` (waiting for entr${inv.suspended_waiting_for.length === 1 ? "y" : "ies"} ${inv.suspended_waiting_for.map((i) => `#${i}`).join(", ")})` : ""}`));
  return out.join("\n") + "\n";
}

/** `Run 'charge'`, `Call cart/u1/addItem → inv_1…`, `GetState 'count'`, `Sleep`. */
export function headline(e: Pick<EntryView, "type" | "name" | "target" | "target_id">, style: Style): string {
  let label = style.bold(e.type);
  if (e.target) {
    const t = e.target;
    label += ` ${t.key !== undefined ? `${t.service}/${t.key}/${t.handler}` : `${t.service}/${t.handler}`}`;
    if (t.invocationId) label += style.dim(` → ${t.invocationId}`);
  } else if (e.name) label += ` '${e.name}'`;
  if (e.target_id) label += style.dim(` → ${e.target_id}`);
  return label;
}

/** A one-line outcome: `= 42`, `failed [500] …`, `(pending)`. */
export function outcome(e: EntryView, style: Style, ended = false): string {
  if (e.result) return resultText(e.result, style, false);
  if (!e.completed) return ended ? style.dim(NEVER_COMPLETED) : style.yellow("pending");
  if (e.value !== undefined) return style.dim(`${e.type === "Call" || e.type === "OneWayCall" ? "input" : "value"} ${preview(e.value)}`);
  return "";
}

const NEVER_COMPLETED = "never completed (the invocation ended first)";

function timing(e: EntryView, start: string, style: Style, ended: boolean): string {
  if (!e.created_at) return "";
  const at = `+${duration(Date.parse(e.created_at) - Date.parse(start))}`;
  const took = e.completed_at && e.completed_at !== e.created_at ? ` took ${duration(Date.parse(e.completed_at) - Date.parse(e.created_at))}` : "";
  return style.dim(`${at}${took}`) + (e.completed ? "" : " " + (ended ? style.dim(NEVER_COMPLETED) : style.yellow("pending")));
}

function details(e: EntryView, style: Style, ended: boolean): string[] {
  const lines: string[] = [];
  const ind = "    ";
  if (e.value !== undefined) lines.push(payloadLines(e.type === "Call" || e.type === "OneWayCall" ? "input: " : "value: ", e.value, e.value_encoding, style, ind));
  if (e.keys) lines.push(`${ind}keys: ${JSON.stringify(e.keys)}`);
  if (e.wake_up_at) lines.push(`${ind}${e.completed ? "woke up at" : ended ? "was to wake up at" : "wakes up at"} ${e.wake_up_at}`);
  if (e.target?.invokeAt !== undefined) lines.push(`${ind}runs at ${new Date(e.target.invokeAt).toISOString()}`);
  if (e.target?.idempotencyKey) lines.push(`${ind}idempotency key: ${e.target.idempotencyKey}`);
  if (e.completion) lines.push(`${ind}completes the promise with ${resultText(e.completion, style, true, ind)}`);
  if (e.result) lines.push(`${ind}${resultText(e.result, style, true, ind)}`);
  return lines;
}

/** A result: its value (pretty when `multiline`), its failure, or that it is empty. */
export function resultText(r: ResultView, style: Style, multiline: boolean, indent = ""): string {
  if ("failure" in r) return style.red(`failed [${r.failure.code}] ${r.failure.message}`);
  if ("empty" in r || r.value === undefined) return style.dim("(empty)");
  const enc = r.value_encoding ? style.dim(` (${r.value_encoding})`) : "";
  if (!multiline) return `= ${preview(r.value)}${enc}`;
  return "= " + pretty(r.value, indent).trimStart() + enc;
}

function payloadLines(label: string, value: unknown, encoding: string | undefined, style: Style, indent = "    "): string {
  const enc = encoding ? style.dim(` (${encoding})`) : "";
  return indent + label + pretty(value, indent).trimStart() + enc;
}
