/**
 * The inspector's UI state and its reducer: which screen is shown (a stack, so
 * Esc goes back), cursors, list filters, the prompt or confirmation in
 * progress, and the status line. Data from the admin API is not kept here.
 */
import { NO_FILTER, type ListFilter } from "./model.js";

export type Screen =
  | { kind: "list" }
  | { kind: "detail"; id: string }
  | { kind: "mismatch"; id: string }
  | { kind: "diff"; left: string; right: string }
  | { kind: "services" };

export type DetailTab = "entry" | "attempts" | "calls" | "state";
export const DETAIL_TABS: DetailTab[] = ["entry", "attempts", "calls", "state"];

export interface DetailCursor {
  /** Timeline row: 0 is the input, then the journal entries, then the output when there is one. */
  row: number;
  tab: DetailTab;
  /** Cursor in the attempts, calls or state pane. */
  pane: number;
  /** First line shown of the entry pane's payload. */
  scroll: number;
}

/** What a text prompt is for. */
export type PromptPurpose =
  | { kind: "filter" }
  | { kind: "edit-result"; id: string; index: number; target: string }
  | { kind: "set-state"; service: string; key: string; name: string | null }
  | { kind: "invoke-key"; service: string; handler: string }
  | { kind: "invoke-body"; service: string; handler: string; key: string | null };

/** An action on the runtime, awaiting confirmation or running. */
export type PendingAction =
  | { kind: "op"; op: "cancel" | "kill" | "pause" | "resume" | "purge"; id: string; target: string }
  | { kind: "restart"; id: string; target: string; from?: number; overrides?: Record<string, unknown> }
  | { kind: "state-set"; service: string; key: string; name: string; value: unknown }
  | { kind: "state-clear"; service: string; key: string; name: string }
  | { kind: "invoke"; service: string; handler: string; key: string | null; body: string };

export type Mode =
  | { kind: "normal" }
  | { kind: "help" }
  | { kind: "prompt"; purpose: PromptPurpose; label: string; text: string; cursor: number; error?: string }
  | { kind: "confirm"; action: PendingAction; question: string };

export type Tone = "info" | "ok" | "error" | "busy";

export interface State {
  stack: Screen[];
  filter: ListFilter;
  /** The selected invocation of the list (the cursor follows it as rows move), and its row. */
  listSelected: string | null;
  listRow: number;
  detail: DetailCursor;
  diffRow: number;
  servicesRow: number;
  /** An invocation marked to be compared with another (`m`, then `d`). */
  mark: string | null;
  mode: Mode;
  status: { text: string; tone: Tone } | null;
}

export function initialState(screen: Screen = { kind: "list" }): State {
  return {
    stack: screen.kind === "list" ? [screen] : [{ kind: "list" }, screen],
    filter: NO_FILTER,
    listSelected: null,
    listRow: 0,
    detail: freshDetail(0),
    diffRow: 0,
    servicesRow: 0,
    mark: null,
    mode: { kind: "normal" },
    status: null,
  };
}

function freshDetail(row: number): DetailCursor {
  return { row, tab: "entry", pane: 0, scroll: 0 };
}

export type Action =
  | { type: "push"; screen: Screen; row?: number; keepStatus?: boolean }
  | { type: "back"; keepStatus?: boolean }
  | { type: "home"; screen: "list" | "services" }
  | { type: "list-move"; delta: number; ids: string[] }
  | { type: "list-sync"; ids: string[] }
  | { type: "filter"; patch: Partial<ListFilter> }
  | { type: "detail-row"; delta: number; rows: number; to?: number }
  | { type: "detail-tab"; delta: number; tab?: DetailTab; pane?: number }
  | { type: "detail-pane"; delta: number; count: number }
  | { type: "detail-scroll"; delta: number }
  | { type: "diff-move"; delta: number; rows: number }
  | { type: "services-move"; delta: number; rows: number }
  | { type: "mark"; id: string | null }
  | { type: "help" }
  | { type: "prompt"; purpose: PromptPurpose; label: string; text: string }
  | { type: "prompt-edit"; edit: PromptEdit }
  | { type: "prompt-error"; error: string }
  | { type: "confirm"; action: PendingAction; question: string }
  | { type: "normal" }
  | { type: "status"; text: string; tone: Tone }
  | { type: "clear-status" };

export type PromptEdit =
  | { op: "insert"; text: string }
  | { op: "backspace" }
  | { op: "delete" }
  | { op: "left" }
  | { op: "right" }
  | { op: "home" }
  | { op: "end" }
  | { op: "clear" };

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

export function current(state: State): Screen {
  return state.stack[state.stack.length - 1] ?? { kind: "list" };
}

