/** Journal entries as tests read them: payloads decoded, completions spelled out. */
import type { Engine } from "../runtime/engine/engine.js";
import { isCompleted } from "../runtime/storage/codec.js";
import type { EntryType, JournalEntry, Result } from "../sdk/worker/protocol.js";

export interface JournalEntryView {
  /** 1-based; the input is entry 0 and not listed. */
  index: number;
  type: EntryType;
  /** Run name, state key, promise name, or "service/handler" of a call. */
  name?: string;
  /** Whether the entry has its outcome (commands without one are complete once journaled). */
  completed: boolean;
  /** The command's payload, decoded: a state value set, a call's input, a promise's or awakeable's completion. */
  value?: unknown;
  /** The entry's outcome, decoded: a run's value, a state value read, a call's output. */
  result?: unknown;
  /** The entry failed: a run or call that ended with a TerminalError, a rejected awakeable or promise. */
  failure?: { code: number; message: string };
  /** Calls and sends: the callee. */
  target?: { service: string; handler: string; key?: string; invocationId?: string };
  /** Sleeps: when the timer fires (ms since epoch, on the environment's clock). */
  wakeUpAt?: number;
}

/** The journal of an invocation: from memory while it runs, else from SQLite. */
export function readJournal(engine: Engine, invocationId: string): JournalEntryView[] {
  const entries = engine.journalOf(invocationId);
  if (!entries) throw new Error(`invocation '${invocationId}' not found`);
  return entries.map(view);
}

function view(e: JournalEntry): JournalEntryView {
  const v: JournalEntryView = { index: e.index, type: e.type, completed: isCompleted(e) };
  if (e.name !== undefined) v.name = e.name;
  const payload = e.value !== undefined ? decode(e.value) : e.completion ? outcome(e.completion).value : undefined;
  if (payload !== undefined) v.value = payload;
  if (e.completion?.kind === "failure") v.failure = { code: e.completion.code, message: e.completion.message };
  if (e.result) {
    const r = outcome(e.result);
    if (r.value !== undefined) v.result = r.value;
    if (r.failure) v.failure = r.failure;
  }
  if (e.keys) v.result = e.keys;
  if (e.target) {
    const { service, handler, key, invocationId } = e.target;
    v.target = { service, handler, ...(key !== undefined ? { key } : {}), ...(invocationId !== undefined ? { invocationId } : {}) };
  }
  if (e.wakeUpAt !== undefined) v.wakeUpAt = e.wakeUpAt;
  return v;
}

function outcome(r: Result): { value?: unknown; failure?: { code: number; message: string } } {
  if (r.kind === "failure") return { failure: { code: r.code, message: r.message } };
  if (r.kind === "empty") return {};
  const value = decode(r.value);
  return value === undefined ? {} : { value };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** JSON when the bytes are JSON (the default serde), else the bytes themselves. */
export function decode(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) return undefined;
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return bytes;
  }
}
