/**
 * What each key does, per screen and mode: moves cursors, opens screens, asks
 * before destructive actions, edits prompts. Pure dispatching over the state
 * and the data the inspector last received; the requests go through `request`.
 */
import type { Key } from "ink";
import type { InspectorBackend } from "./backend.js";
import { current, DETAIL_TABS, type Action, type PendingAction, type PromptEdit, type PromptPurpose, type Screen, type State } from "./state.js";
import { callLinks, findMismatch, JOURNAL_MISMATCH_CODE, nextServiceFilter, nextSort, nextStatusFilter, NO_FILTER } from "./model.js";
import { isKeyed, stateNames, timelineRows } from "./timeline.js";
import { lastInput } from "./actions.js";
import { serviceRows } from "./components/services.js";
import type { InvocationDetail, InvocationSummary, KeyState, ServiceView } from "./types.js";

const OPS: Record<string, "cancel" | "kill" | "pause" | "resume" | "purge"> = { c: "cancel", x: "kill", p: "pause", r: "resume", D: "purge" };

export interface KeyContext {
  state: State;
  dispatch: (a: Action) => void;
  rows: InvocationSummary[];
  ids: string[];
  inv: InvocationDetail | undefined;
  invocations: InvocationSummary[];
  keyState: KeyState | undefined;
  services: ServiceView[] | undefined;
  diffCount: number;
  area: number;
  backend: InspectorBackend;
  embedded: boolean;
  request(a: PendingAction): void;
  act(a: PendingAction): Promise<void>;
  prompt(purpose: PromptPurpose, label: string, text: string): void;
  startInvoke(service: string, handler: string, keyed: boolean, key: string | null): Promise<void>;
  quit(): void;
}

const isUp = (input: string, key: Key) => key.upArrow || input === "k";
const isDown = (input: string, key: Key) => key.downArrow || input === "j";
const isBack = (key: Key) => key.escape || key.leftArrow || key.backspace || key.delete;

export function handleKey(c: KeyContext, input: string, key: Key): void {
  const { state, dispatch } = c;
  const mode = state.mode;
  if (key.ctrl && input === "c") return; // ink quits on its own (standalone), the dashboard handles it (embedded)
  if (mode.kind === "prompt") return promptKey(c, input, key);
  if (mode.kind === "confirm") {
    if (input === "y" || input === "Y") void c.act(mode.action);
    else {
      dispatch({ type: "normal" });
      dispatch({ type: "status", text: "not done", tone: "info" });
    }
    return;
  }
  if (mode.kind === "help") {
    if (input === "q") return c.quit();
    dispatch({ type: "help" });
    return;
  }
  if (input === "?") return dispatch({ type: "help" });
  if (input === "q") return c.quit();
  if (input === "1") return dispatch({ type: "home", screen: "list" });
  if (input === "2") return dispatch({ type: "home", screen: "services" });
  const screen = current(state);
  switch (screen.kind) {
    case "list":
      return listKey(c, input, key);
    case "detail":
      return detailKey(c, screen.id, input, key);
    case "mismatch":
      return mismatchKey(c, input, key);
    case "diff":
      return diffKey(c, screen, input, key);
    case "services":
      return servicesKey(c, input, key);
  }
}

function moveDelta(input: string, key: Key, page: number): number | undefined {
  if (isUp(input, key)) return -1;
  if (isDown(input, key)) return 1;
  if (key.pageUp) return -page;
  if (key.pageDown) return page;
  if (key.home || input === "g") return -1e9;
  if (key.end || input === "G") return 1e9;
  return undefined;
}

