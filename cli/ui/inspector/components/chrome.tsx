/**
 * What every screen shares: the header (where the data comes from, counts per
 * status), the status line (the last action's outcome, a prompt, or a
 * question), the key hints, and the key map overlay.
 */
import { Box, Text } from "ink";
import { T } from "../theme.js";
import { fit, statusColour, statusMark } from "../model.js";
import { GLOBAL_KEYS, SCREEN_KEYS } from "../keys.js";
import type { Mode, Screen, State } from "../state.js";

export function Header(props: {
  width: number;
  location: string;
  mode: "live" | "offline";
  counts: Array<[string, number]>;
  total: number;
  truncated: boolean;
  error: string | undefined;
  embedded: boolean;
}) {
  const { counts } = props;
  // One column spare: a status mark some terminals draw two cells wide (⏸, ⚠) must not
  // wrap the line, which leaves the previous header on screen above the next one.
  const width = Math.max(1, props.width - 1);
  const right = props.embedded ? "? keys  q dashboard" : "? keys  q quit";
  const where = props.mode === "offline" ? `read-only ${props.location}` : props.location.replace(/^https?:\/\//, "");
  const total = `${props.truncated ? "≥" : ""}${props.total} invocation${props.total === 1 ? "" : "s"}`;
  // The longest form that fits: drop the keys, the name, the location, then the status words.
  const countsText = (long: boolean) => counts.map(([s, n]) => (long ? `${statusMark(s)} ${s} ${n}` : `${statusMark(s)}${n}`)).join(long ? "  " : " ");
  const forms = [
    { name: true, where: true, long: true, keys: true },
    { name: true, where: true, long: true, keys: false },
    { name: false, where: true, long: true, keys: false },
    { name: false, where: false, long: true, keys: false },
    { name: false, where: false, long: false, keys: false },
  ];
  const len = (f: (typeof forms)[number]) =>
    (f.name ? 21 : 0) + (f.where ? where.length + 2 : props.mode === "offline" ? 11 : 0) + total.length + 2 + (props.error ? props.error.length + 2 : countsText(f.long).length) + (f.keys ? right.length + 2 : 0);
  const form = forms.find((f) => len(f) <= width) ?? forms[forms.length - 1]!;
  return (
    <Box width={width} justifyContent="space-between">
      <Box flexShrink={1} overflow="hidden">
        <Text wrap="truncate">
          {form.name ? <Text bold>restate-dev inspect  </Text> : null}
          {form.where || props.mode === "offline" ? (
            <T color={props.mode === "offline" ? "yellow" : undefined} dimColor={props.mode !== "offline"}>
              {form.where ? where : "read-only"}
              {"  "}
            </T>
          ) : null}
          {props.error ? (
            <T color="red">⚠ {props.error}</T>
          ) : (
            <>
              <Text>{total}</Text>
              {counts.map(([s, n]) => (
                <Text key={s}>
                  {form.long ? "  " : " "}
                  <T color={statusColour(s)}>
                    {statusMark(s)}
                    {form.long ? ` ${s} ` : ""}
                  </T>
                  {n}
                </Text>
              ))}
            </>
          )}
        </Text>
      </Box>
      {form.keys ? (
        <Box flexShrink={0} marginLeft={2}>
          <Text dimColor>{right}</Text>
        </Box>
      ) : null}
    </Box>
  );
}

/** The line under each screen: a prompt being typed, a question, or the last outcome. */
export function StatusLine(props: { width: number; mode: Mode; status: State["status"] }) {
  const { mode, width } = props;
  if (mode.kind === "prompt") return <PromptLine width={width} label={mode.label} text={mode.text} cursor={mode.cursor} error={mode.error} />;
  if (mode.kind === "confirm") {
    return (
      <Text wrap="truncate">
        <T color="yellow" bold>
          y/N
        </T>{" "}
        <Text bold>{mode.question}</Text>
      </Text>
    );
  }
  const s = props.status;
  if (!s) return <Text> </Text>;
  const colour = s.tone === "error" ? "red" : s.tone === "ok" ? "green" : s.tone === "busy" ? "cyan" : undefined;
  const mark = s.tone === "error" ? "✗ " : s.tone === "ok" ? "✓ " : s.tone === "busy" ? "… " : "";
  return (
    <Text wrap="truncate">
      <T color={colour}>
        {mark}
        {s.text}
      </T>
    </Text>
  );
}

/** A one-line text field, scrolled so the cursor stays visible. */
function PromptLine(props: { width: number; label: string; text: string; cursor: number; error: string | undefined }) {
  const label = `${props.label}: `;
  const err = props.error ? `  ✗ ${props.error}` : "";
  const room = Math.max(8, props.width - label.length - Math.min(err.length, Math.floor(props.width / 3)) - 1);
  const start = Math.max(0, props.cursor - room + 1);
  const shown = props.text.slice(start, start + room);
  const at = props.cursor - start;
  const before = shown.slice(0, at);
  const under = shown[at] ?? " ";
  const after = shown.slice(at + 1);
  return (
    <Text wrap="truncate">
      <T color="cyan" bold>
        {label}
      </T>
      {start > 0 ? <Text dimColor>…</Text> : null}
      {before}
      <Text inverse>{under}</Text>
      {after}
      {err ? <T color="red">{err}</T> : null}
    </Text>
  );
}

export function Hints(props: { text: string; embedded: boolean }) {
  return (
    <Text dimColor wrap="truncate">
      <Text bold>?</Text> keys  <Text bold>q</Text> {props.embedded ? "dashboard" : "quit"}  {props.text}
    </Text>
  );
}

/** The key map of the current screen and the keys that work everywhere. */
export function KeyMap(props: { screen: Screen["kind"]; width: number; height: number }) {
  const keys = SCREEN_KEYS[props.screen];
  const keyWidth = Math.min(17, Math.max(...keys.map((k) => k.keys.length)) + 3);
  const room = Math.max(1, props.height - 3);
  const shown = keys.length > room ? keys.slice(0, room - 1) : keys;
  return (
    <Box flexDirection="column" width={props.width} height={props.height}>
      <Text bold wrap="truncate">
        keys: {TITLES[props.screen]} <Text dimColor>(any key closes this)</Text>
      </Text>
      {shown.map((k) => (
        <Text key={`${k.keys}-${k.what}`} wrap="truncate">
          {"  "}
          <T color="cyan">{fit(k.keys, keyWidth - 2, true)}</T> {k.what}
        </Text>
      ))}
      {shown.length < keys.length ? <Text dimColor>  … {keys.length - shown.length} more (a taller terminal shows them)</Text> : null}
      <Text wrap="truncate">
        <Text bold>everywhere </Text>
        {GLOBAL_KEYS.map((k) => (
          <Text key={k.keys}>
            {" "}
            <T color="cyan">{k.keys}</T> {k.what}
            {"  "}
          </Text>
        ))}
      </Text>
    </Box>
  );
}

const TITLES: Record<Screen["kind"], string> = {
  list: "invocations",
  detail: "invocation",
  mismatch: "journal mismatch",
  diff: "diff",
  services: "services",
};