export function reducer(state: State, action: Action): State {
  switch (action.type) {
    // Moving to another screen clears the last outcome, unless the move is that outcome (a restart opens its new invocation).
    case "push":
      return { ...state, stack: [...state.stack, action.screen], ...entered(action.screen, action.row), status: action.keepStatus ? state.status : null };
    case "back":
      if (state.stack.length <= 1) return state;
      return { ...state, stack: state.stack.slice(0, -1), detail: freshDetail(0), status: action.keepStatus ? state.status : null };
    case "home":
      return { ...state, stack: [{ kind: action.screen }], status: null };
    case "list-move": {
      if (action.ids.length === 0) return { ...state, listRow: 0, listSelected: null };
      const row = clamp(rowOf(state, action.ids) + action.delta, 0, action.ids.length - 1);
      return { ...state, listRow: row, listSelected: action.ids[row] ?? null };
    }
    case "list-sync": {
      // New rows arrive at the top: keep the selected invocation selected.
      if (action.ids.length === 0) return state.listSelected === null ? state : { ...state, listSelected: null, listRow: 0 };
      const row = rowOf(state, action.ids);
      const id = action.ids[row] ?? null;
      return row === state.listRow && id === state.listSelected ? state : { ...state, listRow: row, listSelected: id };
    }
    case "filter":
      return { ...state, filter: { ...state.filter, ...action.patch } };
    case "detail-row": {
      const row = clamp(action.to ?? state.detail.row + action.delta, 0, Math.max(0, action.rows - 1));
      return row === state.detail.row ? state : { ...state, detail: { ...state.detail, row, scroll: 0 } };
    }
    case "detail-tab": {
      const tab = action.tab ?? DETAIL_TABS[(DETAIL_TABS.indexOf(state.detail.tab) + action.delta + DETAIL_TABS.length) % DETAIL_TABS.length]!;
      return { ...state, detail: { ...state.detail, tab, pane: action.pane ?? 0, scroll: 0 } };
    }
    case "detail-pane":
      return { ...state, detail: { ...state.detail, pane: clamp(state.detail.pane + action.delta, 0, Math.max(0, action.count - 1)) } };
    case "detail-scroll":
      return { ...state, detail: { ...state.detail, scroll: Math.max(0, state.detail.scroll + action.delta) } };
    case "diff-move":
      return { ...state, diffRow: clamp(state.diffRow + action.delta, 0, Math.max(0, action.rows - 1)) };
    case "services-move":
      return { ...state, servicesRow: clamp(state.servicesRow + action.delta, 0, Math.max(0, action.rows - 1)) };
    case "mark":
      return { ...state, mark: action.id };
    case "help":
      return { ...state, mode: state.mode.kind === "help" ? { kind: "normal" } : { kind: "help" } };
    case "prompt":
      return { ...state, mode: { kind: "prompt", purpose: action.purpose, label: action.label, text: action.text, cursor: action.text.length } };
    case "prompt-edit": {
      if (state.mode.kind !== "prompt") return state;
      const mode = { ...state.mode, ...edit(state.mode.text, state.mode.cursor, action.edit) };
      delete mode.error;
      // The filter applies as it is typed.
      const filter = mode.purpose.kind === "filter" ? { ...state.filter, text: mode.text } : state.filter;
      return { ...state, mode, filter };
    }
    case "prompt-error":
      return state.mode.kind === "prompt" ? { ...state, mode: { ...state.mode, error: action.error } } : state;
    case "confirm":
      return { ...state, mode: { kind: "confirm", action: action.action, question: action.question } };
    case "normal":
      return { ...state, mode: { kind: "normal" } };
    case "status":
      return { ...state, status: { text: action.text, tone: action.tone } };
    case "clear-status":
      return state.status === null ? state : { ...state, status: null };
  }
}

/** Cursor state when a screen is entered. */
function entered(screen: Screen, row: number | undefined): Partial<State> {
  if (screen.kind === "detail" || screen.kind === "mismatch") return { detail: freshDetail(row ?? 0) };
  if (screen.kind === "diff") return { diffRow: row ?? 0 };
  return {};
}

function rowOf(state: State, ids: string[]): number {
  const i = state.listSelected === null ? -1 : ids.indexOf(state.listSelected);
  return i >= 0 ? i : clamp(state.listRow, 0, Math.max(0, ids.length - 1));
}

function edit(text: string, cursor: number, e: PromptEdit): { text: string; cursor: number } {
  switch (e.op) {
    case "insert":
      return { text: text.slice(0, cursor) + e.text + text.slice(cursor), cursor: cursor + e.text.length };
    case "backspace":
      return cursor === 0 ? { text, cursor } : { text: text.slice(0, cursor - 1) + text.slice(cursor), cursor: cursor - 1 };
    case "delete":
      return { text: text.slice(0, cursor) + text.slice(cursor + 1), cursor };
    case "left":
      return { text, cursor: Math.max(0, cursor - 1) };
    case "right":
      return { text, cursor: Math.min(text.length, cursor + 1) };
    case "home":
      return { text, cursor: 0 };
    case "end":
      return { text, cursor: text.length };
    case "clear":
      return { text: "", cursor: 0 };
  }
}