function listKey(c: KeyContext, input: string, key: Key): void {
  const { state, dispatch } = c;
  const delta = moveDelta(input, key, Math.max(1, c.area - 4));
  if (delta !== undefined) return dispatch({ type: "list-move", delta, ids: c.ids });
  if (key.escape && (state.filter.text || state.filter.status !== "all" || state.filter.service !== null)) return dispatch({ type: "filter", patch: { ...NO_FILTER, sort: state.filter.sort } });
  if (input === "/") return c.prompt({ kind: "filter" }, "filter", state.filter.text);
  if (input === "s") return dispatch({ type: "filter", patch: { status: nextStatusFilter(state.filter.status, c.invocations) } });
  if (input === "f") return dispatch({ type: "filter", patch: { service: nextServiceFilter(state.filter.service, c.invocations), handler: null } });
  if (input === "o") return dispatch({ type: "filter", patch: { sort: nextSort(state.filter.sort) } });
  if (input === "0") return dispatch({ type: "filter", patch: NO_FILTER });
  const sel = c.rows.find((r) => r.id === state.listSelected) ?? c.rows[state.listRow];
  if (!sel) return;
  if (key.return || key.rightArrow || input === "l") {
    const failingAt = sel.status !== "completed" ? sel.last_failure?.relatedIndex : undefined;
    return dispatch({ type: "push", screen: { kind: "detail", id: sel.id }, ...(failingAt !== undefined ? { row: failingAt } : {}) });
  }
  if (input === "M") {
    if (sel.last_failure?.code === JOURNAL_MISMATCH_CODE && sel.status !== "completed") return dispatch({ type: "push", screen: { kind: "mismatch", id: sel.id } });
    return dispatch({ type: "status", text: "this invocation is not failing with a journal mismatch", tone: "info" });
  }
  invocationKey(c, sel, input);
}

/** Keys that act on one invocation, the same in the list and on its screen. */
function invocationKey(c: KeyContext, inv: InvocationSummary, input: string): void {
  const { dispatch, state } = c;
  const op = OPS[input];
  if (op) return c.request({ kind: "op", op, id: inv.id, target: inv.target });
  if (input === "n") return c.request({ kind: "restart", id: inv.id, target: inv.target });
  if (input === "i") return void c.startInvoke(inv.service, inv.handler, inv.key !== null, inv.key);
  if (input === "m") {
    dispatch({ type: "mark", id: state.mark === inv.id ? null : inv.id });
    return dispatch({ type: "status", text: state.mark === inv.id ? "unmarked" : `marked ${inv.id}: d on another invocation compares the two`, tone: "info" });
  }
  if (input === "d") {
    const other = state.mark && state.mark !== inv.id ? state.mark : inv.restarted_from;
    if (!other) return dispatch({ type: "status", text: "nothing to compare with: mark an invocation with m first (or pick a restarted one)", tone: "info" });
    return dispatch({ type: "push", screen: { kind: "diff", left: other, right: inv.id } });
  }
}

