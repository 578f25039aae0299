/** The invocations screen: a live list with filters, sort and per-row status, target, key, age, attempts and error. */
import type { ReactNode } from "react";
import { Box, Text } from "ink";
import { T } from "../theme.js";
import { age, fit, shortError, shortId, statusColour, statusLabel, statusMark, type ListFilter } from "../model.js";
import type { InvocationSummary } from "../types.js";

export interface ListProps {
  rows: InvocationSummary[];
  total: number;
  row: number;
  filter: ListFilter;
  mark: string | null;
  width: number;
  height: number;
  now: number;
  loading: boolean;
}

/** Column widths for a terminal `width` wide. */
export function listColumns(width: number) {
  // The id is what every command takes: shown from 70 columns (80×24 included), shorter when narrow.
  const showId = width >= 70;
  const id = width >= 118 ? 14 : 12;
  const status = 13;
  const ageW = 4;
  const att = 4;
  const fixed = 2 + status + 1 + 1 + ageW + 1 + att + 1 + (showId ? id + 1 : 0);
  const rest = Math.max(20, width - fixed);
  const wide = width >= 118;
  const target = Math.max(10, Math.min(34, Math.round(rest * (showId && wide ? 0.3 : 0.42))));
  const key = Math.max(5, Math.min(20, Math.round(rest * (showId && wide ? 0.12 : 0.14))));
  const error = Math.max(0, rest - target - key - 2);
  return { showId, id, status, target, key, age: ageW, att, error };
}

export function InvocationList(props: ListProps) {
  const { rows, width, height, now } = props;
  const c = listColumns(width);
  const room = Math.max(1, height - 2);
  const bodyHeight = rows.length > room ? Math.max(1, room - 1) : room;
  const start = windowStart(props.row, rows.length, bodyHeight);
  const shown = rows.slice(start, start + bodyHeight);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <FilterLine filter={props.filter} shown={rows.length} total={props.total} />
      <Text bold wrap="truncate">
        {"  "}
        {fit("STATUS", c.status, true)} {c.showId ? `${fit("ID", c.id, true)} ` : ""}
        {fit("TARGET", c.target, true)} {fit("KEY", c.key, true)} {"AGE".padStart(c.age)} {"ATT".padStart(c.att)} {c.error > 0 ? "LAST ERROR" : ""}
      </Text>
      {rows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {"  "}
          {props.loading ? "loading…" : props.total === 0 ? "no invocations yet: invoke a handler (2 → services → i), or curl the ingress" : "no invocation matches the filters (0 clears them)"}
        </Text>
      ) : (
        shown.map((inv, i) => <Row key={inv.id} inv={inv} selected={start + i === props.row} marked={inv.id === props.mark} c={c} now={now} />)
      )}
      {rows.length > shown.length ? (
        <Text dimColor wrap="truncate">
          {"  "}
          {start + shown.length < rows.length ? `↓ ${rows.length - start - shown.length} more` : ""}
          {start > 0 ? `  ↑ ${start} above` : ""}
        </Text>
      ) : null}
    </Box>
  );
}

function FilterLine(props: { filter: ListFilter; shown: number; total: number }) {
  const f = props.filter;
  const parts: ReactNode[] = [];
  if (f.text) parts.push(<Text key="t">filter “{f.text}”  </Text>);
  if (f.status !== "all") parts.push(<Text key="s">status {f.status}  </Text>);
  if (f.service !== null) parts.push(<Text key="v">service {f.service}{f.handler !== null ? `/${f.handler}` : ""}  </Text>);
  return (
    <Text wrap="truncate">
      <Text bold>Invocations</Text>
      <Text dimColor>
        {"  "}
        {props.shown === props.total ? `${props.total}` : `${props.shown} of ${props.total}`} shown · sort {f.sort}
        {"  "}
      </Text>
      {parts.length ? <T color="cyan">{parts}</T> : <Text dimColor>(/ filter · s status · f service · o sort)</Text>}
    </Text>
  );
}

function Row(props: { inv: InvocationSummary; selected: boolean; marked: boolean; c: ReturnType<typeof listColumns>; now: number }) {
  const { inv, c } = props;
  const label = statusLabel(inv);
  const err = shortError(inv) ?? "";
  const attempts = inv.retry_count > 0 ? `×${inv.retry_count}` : "";
  return (
    <Text wrap="truncate" inverse={props.selected}>
      {props.selected ? "›" : props.marked ? "*" : " "}{" "}
      <T color={statusColour(label)}>{fit(`${statusMark(label)} ${label}`, c.status, true)}</T>{" "}
      {c.showId ? <Text dimColor>{fit(shortId(inv.id, c.id), c.id, true)} </Text> : null}
      {fit(`${inv.scope ? `[${inv.scope}] ` : ""}${inv.service}/${inv.handler}`, c.target, true)} {fit(inv.key ?? "", c.key, true)} {age(inv.created_at, props.now).padStart(c.age)}{" "}
      <T color={inv.retry_count > 0 ? "yellow" : undefined}>{attempts.padStart(c.att)}</T> <T color="red">{fit(err, c.error)}</T>
    </Text>
  );
}

/** The first row shown so that `row` is visible, kept near the middle. */
export function windowStart(row: number, count: number, height: number): number {
  if (count <= height) return 0;
  return Math.max(0, Math.min(row - Math.floor(height / 2), count - height));
}
