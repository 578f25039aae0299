/**
 * The CLI's small terminal kit: colours (off when piped or NO_COLOR is set),
 * aligned tables on a terminal and tab-separated lines when piped, times,
 * durations, JSON previews, and the yes/no question before a destructive action.
 */
import { createInterface } from "node:readline";

export interface Style {
  /** stdout is a terminal: align tables, show relative times. */
  tty: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  magenta(s: string): string;
  cyan(s: string): string;
}

function colours(on: boolean, tty: boolean): Style {
  const wrap = (open: number, close: number) => (s: string) => (on && s ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return {
    tty,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    magenta: wrap(35, 39),
    cyan: wrap(36, 39),
  };
}

const noColor = () => process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "";

/** How to print on stdout. */
export function stdoutStyle(): Style {
  const tty = process.stdout.isTTY === true;
  return colours(tty && !noColor(), tty);
}

/** How to print on stderr (notes, hints, prompts). */
export function stderrStyle(): Style {
  const tty = process.stderr.isTTY === true;
  return colours(tty && !noColor(), tty);
}

/** Prints one dim note on stderr (not part of the output a script reads). */
export function note(line: string): void {
  process.stderr.write(stderrStyle().dim(line) + "\n");
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

export function visibleWidth(s: string): number {
  return s.replace(ANSI, "").length;
}

/**
 * A table: columns aligned (two spaces apart, header bold) on a terminal;
 * tab-separated with a header line when piped, so `cut -f` and `awk -F'\t'` work.
 * The last column is not padded.
 */
export function table(headers: string[], rows: string[][], style: Style): string {
  if (!style.tty) {
    const clean = (s: string) => s.replace(ANSI, "").replace(/[\t\n]/g, " ");
    return [headers, ...rows].map((r) => r.map(clean).join("\t")).join("\n") + "\n";
  }
  const widths = headers.map((h, i) => Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + " ".repeat(widths[i]! - visibleWidth(cell))))
      .join("  ")
      .trimEnd();
  return [line(headers.map((h) => style.bold(h))), ...rows.map(line)].join("\n") + "\n";
}

/** Milliseconds as a short duration: 850ms, 1.2s, 3m 4s, 2h 5m, 3d 4h. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const sign = ms < 0 ? "-" : "";
  ms = Math.abs(ms);
  if (ms < 1000) return `${sign}${Math.round(ms)}ms`;
  if (ms < 60_000) return `${sign}${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ""}`;
  if (s < 86_400) return `${sign}${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)}m` : ""}`;
  return `${sign}${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600) ? ` ${Math.floor((s % 86_400) / 3600)}h` : ""}`;
}

/**
 * An ISO timestamp for people: relative on a terminal ("5s ago", "in 2m"),
 * the ISO text itself when piped (stable, sortable).
 */
export function when(iso: string | null | undefined, style: Style, now = Date.now()): string {
  if (!iso) return "";
  if (!style.tty) return iso;
  const diff = Date.parse(iso) - now;
  if (Math.abs(diff) < 1000) return "just now";
  return diff < 0 ? `${duration(-diff)} ago` : `in ${duration(diff)}`;
}

/** A JSON value on one line, cut to `max` characters. */
export function preview(value: unknown, max = 60): string {
  const text = value === undefined ? "" : typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

/** Text cut to `max` characters, on one line. */
export function clip(text: string, max = 80): string {
  const line = text.replace(/\s*\n\s*/g, " ");
  return line.length > max ? line.slice(0, max - 1) + "…" : line;
}

/** A JSON value pretty-printed, every line indented by `indent`. */
export function pretty(value: unknown, indent = ""): string {
  return (JSON.stringify(value, null, 2) ?? String(value))
    .split("\n")
    .map((l) => indent + l)
    .join("\n");
}

/** Prints JSON for scripts: pretty, one value, newline-terminated. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** Whether questions can be asked: stdin and stderr are terminals. */
export function canAsk(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** Asks a yes/no question on the terminal (stderr); default no. */
export async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(`${question} [y/N] `, resolve);
      rl.once("close", () => resolve(""));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

const STATUS_COLOUR: Record<string, keyof Omit<Style, "tty">> = {
  running: "cyan",
  ready: "cyan",
  pending: "dim",
  scheduled: "dim",
  suspended: "blue",
  "backing-off": "yellow",
  paused: "magenta",
};

/** An invocation status, coloured; a completed one says how it ended. */
export function statusText(inv: { status: string; completion_result?: string | null; sleeping_until?: string | null }, style: Style, now = Date.now()): string {
  if (inv.status === "completed") {
    return inv.completion_result === "failure" ? style.red("completed (failed)") : style.green("completed");
  }
  const colour = STATUS_COLOUR[inv.status];
  const status = colour ? style[colour](inv.status) : inv.status;
  return inv.sleeping_until ? `${status}, ${sleepingText(inv.sleeping_until, style, now)}` : status;
}

/** `sleeping until 23:05:01 (in 59s)` on a terminal; the ISO time when piped. */
export function sleepingText(untilIso: string, style: Style, now = Date.now()): string {
  if (!style.tty) return `sleeping until ${untilIso}`;
  const at = new Date(untilIso);
  const sameDay = at.toDateString() === new Date(now).toDateString();
  const clock = sameDay ? at.toLocaleTimeString([], { hour12: false }) : at.toLocaleString([], { hour12: false });
  return `sleeping until ${clock} (${when(untilIso, style, now)})`;
}