function detailKey(c: KeyContext, id: string, input: string, key: Key): void {
  const { state, dispatch, inv } = c;
  if (isBack(key)) return dispatch({ type: "back" });
  if (!inv || inv.id !== id) return;
  const d = state.detail;
  const rows = timelineRows(inv, Date.now());
  const links = callLinks(inv, c.invocations);
  const names = stateNames(c.keyState);
  if (key.tab) {
    const tab = DETAIL_TABS[(DETAIL_TABS.indexOf(d.tab) + (key.shift ? -1 : 1) + DETAIL_TABS.length) % DETAIL_TABS.length]!;
    // The attempts pane starts at the newest attempt, and the timeline shows the entry it failed at.
    const newest = inv.attempts.length - 1;
    dispatch({ type: "detail-tab", delta: 0, tab, pane: tab === "attempts" ? Math.max(0, newest) : 0 });
    const at = tab === "attempts" ? inv.attempts[newest]?.related_entry_index : undefined;
    const row = at === null || at === undefined ? -1 : rows.findIndex((r) => r.index === at);
    if (row >= 0) dispatch({ type: "detail-row", delta: 0, rows: rows.length, to: row });
    return;
  }
  const delta = moveDelta(input, key, 5);
  if (delta !== undefined && !key.pageUp && !key.pageDown) {
    if (d.tab === "entry") return dispatch({ type: "detail-row", delta, rows: rows.length });
    const count = d.tab === "attempts" ? inv.attempts.length : d.tab === "calls" ? links.length : names.length;
    dispatch({ type: "detail-pane", delta, count });
    if (d.tab === "attempts") {
      // The timeline follows the selected attempt to the entry it failed at.
      const next = Math.max(0, Math.min(inv.attempts.length - 1, d.pane + delta));
      const at = inv.attempts[next]?.related_entry_index;
      const row = at === null || at === undefined ? -1 : rows.findIndex((r) => r.index === at);
      if (row >= 0) dispatch({ type: "detail-row", delta: 0, rows: rows.length, to: row });
    }
    return;
  }
  if (key.pageDown) return dispatch({ type: "detail-scroll", delta: 8 });
  if (key.pageUp) return dispatch({ type: "detail-scroll", delta: -8 });
  const row = rows[d.row];
  const open = (target: string | undefined) => (target ? dispatch({ type: "push", screen: { kind: "detail", id: target } }) : undefined);
  if (key.return || key.rightArrow) {
    if (d.tab === "calls") return open(links[d.pane]?.id);
    if (d.tab === "attempts") return dispatch({ type: "detail-tab", delta: 0, tab: "entry" });
    if (d.tab === "state") return editState(c, inv, names[d.pane]);
    if (row?.link) return open(row.link);
    return dispatch({ type: "status", text: "this entry points at no other invocation", tone: "info" });
  }
  if (input === "u") return inv.invoked_by_id ? open(inv.invoked_by_id) : dispatch({ type: "status", text: "invoked from the ingress: no parent", tone: "info" });
  if (input === "o") return inv.restarted_from ? open(inv.restarted_from) : dispatch({ type: "status", text: "not a restart: no original", tone: "info" });
  if (input === "M") {
    if (findMismatch(inv)) return dispatch({ type: "push", screen: { kind: "mismatch", id: inv.id } });
    return dispatch({ type: "status", text: "this invocation is not failing with a journal mismatch", tone: "info" });
  }
  if (d.tab === "state" && isKeyed(inv)) {
    if (input === "e") return editState(c, inv, names[d.pane]);
    if (input === "+") return c.prompt({ kind: "set-state", service: inv.service, key: inv.key!, name: null }, `${inv.service}/${inv.key} name = JSON`, "");
    if (input === "-") {
      const name = names[d.pane];
      if (name !== undefined) return c.request({ kind: "state-clear", service: inv.service, key: inv.key!, name });
      return;
    }
  }
  if (input === "F") {
    if (!row || row.index < 0) return dispatch({ type: "status", text: "select a journal entry to restart from", tone: "info" });
    return c.request({ kind: "restart", id: inv.id, target: inv.target, from: Math.max(0, row.index - 1) });
  }
  if (input === "e") {
    const e = row?.entry;
    if (!e || !e.completed || !e.result) return dispatch({ type: "status", text: "select a completed entry with a result (Run, Call, GetState, …) to edit it", tone: "info" });
    const r = e.result;
    const text = "value" in r && r.value !== undefined && r.value_encoding !== "base64" ? JSON.stringify(r.value) : "";
    return c.prompt({ kind: "edit-result", id: inv.id, index: e.index, target: inv.target }, `#${e.index} result as JSON (restarts after it)`, text);
  }
  invocationKey(c, inv, input);
}

function editState(c: KeyContext, inv: InvocationDetail, name: string | undefined): void {
  if (name === undefined) return c.prompt({ kind: "set-state", service: inv.service, key: inv.key!, name: null }, `${inv.service}/${inv.key} name = JSON`, "");
  const value = c.keyState?.state[name];
  c.prompt({ kind: "set-state", service: inv.service, key: inv.key!, name }, `${inv.service}/${inv.key} '${name}' as JSON`, JSON.stringify(value) ?? "");
}

function mismatchKey(c: KeyContext, input: string, key: Key): void {
  const { inv, dispatch } = c;
  if (isBack(key) || key.return) return dispatch({ type: "back" });
  if (!inv) return;
  const m = findMismatch(inv);
  if (input === "F" && m) return c.request({ kind: "restart", id: inv.id, target: inv.target, from: Math.max(0, m.index - 1) });
  invocationKey(c, inv, input);
}

function diffKey(c: KeyContext, screen: Extract<Screen, { kind: "diff" }>, input: string, key: Key): void {
  const { dispatch } = c;
  if (isBack(key)) return dispatch({ type: "back" });
  const delta = moveDelta(input, key, 5);
  if (delta !== undefined) return dispatch({ type: "diff-move", delta, rows: c.diffCount });
  if (input === "[") return dispatch({ type: "push", screen: { kind: "detail", id: screen.left } });
  if (input === "]") return dispatch({ type: "push", screen: { kind: "detail", id: screen.right } });
}

