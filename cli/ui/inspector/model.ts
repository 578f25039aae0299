/**
 * Pure functions from admin API data to what the screens show: status labels
 * and counts, filtering and sorting, journal entry cells, the journal-mismatch
 * reading of an attempt, the alignment of two journals, and the call tree.
 * No React here, so tests and screens share one reading of the data.
 */
import { JOURNAL_MISMATCH_CODE } from "../../../sdk/errors.js";
import type { AttemptView, InvocationDetail, InvocationSummary, JournalEntryView, ResultView } from "./types.js";

// ---------------------------------------------------------------- statuses

/** The status a person reads: a completed invocation says whether it failed. */
export function statusLabel(inv: Pick<InvocationSummary, "status" | "completion_result">): string {
  if (inv.status === "completed") return inv.completion_result === "failure" ? "failed" : "completed";
  return inv.status;
}

/** The order statuses are counted and cycled in: live work first. */
export const STATUS_ORDER = ["running", "ready", "pending", "scheduled", "suspended", "backing-off", "paused", "completed", "failed"];

const STATUS_COLOUR: Record<string, string> = {
  running: "cyan",
  ready: "cyan",
  pending: "gray",
  scheduled: "gray",
  suspended: "blue",
  "backing-off": "yellow",
  paused: "magenta",
  completed: "green",
  failed: "red",
};

export function statusColour(label: string): string | undefined {
  return STATUS_COLOUR[label];
}

/** A one-character mark per status, so the list reads without colour too. */
const STATUS_MARK: Record<string, string> = {
  running: "▶",
  ready: "▶",
  pending: "·",
  scheduled: "◷",
  suspended: "‖",
  "backing-off": "↻",
  paused: "⏸",
  completed: "✓",
  failed: "✗",
};

export function statusMark(label: string): string {
  return STATUS_MARK[label] ?? "?";
}

