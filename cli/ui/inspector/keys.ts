/** The key map: what `?` shows, and the one-line hints at the bottom of each screen. */
import type { Screen } from "./state.js";

export interface KeyHelp {
  keys: string;
  what: string;
}

export const GLOBAL_KEYS: KeyHelp[] = [
  { keys: "?", what: "keys" },
  { keys: "Esc ← ⌫", what: "back" },
  { keys: "1 2", what: "invocations, services" },
  { keys: "q", what: "quit" },
];

const ACTION_KEYS: KeyHelp[] = [
  { keys: "c", what: "cancel (asks first; the handler may compensate)" },
  { keys: "x", what: "kill (asks first; no compensation runs)" },
  { keys: "p  r", what: "pause · resume" },
  { keys: "n", what: "restart as new (a completed invocation; asks first)" },
  { keys: "D", what: "purge a completed invocation (asks first)" },
  { keys: "i", what: "invoke the handler, JSON body pre-filled from its last input" },
  { keys: "m  d", what: "mark · diff with the mark (or with the original)" },
];

const MOVE: KeyHelp[] = [
  { keys: "↑ ↓  j k", what: "move" },
  { keys: "PgUp PgDn g G", what: "page up, down · top, bottom" },
];

export const SCREEN_KEYS: Record<Screen["kind"], KeyHelp[]> = {
  list: [
    ...MOVE,
    { keys: "⏎  →", what: "open the invocation: journal, attempts, calls, state" },
    { keys: "/", what: "filter by text (id, target, key, error); Esc clears" },
    { keys: "s  f  o", what: "cycle the status filter · service filter · sort order" },
    { keys: "0", what: "clear all filters" },
    { keys: "M", what: "journal mismatch view (failing with 570)" },
    ...ACTION_KEYS,
  ],
  detail: [
    { keys: "↑ ↓  j k", what: "move in the journal (or in the pane shown)" },
    { keys: "⇥  ⇧⇥", what: "pane: entry · attempts · calls · state" },
    { keys: "PgUp PgDn", what: "scroll the entry's payload and result" },
    { keys: "⏎", what: "open the invocation the entry or link points to" },
    { keys: "u  o", what: "open the parent (caller) · the original of a restart" },
    { keys: "M", what: "journal mismatch: journal vs code, side by side" },
    { keys: "F", what: "restart from the selected entry (it runs again)" },
    { keys: "e", what: "edit the entry's result, restart after it (asks first)" },
    { keys: "e  +  -", what: "state pane: edit · add · remove a value (asks first)" },
    ...ACTION_KEYS,
  ],
  mismatch: [
    { keys: "F", what: "restart from the mismatching entry (keeps those before)" },
    { keys: "n  x", what: "restart everything as new · kill" },
    { keys: "Esc ⏎", what: "back to the invocation" },
  ],
  diff: [
    ...MOVE,
    { keys: "[  ]", what: "open the left · the right invocation" },
  ],
  services: [
    ...MOVE,
    { keys: "⏎", what: "list the invocations of the service or handler" },
    { keys: "i", what: "invoke the handler, JSON body pre-filled from its last input" },
  ],
};

/** One line each, most useful first; cut at the terminal's width. */
export const HINTS: Record<Screen["kind"], string> = {
  list: "⏎ open  / filter  s status  f service  o sort  c cancel  x kill  p pause  r resume  n restart  i invoke  m/d diff",
  detail: "⇥ pane  ⏎ follow  F restart here  e edit  c cancel  x kill  p pause  r resume  n restart  u parent  M mismatch  Esc back",
  mismatch: "F restart from this entry  n restart all  x kill  Esc back",
  diff: "↑↓ move  [ ] open left/right  Esc back",
  services: "↑↓ move  ⏎ its invocations  i invoke  Esc back",
};
