/** Maps journal entries and results to and from table rows. */
import type { JournalEntry, Result } from "../../sdk/worker/protocol.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface ResultColumns {
  result_kind: "value" | "empty" | "failure" | null;
  result: Uint8Array | null;
}

export function resultToColumns(r: Result | undefined): ResultColumns {
  if (!r) return { result_kind: null, result: null };
  if (r.kind === "value") return { result_kind: "value", result: r.value };
  if (r.kind === "empty") return { result_kind: "empty", result: null };
  const { code, message, metadata } = r;
  return { result_kind: "failure", result: encoder.encode(JSON.stringify({ code, message, ...(metadata ? { metadata } : {}) })) };
}

export function resultFromColumns(kind: string | null, bytes: Uint8Array | Buffer | null): Result | undefined {
  if (kind === "value") return { kind: "value", value: toBytes(bytes) };
  if (kind === "empty") return { kind: "empty" };
  if (kind === "failure") {
    const f = JSON.parse(decoder.decode(toBytes(bytes))) as { code: number; message: string; metadata?: Record<string, string> };
    return { kind: "failure", code: f.code, message: f.message, ...(f.metadata ? { metadata: f.metadata } : {}) };
  }
  return undefined;
}

/** better-sqlite3 returns Buffers; the protocol speaks Uint8Array. */
export function toBytes(b: Uint8Array | Buffer | null | undefined): Uint8Array {
  if (!b) return new Uint8Array(0);
  return b instanceof Buffer ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : b;
}

export interface EntryRow {
  invocation_id: string;
  idx: number;
  type: string;
  name: string | null;
  value: Buffer | null;
  params: string | null;
  result_kind: string | null;
  result: Buffer | null;
  created_at: number;
  completed_at: number | null;
  completion_seq?: number | null;
}

export function entryParams(e: JournalEntry): string | null {
  const p: Record<string, unknown> = {};
  if (e.target) p.target = e.target;
  if (e.keys) p.keys = e.keys;
  if (e.wakeUpAt !== undefined) p.wakeUpAt = e.wakeUpAt;
  if (e.targetId !== undefined) p.targetId = e.targetId;
  if (e.completion !== undefined) p.completion = e.completion.kind === "value" ? { kind: "value", value: Buffer.from(e.completion.value).toString("base64") } : e.completion;
  return Object.keys(p).length ? JSON.stringify(p) : null;
}

export function entryFromRow(r: EntryRow): JournalEntry {
  const e: JournalEntry = { index: r.idx, type: r.type as JournalEntry["type"] };
  if (r.name !== null) e.name = r.name;
  if (r.value !== null) e.value = toBytes(r.value);
  if (r.params) {
    const p = JSON.parse(r.params) as Record<string, any>;
    if (p.completion?.kind === "value") p.completion = { kind: "value", value: new Uint8Array(Buffer.from(p.completion.value, "base64")) };
    Object.assign(e, p);
  }
  if (r.completion_seq !== null && r.completion_seq !== undefined) e.seq = r.completion_seq;
  const result = resultFromColumns(r.result_kind, r.result);
  if (result) e.result = result;
  return e;
}

/** Whether an entry is complete: commands without a completion are complete once journaled. */
export function isCompleted(e: JournalEntry): boolean {
  switch (e.type) {
    case "Run":
    case "Call":
    case "Sleep":
    case "Awakeable":
    case "GetPromise":
    case "PeekPromise":
    case "CompletePromise":
    case "AttachInvocation":
      return e.result !== undefined;
    default:
      return true;
  }
}