export function statusCounts(list: InvocationSummary[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const inv of list) {
    const l = statusLabel(inv);
    counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  const known = STATUS_ORDER.filter((s) => counts.has(s)).map((s): [string, number] => [s, counts.get(s)!]);
  const other = [...counts].filter(([s]) => !STATUS_ORDER.includes(s));
  return [...known, ...other];
}

// ---------------------------------------------------------------- list filters

/** "all", "unfinished" (not completed), or one status label. */
export type StatusFilter = string;

export type SortKey = "newest" | "oldest" | "status" | "target" | "attempts" | "changed";
export const SORT_KEYS: SortKey[] = ["newest", "oldest", "status", "target", "attempts", "changed"];

export interface ListFilter {
  text: string;
  status: StatusFilter;
  service: string | null;
  handler: string | null;
  sort: SortKey;
}

export const NO_FILTER: ListFilter = { text: "", status: "all", service: null, handler: null, sort: "newest" };

/** The next status filter: all → unfinished → each status present → all. */
export function nextStatusFilter(current: StatusFilter, list: InvocationSummary[]): StatusFilter {
  const cycle = ["all", "unfinished", ...statusCounts(list).map(([s]) => s)];
  const i = cycle.indexOf(current);
  return cycle[(i + 1) % cycle.length] ?? "all";
}

/** The next service filter: all → each service present → all. */
export function nextServiceFilter(current: string | null, list: InvocationSummary[]): string | null {
  const names = [...new Set(list.map((i) => i.service))].sort();
  if (current === null) return names[0] ?? null;
  const i = names.indexOf(current);
  return i < 0 || i + 1 >= names.length ? null : names[i + 1]!;
}

export function nextSort(current: SortKey): SortKey {
  return SORT_KEYS[(SORT_KEYS.indexOf(current) + 1) % SORT_KEYS.length]!;
}

/** The text the filter searches: id, target, key, status, error. */
function haystack(inv: InvocationSummary): string {
  return [inv.id, inv.target, inv.key ?? "", statusLabel(inv), shortError(inv) ?? "", inv.idempotency_key ?? ""].join(" ").toLowerCase();
}

export function applyFilter(list: InvocationSummary[], f: ListFilter): InvocationSummary[] {
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  const rows = list.filter((inv) => {
    const label = statusLabel(inv);
    if (f.status === "unfinished" ? inv.status === "completed" : f.status !== "all" && label !== f.status) return false;
    if (f.service !== null && inv.service !== f.service) return false;
    if (f.handler !== null && inv.handler !== f.handler) return false;
    if (words.length) {
      const h = haystack(inv);
      if (!words.every((w) => h.includes(w))) return false;
    }
    return true;
  });
  return sortRows(rows, f.sort);
}

function sortRows(rows: InvocationSummary[], sort: SortKey): InvocationSummary[] {
  const time = (s: string | null | undefined) => (s ? Date.parse(s) : 0);
  const byNewest = (a: InvocationSummary, b: InvocationSummary) => time(b.created_at) - time(a.created_at);
  const out = [...rows];
  switch (sort) {
    case "newest":
      return out; // the admin API lists newest first
    case "oldest":
      return out.reverse();
    case "status":
      return out.sort((a, b) => rank(statusLabel(a)) - rank(statusLabel(b)) || byNewest(a, b));
    case "target":
      return out.sort((a, b) => a.target.localeCompare(b.target) || byNewest(a, b));
    case "attempts":
      return out.sort((a, b) => b.retry_count - a.retry_count || byNewest(a, b));
    case "changed":
      return out.sort((a, b) => time(b.modified_at ?? b.created_at) - time(a.modified_at ?? a.created_at));
  }
}

function rank(label: string): number {
  const i = STATUS_ORDER.indexOf(label);
  return i < 0 ? STATUS_ORDER.length : i;
}

/** The failure to show in one line: how it ended, or the last failed attempt of an unfinished one. */
export function shortError(inv: Pick<InvocationSummary, "status" | "completion_failure" | "last_failure">): string | undefined {
  if (inv.completion_failure) return `[${inv.completion_failure.code}] ${firstLine(inv.completion_failure.message)}`;
  if (inv.status !== "completed" && inv.last_failure) return `[${inv.last_failure.code}] ${firstLine(inv.last_failure.message)}`;
  return undefined;
}

function firstLine(s: string): string {
  return s.split("\n")[0] ?? "";
}

// ---------------------------------------------------------------- times and text

/** A short age or duration: 850ms, 12s, 3m, 2h, 4d (ms = false drops the ms unit). */
export function shortDuration(ms: number, withMs = false): string {
  if (!Number.isFinite(ms)) return "?";
  ms = Math.max(0, ms);
  if (withMs && ms < 1000) return `${Math.round(ms)}ms`;
  if (withMs && ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function age(iso: string | null | undefined, now: number): string {
  return iso ? shortDuration(now - Date.parse(iso)) : "";
}

/** Cuts to `n` characters with an ellipsis; pads to `n` when `pad`. */
export function fit(s: string, n: number, pad = false): string {
  if (n <= 0) return "";
  const cut = s.length <= n ? s : n === 1 ? "…" : `${s.slice(0, n - 1)}…`;
  return pad ? cut.padEnd(n) : cut;
}

/** An id short enough for a column: inv_1abcdefgh… */
export function shortId(id: string, n = 14): string {
  return id.length <= n ? id : `${id.slice(0, n - 1)}…`;
}

/** A JSON value on one line. */
export function preview(value: unknown): string {
  if (value === undefined) return "";
  return JSON.stringify(value) ?? String(value);
}

/** A payload pretty-printed as lines; text and base64 payloads say what they are. */
export function payloadLines(value: unknown, encoding?: string): string[] {
  if (value === undefined) return ["(empty)"];
  if (encoding === "utf8" && typeof value === "string") return [`(text) ${value.split("\n")[0] ?? ""}`, ...value.split("\n").slice(1)];
  if (encoding === "base64") return [`(binary, base64) ${String(value)}`];
  return (JSON.stringify(value, null, 2) ?? String(value)).split("\n");
}

/** A result pretty-printed as lines. */
export function resultLines(r: ResultView | undefined): string[] {
  if (!r) return ["(none yet)"];
  if ("failure" in r) return [`failed [${r.failure.code}] ${r.failure.message}`];
  if ("empty" in r || r.value === undefined) return ["(empty)"];
  return payloadLines(r.value, r.value_encoding);
}

export function resultPreview(r: ResultView | undefined): string {
  if (!r) return "";
  if ("failure" in r) return `✗ [${r.failure.code}] ${firstLine(r.failure.message)}`;
  if ("empty" in r || r.value === undefined) return "(empty)";
  return r.value_encoding === "base64" ? "(binary)" : preview(r.value);
}

// ---------------------------------------------------------------- journal entries

/** What an entry is about: its name, its call target, or its state key. */
export function entryName(e: Pick<JournalEntryView, "name" | "target" | "target_id" | "keys">): string {
  if (e.target) return e.target.key !== undefined ? `${e.target.service}/${e.target.key}/${e.target.handler}` : `${e.target.service}/${e.target.handler}`;
  if (e.name) return e.name;
  if (e.target_id) return e.target_id;
  return "";
}

/** How long the entry took, or has been waiting, or will sleep. */
export function entryDuration(e: JournalEntryView, now: number, ended = false): string {
  const start = e.created_at ? Date.parse(e.created_at) : undefined;
  if (start === undefined) return "";
  if (e.completed && e.completed_at) return shortDuration(Date.parse(e.completed_at) - start, true);
  if (!e.completed && ended) return "";
  if (!e.completed && e.type === "Sleep" && e.wake_up_at) return `⏲ ${shortDuration(Date.parse(e.wake_up_at) - now, true)}`;
  if (!e.completed) return `…${shortDuration(now - start)}`;
  return "";
}

/** "abandoned": still open in an invocation that has completed (cancelled or killed while it waited). */
export type EntryState = "completed" | "failed" | "waiting" | "abandoned";

export function entryState(e: JournalEntryView, ended = false): EntryState {
  if (!e.completed) return ended ? "abandoned" : "waiting";
  return e.result && "failure" in e.result ? "failed" : "completed";
}

/** The invocation an entry links to: a call's callee, or an attached or cancelled invocation. */
export function entryLink(e: JournalEntryView): string | undefined {
  return e.target?.invocationId ?? (e.target_id?.startsWith("inv_") ? e.target_id : undefined);
}

/** Failed attempts whose failure points at entry `index`. */
export function attemptsAt(attempts: AttemptView[], index: number): AttemptView[] {
  return attempts.filter((a) => a.related_entry_index === index);
}

// ---------------------------------------------------------------- journal mismatch

export interface Mismatch {
  index: number;
  /** What the journal holds at `index`, as the message names it: `Run 'reserve'`. */
  journalHolds: string;
  /** What the code issued instead: `Run 'charge'`. */
  codeDoes: string;
  codeType: string | null;
  codeName: string | null;
  message: string;
  attempt: number | null;
}

const MISMATCH = /Journal mismatch at entry (\d+): the journal holds (.+?), but the code now does (.+?)\.(?:\s|$)/;

/** Restate's non-determinism error code (the SDK's constant). */
export { JOURNAL_MISMATCH_CODE };

/**
 * The journal mismatch an invocation is failing with, if it is: read from its
 * newest failed attempt (or its last failure) with code 570.
 */
export function findMismatch(inv: Pick<InvocationDetail, "status" | "attempts" | "last_failure">): Mismatch | undefined {
  if (inv.status === "completed") return undefined;
  const last = inv.attempts.at(-1);
  if (last && last.code === JOURNAL_MISMATCH_CODE) {
    return readMismatch(last.message, last.related_entry_index, last.related_entry_type, last.related_entry_name, last.attempt);
  }
  const lf = inv.last_failure;
  if (!last && lf && lf.code === JOURNAL_MISMATCH_CODE) return readMismatch(lf.message, lf.relatedIndex ?? null, lf.relatedType ?? null, lf.relatedName ?? null, null);
  return undefined;
}

function readMismatch(message: string, index: number | null, type: string | null, name: string | null, attempt: number | null): Mismatch | undefined {
  const m = MISMATCH.exec(message);
  const at = index ?? (m ? Number(m[1]) : undefined);
  if (at === undefined) return undefined;
  const code = type ? `${type}${name ? ` '${name}'` : ""}` : undefined;
  return {
    index: at,
    journalHolds: m?.[2] ?? "?",
    codeDoes: m?.[3] ?? code ?? "?",
    codeType: type,
    codeName: name,
    message,
    attempt,
  };
}

// ---------------------------------------------------------------- diff

export type DiffKind = "same" | "changed" | "left-only" | "right-only";

export interface DiffRow {
  index: number;
  left: DiffCell | undefined;
  right: DiffCell | undefined;
  kind: DiffKind;
}

export interface DiffCell {
  type: string;
  name: string;
  /** The entry's payload (a call's input, a state value set) and its result, for comparing. */
  value: unknown;
  result: ResultView | undefined;
  completed: boolean;
}

function inputCell(inv: InvocationDetail): DiffCell {
  return { type: "Input", name: "", value: inv.input ?? undefined, result: undefined, completed: true };
}

function entryCell(e: JournalEntryView): DiffCell {
  // The name leaves out the callee's invocation id: a restart's calls have new ones.
  return { type: e.type, name: entryName(e), value: e.value, result: e.result, completed: e.completed };
}

/** Two journals aligned by index (0 is the input); a row differs when type, name, payload or result differ. */
export function alignJournals(left: InvocationDetail, right: InvocationDetail): DiffRow[] {
  const l = new Map<number, DiffCell>([[0, inputCell(left)], ...left.journal.map((e): [number, DiffCell] => [e.index, entryCell(e)])]);
  const r = new Map<number, DiffCell>([[0, inputCell(right)], ...right.journal.map((e): [number, DiffCell] => [e.index, entryCell(e)])]);
  const indexes = [...new Set([...l.keys(), ...r.keys()])].sort((a, b) => a - b);
  const rows = indexes.map((index): DiffRow => {
    const a = l.get(index);
    const b = r.get(index);
    const kind: DiffKind = !a ? "right-only" : !b ? "left-only" : sameCell(a, b) ? "same" : "changed";
    return { index, left: a, right: b, kind };
  });
  // The outcome of the whole invocation, as a last row.
  const outcome = (inv: InvocationDetail): DiffCell | undefined =>
    inv.result ? { type: "Output", name: "", value: undefined, result: inv.result, completed: true } : undefined;
  const lo = outcome(left);
  const ro = outcome(right);
  if (lo || ro) rows.push({ index: -1, left: lo, right: ro, kind: !lo ? "right-only" : !ro ? "left-only" : sameCell(lo, ro) ? "same" : "changed" });
  return rows;
}

function sameCell(a: DiffCell, b: DiffCell): boolean {
  return a.type === b.type && a.name === b.name && preview(a.value) === preview(b.value) && preview(a.result) === preview(b.result);
}

// ---------------------------------------------------------------- call tree

export interface Link {
  relation: "parent" | "child" | "attached" | "restarted from" | "restarted as";
  id: string;
  label: string;
  /** The journal entry that made the link, if any. */
  index?: number;
}

/** The invocations this one is linked to: who called it, whom it called, what it restarted from and as. */
export function callLinks(inv: InvocationDetail, list: InvocationSummary[]): Link[] {
  const links: Link[] = [];
  const known = new Map(list.map((i) => [i.id, i]));
  if (inv.invoked_by_id) links.push({ relation: "parent", id: inv.invoked_by_id, label: inv.invoked_by_target ?? known.get(inv.invoked_by_id)?.target ?? "" });
  if (inv.restarted_from) links.push({ relation: "restarted from", id: inv.restarted_from, label: known.get(inv.restarted_from)?.target ?? inv.target });
  for (const e of inv.journal) {
    const id = entryLink(e);
    if (!id) continue;
    const child = e.type === "Call" || e.type === "OneWayCall";
    links.push({ relation: child ? "child" : "attached", id, label: `${e.type} ${entryName(e)}`.trim(), index: e.index });
  }
  for (const other of list) if (other.restarted_from === inv.id) links.push({ relation: "restarted as", id: other.id, label: other.target });
  return links;
}
