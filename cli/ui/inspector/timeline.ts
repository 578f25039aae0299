/**
 * The detail screen's data, read from `GET /invocations/{id}`: the journal as
 * timeline rows (input, entries, output), the lines of the selected row's
 * payload and result, and how many items each pane has (for its cursor).
 */
import {
  attemptsAt,
  entryDuration,
  entryLink,
  entryName,
  entryState,
  payloadLines,
  resultLines,
  shortDuration,
  type EntryState,
} from "./model.js";
import type { InvocationDetail, JournalEntryView, KeyState } from "./types.js";

export interface TimelineRow {
  /** Journal index; 0 is the input, -1 the output. */
  index: number;
  type: string;
  name: string;
  duration: string;
  state: EntryState | "input" | "output";
  /** Failed attempts that point at this entry. */
  failures: number;
  link?: string;
  entry?: JournalEntryView;
}

export function timelineRows(inv: InvocationDetail, now: number): TimelineRow[] {
  const rows: TimelineRow[] = [{ index: 0, type: "Input", name: inputLabel(inv), duration: "", state: "input", failures: attemptsAt(inv.attempts, 0).length }];
  for (const e of inv.journal) {
    const link = entryLink(e);
    rows.push({
      index: e.index,
      type: e.type,
      name: entryName(e),
      duration: entryDuration(e, now, inv.status === "completed"),
      state: entryState(e, inv.status === "completed"),
      failures: attemptsAt(inv.attempts, e.index).length,
      ...(link ? { link } : {}),
      entry: e,
    });
  }
  if (inv.result) {
    const took = inv.completed_at ? shortDuration(Date.parse(inv.completed_at) - Date.parse(inv.created_at), true) : "";
    rows.push({ index: -1, type: "Output", name: "", duration: took, state: "output", failures: 0 });
  }
  return rows;
}

function inputLabel(inv: InvocationDetail): string {
  return inv.invoked_by === "service" && inv.invoked_by_target ? `from ${inv.invoked_by_target}` : inv.idempotency_key ? `idempotency key ${inv.idempotency_key}` : "";
}

export interface PaneLine {
  text: string;
  colour?: string;
  bold?: boolean;
  dim?: boolean;
}

const rel = (iso: string | null | undefined, start: string) => (iso ? `+${shortDuration(Date.parse(iso) - Date.parse(start), true)}` : "");

/** The selected row in full: what it is, when, its payload and result pretty-printed, and the failures that point at it. */
export function entryPaneLines(inv: InvocationDetail, row: TimelineRow | undefined): PaneLine[] {
  if (!row) return [];
  const out: PaneLine[] = [];
  const push = (text: string, style: Omit<PaneLine, "text"> = {}) => out.push({ text, ...style });
  const block = (title: string, lines: string[], colour?: string) => {
    push(title, { bold: true });
    for (const l of lines) push(`  ${l}`, colour ? { colour } : {});
  };
  if (row.state === "input") {
    push(`#0 Input  ${inv.created_at}`, { bold: true });
    if (inv.headers.length) push(`headers: ${inv.headers.map((h) => `${h.name}: ${h.value}`).join(", ")}`, { dim: true });
    block("input", inv.input === null || inv.input === undefined ? ["(empty)"] : payloadLines(inv.input, inv.input_encoding));
  } else if (row.state === "output") {
    push(`Output  completed ${inv.completed_at ?? ""}${row.duration ? ` after ${row.duration}` : ""}`, { bold: true });
    const failed = inv.result && "failure" in inv.result;
    block(failed ? "failure" : "result", resultLines(inv.result), failed ? "red" : undefined);
  } else if (row.entry) {
    const e = row.entry;
    push(`#${e.index} ${e.type}${row.name ? ` ${row.name}` : ""}`, { bold: true });
    const ended = inv.status === "completed";
    const open = ended ? "never completed (the invocation ended first)" : "waiting";
    const when = [e.created_at ? `journaled ${rel(e.created_at, inv.created_at)}` : "", e.completed_at && e.completed ? `completed ${rel(e.completed_at, inv.created_at)}` : e.completed ? "" : open];
    push(when.filter(Boolean).join(", ") + (row.duration ? `  (${row.duration})` : ""), { dim: true });
    if (row.link) push(`→ ${row.link}  (⏎ opens it)`, { colour: "cyan" });
    if (e.wake_up_at) push(`${e.completed ? "woke up at" : ended ? "was to wake up at" : "wakes up at"} ${e.wake_up_at}`);
    if (e.target?.invokeAt !== undefined) push(`runs at ${new Date(e.target.invokeAt).toISOString()}`);
    if (e.target?.idempotencyKey) push(`idempotency key ${e.target.idempotencyKey}`);
    if (e.value !== undefined) block(e.type === "Call" || e.type === "OneWayCall" ? "input" : "value", payloadLines(e.value, e.value_encoding));
    if (e.keys) block("keys", [JSON.stringify(e.keys)]);
    if (e.completion) block("completes with", resultLines(e.completion));
    if (e.result) {
      const failed = "failure" in e.result;
      block(failed ? "failure" : "result", resultLines(e.result), failed ? "red" : undefined);
    } else if (!e.completed) push(ended ? "result: none" : "result: (waiting)", ended ? { dim: true } : { colour: "yellow" });
  }
  const failures = row.index >= 0 ? attemptsAt(inv.attempts, row.index) : [];
  if (failures.length) {
    push(`${failures.length} failed attempt${failures.length === 1 ? "" : "s"} at this entry`, { bold: true, colour: "red" });
    for (const a of failures.slice(-3)) push(`  attempt ${a.attempt}: [${a.code}] ${a.message.split("\n")[0]}`, { colour: "red" });
  }
  return out;
}

/** Names in a key's state, in the order the state pane lists them. */
export function stateNames(state: KeyState | undefined): string[] {
  return state ? Object.keys(state.state).sort() : [];
}

/** Whether an invocation belongs to a key with state (a virtual object or workflow). */
export function isKeyed(inv: Pick<InvocationDetail, "key" | "service_type">): boolean {
  return inv.key !== null && inv.service_type !== "service" && inv.service_type !== "SERVICE";
}
