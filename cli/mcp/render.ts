/**
 * Admin API answers as compact text for an assistant: one line per item,
 * payloads on one line and cut to a budget, each cut saying how big the value
 * is and which tool call returns all of it. No colours, no alignment padding.
 */
import type { InvocationDetail, InvocationSummary, JournalEntryView, ResultView } from "../admin_types.js";
import { alignJournals, entryName, findMismatch, statusLabel, type DiffCell } from "../ui/inspector/model.js";

/** Characters of one payload in lists and journals. */
export const PAYLOAD_BUDGET = 400;
/** Characters of a single value asked for on its own (get_value, invoke's output). */
export const VALUE_BUDGET = 20_000;
/** Characters of one list-like answer (a journal, invocations, a key's state). */
export const LIST_BUDGET = 24_000;

/**
 * Lines within `budget` characters: the first two thirds and the last third
 * of it, and in between one line (from `gap`) saying which were left out.
 */
export function capLines(lines: string[], budget: number, gap: (first: number, last: number) => string): string[] {
  const total = lines.reduce((n, l) => n + l.length + 1, 0);
  if (total <= budget) return lines;
  let head = 0;
  for (let used = 0; head < lines.length && used + lines[head]!.length < (budget * 2) / 3; head++) used += lines[head]!.length + 1;
  let tail = lines.length;
  for (let used = 0; tail > head && used + lines[tail - 1]!.length < budget / 3; tail--) used += lines[tail - 1]!.length + 1;
  return [...lines.slice(0, head), gap(head, tail - 1), ...lines.slice(tail)];
}

/** A JSON value on one line, cut to `budget` characters with a note on how to get the rest. */
export function clipValue(value: unknown, budget: number, fullCall: string | undefined): string {
  const text = value === undefined ? "(empty)" : typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  if (text.length <= budget) return text;
  const rest = fullCall ? `; ${fullCall} returns it whole` : "";
  return `${text.slice(0, budget)}… [truncated: ${size(text.length)} in all${rest}]`;
}

export function size(chars: number): string {
  return chars < 1024 ? `${chars} chars` : `${(chars / 1024).toFixed(1)} KB`;
}

/** `get_value {"id":"inv_…","entry":3}`: the call that returns a journal payload whole. */
export function valueCall(args: Record<string, string | number>): string {
  return `get_value ${JSON.stringify(args)}`;
}

export function resultText(r: ResultView | undefined, budget: number, fullCall: string | undefined): string {
  if (!r) return "(no result yet)";
  if ("failure" in r) return `failed [${r.failure.code}] ${r.failure.message}`;
  if ("empty" in r || r.value === undefined) return "(empty)";
  return `= ${clipValue(r.value, budget, fullCall)}${r.value_encoding ? ` (${r.value_encoding})` : ""}`;
}

// ---------------------------------------------------------------- invocations

export function summaryLine(inv: InvocationSummary): string {
  const parts = [inv.id, inv.target, statusLabel(inv)];
  if (inv.retry_count) parts.push(`${inv.retry_count} failed attempt${inv.retry_count === 1 ? "" : "s"}`);
  parts.push(`created ${inv.created_at}`);
  const failure = inv.completion_failure ?? (inv.status !== "completed" ? inv.last_failure : null);
  if (failure) parts.push(`[${failure.code}] ${oneLine(failure.message, 160)}`);
  if (inv.status === "backing-off" && inv.next_retry_at) parts.push(`next attempt ${inv.next_retry_at}`);
  if (inv.status === "scheduled" && inv.scheduled_start_at) parts.push(`starts ${inv.scheduled_start_at}`);
  return parts.join(" | ");
}

/** `#3 Run 'charge'`, `#2 Call payments/charge -> inv_1…`. */
export function entryHead(e: JournalEntryView): string {
  const name = entryName(e);
  const quoted = e.target || !name ? name : `'${name}'`;
  const link = e.target?.invocationId ?? (e.target_id && e.target_id !== name ? e.target_id : undefined);
  return `#${e.index} ${e.type}${quoted ? ` ${quoted}` : ""}${link ? ` -> ${link}` : ""}`;
}

/** One journal entry on one line (plus its payload when it has one), payloads cut to `budget`. */
export function entryText(inv: Pick<InvocationDetail, "id">, e: JournalEntryView, budget: number): string {
  const full = valueCall({ id: inv.id, entry: e.index });
  const parts = [entryHead(e)];
  if (e.value !== undefined) parts.push(`${e.type === "Call" || e.type === "OneWayCall" ? "input" : "value"} ${clipValue(e.value, budget, full)}${e.value_encoding ? ` (${e.value_encoding})` : ""}`);
  if (e.keys) parts.push(`keys ${JSON.stringify(e.keys)}`);
  if (e.wake_up_at) parts.push(`wakes up at ${e.wake_up_at}`);
  if (e.target?.invokeAt !== undefined) parts.push(`runs at ${new Date(e.target.invokeAt).toISOString()}`);
  if (e.target?.idempotencyKey) parts.push(`idempotency key ${e.target.idempotencyKey}`);
  if (e.completion) parts.push(`completes with ${resultText(e.completion, budget, full)}`);
  if (e.result) parts.push(resultText(e.result, budget, full));
  else if (!e.completed) parts.push("pending");
  if (e.created_at && e.completed_at && e.completed_at !== e.created_at) parts.push(`took ${Date.parse(e.completed_at) - Date.parse(e.created_at)}ms`);
  return parts.join(" | ");
}

