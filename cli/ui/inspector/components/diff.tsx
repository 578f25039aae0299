/**
 * Two invocations' journals side by side (an original and its restart, or any
 * two marked ones), aligned by entry index; rows whose type, name, payload or
 * result differ are marked ≠ and highlighted, and the selected row's payloads
 * are shown in full below.
 */
import { Box, Text } from "ink";
import { T } from "../theme.js";
import { alignJournals, fit, payloadLines, resultLines, resultPreview, preview, type DiffCell, type DiffRow } from "../model.js";
import { windowStart } from "./list.js";
import type { InvocationDetail } from "../types.js";

export function diffRows(left: InvocationDetail | undefined, right: InvocationDetail | undefined): DiffRow[] {
  return left && right ? alignJournals(left, right) : [];
}

export function DiffScreen(props: {
  leftId: string;
  rightId: string;
  left: InvocationDetail | undefined;
  right: InvocationDetail | undefined;
  error: string | undefined;
  row: number;
  width: number;
  height: number;
}) {
  const { left, right, width, height } = props;
  const col = Math.floor((width - 5) / 2);
  if (!left || !right) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text bold wrap="truncate">
          diff {props.leftId} ⟷ {props.rightId}
        </Text>
        <Text dimColor wrap="truncate">
          {props.error ?? "loading…"}
        </Text>
      </Box>
    );
  }
  const rows = alignJournals(left, right);
  const differing = rows.filter((r) => r.kind !== "same").length;
  const listRoom = Math.max(2, Math.min(rows.length, Math.floor((height - 3) * 0.55)));
  const start = windowStart(props.row, rows.length, listRoom);
  const sel = rows[props.row];
  const detailRoom = Math.max(0, height - 3 - listRoom - 1);
  const cellText = (c: DiffCell | undefined) => (c ? `${c.type}${c.name ? ` ${c.name}` : ""}  ${cellOutcome(c)}` : "—");
  const l = sel ? cellLines(sel.left) : [];
  const r = sel ? cellLines(sel.right) : [];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>diff</Text> <Text dimColor>{differing === 0 ? "the journals are the same" : `${differing} of ${rows.length} rows differ`}</Text>
      </Text>
      <Text wrap="truncate" bold>
        {"     "}
        {fit(`${left.id} ${left.target}`, col, true)} {fit(`${right.id} ${right.target}`, col)}
      </Text>
      <Text wrap="truncate" dimColor>
        {"     "}
        {fit(left.restarted_from === right.id ? "(restart of the right)" : `${left.status}`, col, true)}{" "}
        {fit(right.restarted_from === left.id ? "(restart of the left)" : right.status, col)}
      </Text>
      {rows.slice(start, start + listRoom).map((d, i) => {
        const on = start + i === props.row;
        const colour = d.kind === "same" ? undefined : "yellow";
        const mark = d.kind === "same" ? "=" : d.kind === "changed" ? "≠" : d.kind === "left-only" ? "<" : ">";
        return (
          <Text key={d.index} wrap="truncate" inverse={on}>
            {on ? "›" : " "}
            <T color={colour}>{mark}</T>
            {(d.index < 0 ? "out" : String(d.index)).padStart(3)} <T color={colour}>{fit(cellText(d.left), col - 1, true)}</T>{" "}
            <T color={colour}>{fit(cellText(d.right), col)}</T>
          </Text>
        );
      })}
      <Text dimColor wrap="truncate">
        {"─".repeat(Math.max(0, width - 1))}
      </Text>
      {Array.from({ length: Math.min(detailRoom, Math.max(l.length, r.length)) }, (_, i) => {
        const differs = (l[i] ?? "") !== (r[i] ?? "");
        return (
          <Text key={`d${i}`} wrap="truncate">
            {"     "}
            <T color={differs ? "yellow" : undefined}>{fit(l[i] ?? "", col, true)}</T>{" "}
            <T color={differs ? "yellow" : undefined}>{fit(r[i] ?? "", col)}</T>
          </Text>
        );
      })}
    </Box>
  );
}

function cellOutcome(c: DiffCell): string {
  if (c.result) return resultPreview(c.result);
  if (c.value !== undefined) return preview(c.value);
  return c.completed ? "" : "… waiting";
}

function cellLines(c: DiffCell | undefined): string[] {
  if (!c) return ["(no entry)"];
  const out = [`${c.type}${c.name ? ` ${c.name}` : ""}`];
  if (c.value !== undefined) out.push(c.type === "Input" ? "input:" : "value:", ...payloadLines(c.value).map((l) => `  ${l}`));
  if (c.result) out.push("result:", ...resultLines(c.result).map((l) => `  ${l}`));
  else if (!c.completed) out.push("(waiting)");
  return out;
}