function servicesKey(c: KeyContext, input: string, key: Key): void {
  const { dispatch, state } = c;
  if (isBack(key)) return dispatch({ type: "home", screen: "list" });
  const rows = serviceRows(c.services, c.invocations);
  const delta = moveDelta(input, key, Math.max(1, c.area - 3));
  if (delta !== undefined) return dispatch({ type: "services-move", delta, rows: rows.length });
  const row = rows[state.servicesRow];
  if (!row) return;
  if (key.return || key.rightArrow) {
    dispatch({ type: "filter", patch: { ...NO_FILTER, service: row.service, handler: row.handler } });
    return dispatch({ type: "home", screen: "list" });
  }
  if (input === "i") {
    if (row.handler === null) return dispatch({ type: "status", text: "select a handler to invoke", tone: "info" });
    return void c.startInvoke(row.service, row.handler, row.keyed, null);
  }
}

function promptKey(c: KeyContext, input: string, key: Key): void {
  const { state, dispatch } = c;
  if (state.mode.kind !== "prompt") return;
  const mode = state.mode;
  const edit = (e: PromptEdit) => dispatch({ type: "prompt-edit", edit: e });
  if (key.escape) {
    if (mode.purpose.kind === "filter") dispatch({ type: "filter", patch: { text: "" } });
    return dispatch({ type: "normal" });
  }
  if (key.return) return submitPrompt(c, mode.purpose, mode.text);
  if (key.backspace || key.delete) return edit({ op: "backspace" });
  if (key.leftArrow) return edit({ op: "left" });
  if (key.rightArrow) return edit({ op: "right" });
  if (key.home || (key.ctrl && input === "a")) return edit({ op: "home" });
  if (key.end || (key.ctrl && input === "e")) return edit({ op: "end" });
  if (key.ctrl && input === "u") return edit({ op: "clear" });
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.pageUp || key.pageDown) return;
  // Typed fast or pasted, several characters arrive as one input, backspaces (DEL, BS) among them.
  let run = "";
  for (const ch of input) {
    if (ch === "\x7f" || ch === "\b") {
      if (run) edit({ op: "insert", text: run });
      run = "";
      edit({ op: "backspace" });
    } else if (ch >= " ") run += ch;
  }
  if (run) edit({ op: "insert", text: run });
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message.split("\n")[0]}` };
  }
}

function submitPrompt(c: KeyContext, p: PromptPurpose, text: string): void {
  const { dispatch } = c;
  switch (p.kind) {
    case "filter":
      return dispatch({ type: "normal" });
    case "edit-result": {
      const parsed = parseJson(text);
      if (!parsed.ok) return dispatch({ type: "prompt-error", error: parsed.error });
      return c.request({ kind: "restart", id: p.id, target: p.target, from: p.index, overrides: { [String(p.index)]: parsed.value } });
    }
    case "set-state": {
      let name = p.name;
      let json = text;
      if (name === null) {
        const m = /^\s*([^=\s]+)\s*=\s*([\s\S]*)$/.exec(text);
        if (!m) return dispatch({ type: "prompt-error", error: "type name = JSON, e.g. count = 42" });
        name = m[1]!;
        json = m[2]!;
      }
      const parsed = parseJson(json);
      if (!parsed.ok) return dispatch({ type: "prompt-error", error: parsed.error });
      return c.request({ kind: "state-set", service: p.service, key: p.key, name, value: parsed.value });
    }
    case "invoke-key": {
      if (!text) return dispatch({ type: "prompt-error", error: "a key is needed" });
      void lastInput(c.backend, p.service, p.handler).then((last) =>
        c.prompt({ kind: "invoke-body", service: p.service, handler: p.handler, key: text }, `invoke ${p.service}/${text}/${p.handler} with JSON`, last.body),
      );
      return;
    }
    case "invoke-body": {
      if (text.trim()) {
        const parsed = parseJson(text);
        if (!parsed.ok) return dispatch({ type: "prompt-error", error: parsed.error });
      }
      return c.request({ kind: "invoke", service: p.service, handler: p.handler, key: p.key, body: text.trim() });
    }
  }
}