export function journalText(inv: InvocationDetail): string {
  const out = [`${inv.id} ${inv.target} ${statusLabel(inv)}: ${inv.journal.length} journal entr${inv.journal.length === 1 ? "y" : "ies"}`];
  out.push(`#0 Input | ${inv.input === null || inv.input === undefined ? "(empty)" : clipValue(inv.input, PAYLOAD_BUDGET, valueCall({ id: inv.id, entry: 0 }))}${inv.input_encoding ? ` (${inv.input_encoding})` : ""}`);
  const entries = inv.journal.map((e) => entryText(inv, e, PAYLOAD_BUDGET));
  out.push(
    ...capLines(entries, LIST_BUDGET, (first, last) => {
      const [a, b] = [inv.journal[first]!.index, inv.journal[last]!.index];
      const query = `SELECT "index", entry_type, name, entry_json FROM sys_journal WHERE id = '${inv.id}' AND "index" BETWEEN ${a} AND ${b}`;
      return `[entries #${a}..#${b} left out (${last - first + 1}, to keep this short): query_sql ${JSON.stringify({ query })} lists them]`;
    }),
  );
  if (inv.result) out.push(`output ${resultText(inv.result, PAYLOAD_BUDGET, valueCall({ id: inv.id, entry: "output" }))}`);
  else if (inv.status === "suspended" && inv.suspended_waiting_for?.length) out.push(`suspended, waiting for ${inv.suspended_waiting_for.map((i) => `#${i}`).join(", ")}`);
  else out.push(`(${statusLabel(inv)}: no output yet)`);
  return out.join("\n");
}

export function describeText(inv: InvocationDetail, children: Map<string, InvocationSummary>): string {
  const out: string[] = [`${inv.id} ${inv.target}`];
  let status = statusLabel(inv);
  if (inv.status === "backing-off" && inv.next_retry_at) status += `, next attempt at ${inv.next_retry_at}`;
  if (inv.status === "suspended" && inv.suspended_waiting_for?.length) status += `, waiting for entries ${inv.suspended_waiting_for.map((i) => `#${i}`).join(", ")}`;
  if (inv.status === "scheduled" && inv.scheduled_start_at) status += `, starts at ${inv.scheduled_start_at}`;
  out.push(`status: ${status}`);
  if (inv.result) out.push(`output: ${resultText(inv.result, PAYLOAD_BUDGET, valueCall({ id: inv.id, entry: "output" }))}`);
  out.push(`input: ${inv.input === null || inv.input === undefined ? "(empty)" : clipValue(inv.input, PAYLOAD_BUDGET, valueCall({ id: inv.id, entry: 0 }))}`);
  out.push(`created ${inv.created_at}${inv.running_at ? `, last started ${inv.running_at}` : ""}${inv.completed_at ? `, completed ${inv.completed_at}` : ""}`);
  out.push(`invoked by: ${inv.invoked_by_id ? `${inv.invoked_by_target ?? "?"} ${inv.invoked_by_id}` : "ingress"}`);
  if (inv.restarted_from) out.push(`restarted from: ${inv.restarted_from} (diff_journals {"id":"${inv.id}"} compares the two)`);
  if (inv.pinned_deployment_id) out.push(`deployment: ${inv.pinned_deployment_id} (the build it runs on; a reload keeps an invocation whose journal the new code does not follow on its own)`);
  if (inv.idempotency_key) out.push(`idempotency key: ${inv.idempotency_key}`);
  out.push(`attempts: ${inv.retry_count} failed${inv.attempts.length ? `, the last at ${inv.attempts[inv.attempts.length - 1]!.at ?? "?"}` : ""}`);

  const last = inv.attempts[inv.attempts.length - 1];
  if (inv.last_failure || last) {
    const f = inv.last_failure ?? { code: last!.code, message: last!.message };
    out.push("", `last failure${last ? ` (attempt ${last.attempt})` : ""}: [${f.code}] ${f.message}`);
    const index = inv.last_failure?.relatedIndex ?? last?.related_entry_index ?? undefined;
    if (index !== undefined && index !== null) {
      const entry = inv.journal.find((e) => e.index === index);
      if (entry) out.push(`  at journal entry ${entryText(inv, entry, PAYLOAD_BUDGET)}`);
      else {
        const type = inv.last_failure?.relatedType ?? last?.related_entry_type ?? "entry";
        const name = inv.last_failure?.relatedName ?? last?.related_entry_name;
        out.push(`  at entry #${index} ${type}${name ? ` '${name}'` : ""} (not journaled: the attempt failed while running it)`);
      }
    }
    if (last?.stack) {
      const frames = last.stack.split("\n").slice(1, 6).map((l) => `    ${l.trim()}`);
      if (frames.length) out.push(...frames);
    }
    if (findMismatch(inv)) out.push(`  this is a journal mismatch (570): journal_mismatch {"id":"${inv.id}"} shows it side by side`);
  }

  out.push("", "call tree:");
  let indent = "  ";
  if (inv.invoked_by_id) {
    out.push(`${indent}${inv.invoked_by_target ?? "?"} ${inv.invoked_by_id} (caller)`);
    indent += "  ";
  }
  out.push(`${indent}${inv.target} ${inv.id} ${statusLabel(inv)} (this one)`);
  for (const e of inv.journal.filter((x) => x.type === "Call" || x.type === "OneWayCall")) {
    const childId = e.target?.invocationId;
    const child = childId ? children.get(childId) : undefined;
    out.push(`${indent}  #${e.index} ${entryName(e)}${e.type === "OneWayCall" ? " (send)" : ""} ${childId ?? "(no id yet)"}${child ? ` ${statusLabel(child)}` : ""}`);
  }

  out.push("", `journal (${inv.journal.length} entr${inv.journal.length === 1 ? "y" : "ies"}; get_journal shows every payload):`);
  const summary = inv.journal.map((e) => `  ${entryText(inv, e, 80)}`);
  out.push(...capLines(summary, LIST_BUDGET / 3, (first, last) => `  [entries #${inv.journal[first]!.index}..#${inv.journal[last]!.index} left out: get_journal shows them]`));
  return out.join("\n");
}

// ---------------------------------------------------------------- mismatch and diff

/** The 570 an invocation is failing with: what the journal holds and what the code now does, with the entries around it. */
export function mismatchText(inv: InvocationDetail): string {
  const m = findMismatch(inv);
  if (!m) {
    const why = inv.status === "completed" ? "it has completed" : inv.last_failure ? `its last failure is [${inv.last_failure.code}], not 570` : "it has not failed";
    return `${inv.id} ${inv.target} is not failing with a journal mismatch (${why}).`;
  }
  const entry = inv.journal.find((e) => e.index === m.index);
  const out = [
    `${inv.id} ${inv.target} fails with a journal mismatch (570) at entry #${m.index}${m.attempt !== null ? ` (attempt ${m.attempt})` : ""}:`,
    `  ${oneLine(m.message, 600)}`,
    "",
    `  the journal holds:  ${entry ? entryText(inv, entry, PAYLOAD_BUDGET) : `#${m.index} ${m.journalHolds}`}`,
    `  the code now does:  #${m.index} ${m.codeType ? `${m.codeType}${m.codeName ? ` '${m.codeName}'` : ""}` : m.codeDoes} (not run: the attempt stopped there)`,
    "",
    "entries around it (journal | code):",
  ];
  for (const e of inv.journal.filter((x) => x.index >= m.index - 3 && x.index <= m.index + 2)) {
    const code = e.index < m.index ? "replayed the same" : e.index === m.index ? `DIFFERS: ${m.codeDoes}` : "(not reached)";
    out.push(`  ${entryHead(e)} | ${code}`);
  }
  const keep = m.index > 1 ? ` {"id":"${inv.id}","from":${m.index - 1}}` : ` {"id":"${inv.id}"}`;
  out.push(
    "",
    "to fix: make the code issue the journal's command at this point again (the handler is replayed, so the order and kind of ctx calls must not change for in-flight invocations);",
    `or give up on this run: kill_invocation {"id":"${inv.id}"}, then restart_invocation${keep} runs it on the new code, keeping the entries before the divergence.`,
  );
  return out.join("\n");
}

function cellText(c: DiffCell | undefined): string {
  if (!c) return "(none)";
  const parts = [`${c.type}${c.name ? ` ${c.name}` : ""}`];
  if (c.value !== undefined) parts.push(clipValue(c.value, 120, undefined));
  if (c.result) parts.push(resultText(c.result, 120, undefined));
  else if (!c.completed) parts.push("pending");
  return parts.join(" ");
}

/** Two journals aligned by entry index; differing rows marked `≠`. */
export function diffText(left: InvocationDetail, right: InvocationDetail): string {
  const rows = alignJournals(left, right);
  const differ = rows.filter((r) => r.kind !== "same").length;
  const out = [`left  ${left.id} ${left.target} ${statusLabel(left)}`, `right ${right.id} ${right.target} ${statusLabel(right)}`, `${differ} of ${rows.length} rows differ (= same, ≠ different, < only left, > only right):`];
  for (const r of rows) {
    const mark = r.kind === "same" ? "=" : r.kind === "changed" ? "≠" : r.kind === "left-only" ? "<" : ">";
    const label = r.index === -1 ? "output" : `#${r.index}`;
    out.push(r.kind === "same" ? `${mark} ${label} ${cellText(r.left)}` : `${mark} ${label} left: ${cellText(r.left)} || right: ${cellText(r.right)}`);
  }
  return out.join("\n");
}

export function oneLine(text: string, max: number): string {
  const line = text.replace(/\s*\n\s*/g, " ");
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
