/**
 * The invocation screen: its journal as a timeline (index, type, name,
 * duration, completed or waiting, failed attempts), and a pane with the
 * selected entry's payload and result, the failed attempts, the call tree, or
 * the object key's state and inbox.
 */
import { Box, Text } from "ink";
import { T } from "../theme.js";
import { age, callLinks, findMismatch, fit, resultPreview, shortError, statusColour, statusLabel, statusMark, shortDuration, preview, type Link } from "../model.js";
import { entryPaneLines, isKeyed, stateNames, timelineRows, type PaneLine, type TimelineRow } from "../timeline.js";
import { DETAIL_TABS, type DetailCursor } from "../state.js";
import { windowStart } from "./list.js";
import type { DeploymentView, InvocationDetail, InvocationSummary, KeyState, KeyStatus } from "../types.js";
import { olderBuildOf } from "../../../builds.js";

export interface DetailProps {
  id: string;
  inv: InvocationDetail | undefined;
  error: string | undefined;
  list: InvocationSummary[];
  cursor: DetailCursor;
  keyState: KeyState | undefined;
  keyStateError: string | undefined;
  keyStatus: KeyStatus | undefined;
  keyStatusError: string | undefined;
  width: number;
  height: number;
  now: number;
  /** GET /deployments: an invocation on an older build says so. */
  builds?: DeploymentView[];
}

/** Side by side from this width on; stacked below it. */
const WIDE = 130;

export function InvocationDetailScreen(props: DetailProps) {
  const { inv, width, height, cursor } = props;
  if (!inv) {
    return (
      <Box flexDirection="column" width={width} height={height} overflow="hidden">
        <Text bold wrap="truncate">
          {props.id}
        </Text>
        <T color={props.error ? "red" : undefined} wrap="truncate">
          {props.error ?? "loading…"}
        </T>
      </Box>
    );
  }
  const rows = timelineRows(inv, props.now);
  const wide = width >= WIDE;
  const body = Math.max(2, height - 2);
  const timelineWidth = wide ? Math.max(60, Math.floor(width * 0.5)) : width;
  const timelineHeight = wide ? body : Math.min(rows.length + 1, Math.max(4, Math.floor((body - 1) * 0.45)));
  const paneWidth = wide ? width - timelineWidth - 1 : width;
  const paneHeight = wide ? body - 1 : Math.max(1, body - timelineHeight - 1);
  const pane = (
    <Box flexDirection="column" width={paneWidth} height={paneHeight + 1} overflow="hidden">
      <TabBar cursor={cursor} inv={inv} list={props.list} width={paneWidth} />
      <Pane {...props} inv={inv} rows={rows} width={paneWidth} height={paneHeight} />
    </Box>
  );
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <TitleLine inv={inv} now={props.now} error={props.error} older={olderBuildOf(inv, props.builds)} />
      <Banner inv={inv} />
      {wide ? (
        <Box flexDirection="row" height={body}>
          <Timeline rows={rows} cursor={cursor.row} width={timelineWidth} height={timelineHeight} inv={inv} />
          <Box width={1} />
          {pane}
        </Box>
      ) : (
        <>
          <Timeline rows={rows} cursor={cursor.row} width={timelineWidth} height={timelineHeight} inv={inv} />
          {pane}
        </>
      )}
    </Box>
  );
}

function TitleLine(props: { inv: InvocationDetail; now: number; error: string | undefined; older: string | undefined }) {
  const { inv } = props;
  const label = statusLabel(inv);
  const retry =
    inv.status === "backing-off" && inv.next_retry_at
      ? `  retry in ${shortDuration(Date.parse(inv.next_retry_at) - props.now)}`
      : inv.sleeping_until
        ? `  sleeping, wakes up in ${shortDuration(Date.parse(inv.sleeping_until) - props.now)}`
        : "";
  return (
    <Text wrap="truncate">
      <Text bold>{inv.target}</Text> <Text dimColor>{inv.id}</Text>{" "}
      {inv.scope ? <T color="cyan">scope {inv.scope}{inv.limit_key ? ` (limit key ${inv.limit_key})` : ""} </T> : null}
      <T color={statusColour(label)} bold>
        {statusMark(label)} {label}
      </T>
      {inv.retry_count > 0 ? <T color="yellow"> ×{inv.retry_count} failed</T> : null}
      {props.older ? <T color="yellow"> on {props.older}: finishes on the code it started with</T> : null}
      <Text dimColor>
        {"  "}created {age(inv.created_at, props.now)} ago{retry}
      </Text>
      {props.error ? <T color="red"> ⚠ {props.error}</T> : null}
    </Text>
  );
}

/** One line on how it stands: the journal mismatch, the last failure, the result, or what it waits for. */
function Banner(props: { inv: InvocationDetail }) {
  const { inv } = props;
  const mismatch = findMismatch(inv);
  if (mismatch) {
    return (
      <Text wrap="truncate">
        <T color="red" bold>
          ⚠ journal mismatch at #{mismatch.index}:
        </T>{" "}
        journal holds <Text bold>{mismatch.journalHolds}</Text>, code does <Text bold>{mismatch.codeDoes}</Text>
        <T color="cyan"> (M)</T>
      </Text>
    );
  }
  const err = shortError(inv);
  if (err) {
    const lf = inv.status !== "completed" ? inv.last_failure : null;
    const at = lf?.relatedIndex !== undefined ? ` at #${lf.relatedIndex} ${lf.relatedType ?? ""}${lf.relatedName ? ` '${lf.relatedName}'` : ""}` : "";
    return (
      <T color="red" wrap="truncate">
        ✗ {err}
        {at}
      </T>
    );
  }
  if (inv.result) return <Text wrap="truncate">= {resultPreview(inv.result)}</Text>;
  if (inv.suspended_waiting_for?.length) return <Text dimColor wrap="truncate">suspended, waiting for {inv.suspended_waiting_for.map((i) => `#${i}`).join(", ")}</Text>;
  return (
    <Text dimColor wrap="truncate">
      {inv.status === "completed" ? "completed" : `${inv.status}…`}
    </Text>
  );
}

function Timeline(props: { rows: TimelineRow[]; cursor: number; width: number; height: number; inv: InvocationDetail }) {
  const { rows, width, height } = props;
  const nameW = Math.max(8, width - (2 + 3 + 1 + 14 + 1 + 1 + 8 + 1 + 11 + 1 + 4));
  const room = Math.max(1, height - 1);
  const start = windowStart(props.cursor, rows.length, room);
  const lastFailure = props.inv.status !== "completed" ? props.inv.last_failure?.relatedIndex : undefined;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold wrap="truncate">
        {"  "}
        {"#".padStart(3)} {fit("TYPE", 14, true)} {fit("NAME", nameW, true)} {"TOOK".padStart(8)} {fit("STATE", 11, true)} {"FAIL".padStart(4)}
      </Text>
      {rows.slice(start, start + room).map((r, i) => {
        const selected = start + i === props.cursor;
        const failing = r.index === lastFailure;
        const state =
          r.state === "input" || r.state === "output" ? "" : r.state === "waiting" ? "… waiting" : r.state === "abandoned" ? "– never" : r.state === "failed" ? "✗ failed" : "✓ completed";
        const stateColour = r.state === "waiting" ? "yellow" : r.state === "failed" ? "red" : r.state === "completed" ? "green" : r.state === "abandoned" ? "gray" : undefined;
        return (
          <Text key={`${r.index}`} wrap="truncate" inverse={selected}>
            {selected ? "›" : failing ? "!" : " "}{" "}
            <Text dimColor={!selected}>{(r.index < 0 ? "" : String(r.index)).padStart(3)}</Text>{" "}
            <T color={failing ? "red" : undefined} bold={r.state === "input" || r.state === "output"}>
              {fit(r.type, 14, true)}
            </T>{" "}
            {fit(r.name + (r.link ? " →" : ""), nameW, true)} {r.duration.padStart(8)} <T color={stateColour}>{fit(state, 11, true)}</T>{" "}
            <T color={r.failures ? "red" : undefined}>{(r.failures ? `✗${r.failures}` : "").padStart(4)}</T>
          </Text>
        );
      })}
    </Box>
  );
}

function TabBar(props: { cursor: DetailCursor; inv: InvocationDetail; list: InvocationSummary[]; width: number }) {
  const counts: Record<string, string> = {
    entry: "",
    attempts: props.inv.attempts.length ? ` ${props.inv.attempts.length}` : "",
    calls: (() => {
      const n = callLinks(props.inv, props.list).length;
      return n ? ` ${n}` : "";
    })(),
    state: isKeyed(props.inv) ? "" : " –",
  };
  return (
    <Text wrap="truncate">
      {DETAIL_TABS.map((t) => {
        const on = t === props.cursor.tab;
        return (
          <Text key={t}>
            {on ? (
              <T color="cyan" bold inverse>
                [{t}
                {counts[t]}]
              </T>
            ) : (
              <Text dimColor>
                {" "}
                {t}
                {counts[t]}{" "}
              </Text>
            )}{" "}
          </Text>
        );
      })}
      <Text dimColor>(⇥)</Text>
    </Text>
  );
}

function Pane(props: DetailProps & { inv: InvocationDetail; rows: TimelineRow[] }) {
  switch (props.cursor.tab) {
    case "entry":
      return <EntryPane {...props} />;
    case "attempts":
      return <AttemptsPane {...props} />;
    case "calls":
      return <CallsPane {...props} />;
    case "state":
      return <StatePane {...props} />;
  }
}

function Lines(props: { lines: PaneLine[]; width: number; height: number; scroll: number }) {
  const { lines, height } = props;
  const scroll = Math.min(props.scroll, Math.max(0, lines.length - height));
  const more = lines.length - scroll > height;
  const shown = lines.slice(scroll, scroll + (more ? height - 1 : height));
  return (
    <Box flexDirection="column" width={props.width} height={height}>
      {shown.map((l, i) => (
        <T key={i} wrap="truncate" color={l.colour} bold={l.bold ?? false} dimColor={l.dim ?? false}>
          {l.text || " "}
        </T>
      ))}
      {more ? (
        <Text dimColor wrap="truncate">
          … {lines.length - scroll - shown.length} more lines (PgDn){scroll > 0 ? ", PgUp back" : ""}
        </Text>
      ) : null}
    </Box>
  );
}

function EntryPane(props: DetailProps & { inv: InvocationDetail; rows: TimelineRow[] }) {
  const lines = entryPaneLines(props.inv, props.rows[props.cursor.row]);
  return <Lines lines={lines} width={props.width} height={props.height} scroll={props.cursor.scroll} />;
}

function AttemptsPane(props: DetailProps & { inv: InvocationDetail }) {
  const { attempts } = props.inv;
  if (attempts.length === 0) return <Lines lines={[{ text: "no failed attempts", dim: true }]} width={props.width} height={props.height} scroll={0} />;
  const selected = attempts[props.cursor.pane];
  const stack = (selected?.stack ?? "").split("\n").slice(1, 4).map((l): PaneLine => ({ text: `  ${l.trim()}`, dim: true }));
  const room = Math.max(1, props.height - (stack.length && props.height > attempts.length + 3 ? stack.length : 0));
  const start = windowStart(props.cursor.pane, attempts.length, room);
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflow="hidden">
      {attempts.slice(start, start + room).map((a, i) => {
        const on = start + i === props.cursor.pane;
        const at = a.related_entry_index !== null ? ` at #${a.related_entry_index} ${a.related_entry_type ?? ""}${a.related_entry_name ? ` '${a.related_entry_name}'` : ""}` : "";
        return (
          <Text key={a.attempt} wrap="truncate" inverse={on}>
            {on ? "›" : " "} attempt {a.attempt} <Text dimColor={!on}>{a.at ? a.at.slice(11, 19) : ""}</Text>
            <T color="cyan">{at}</T>{" "}
            <T color="red">
              [{a.code}] {a.message.split("\n")[0]}
            </T>
          </Text>
        );
      })}
      {room < props.height
        ? stack.map((l, i) => (
            <Text key={`s${i}`} dimColor wrap="truncate">
              {l.text}
            </Text>
          ))
        : null}
    </Box>
  );
}

function CallsPane(props: DetailProps & { inv: InvocationDetail }) {
  const links = callLinks(props.inv, props.list);
  const known = new Map(props.list.map((i) => [i.id, i]));
  const isUp = (l: Link) => l.relation === "parent" || l.relation === "restarted from";
  const parents = links.filter(isUp);
  // One line each: who is above this invocation, this invocation, what it calls and what restarted it.
  const items: Array<Link | "this"> = [...parents, "this", ...links.filter((l) => !isUp(l))];
  const room = Math.max(1, props.height - 1);
  const at = items.findIndex((x) => x !== "this" && links.indexOf(x) === props.cursor.pane);
  const start = windowStart(Math.max(0, at), items.length, room);
  const self = statusLabel(props.inv);
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflow="hidden">
      {items.slice(start, start + room).map((item, n) => {
        if (item === "this") {
          return (
            <Text key="this" wrap="truncate" bold>
              {"  "}
              {parents.length ? "└ " : ""}this: {props.inv.target}{" "}
              <T color={statusColour(self)}>
                {statusMark(self)} {self}
              </T>
            </Text>
          );
        }
        const i = links.indexOf(item);
        const on = i === props.cursor.pane;
        const s = known.get(item.id);
        const label = s ? statusLabel(s) : "";
        const rel = item.relation === "parent" ? "called by" : item.relation === "child" ? "calls" : item.relation;
        const indent = isUp(item) ? "" : parents.length ? "   └ " : "└ ";
        return (
          <Text key={`${item.relation}-${item.id}-${start + n}`} wrap="truncate" inverse={on}>
            {on ? "›" : " "} {indent}
            <Text dimColor={!on}>{rel}</Text> {item.index !== undefined ? `#${item.index} ` : ""}
            {item.label} <Text dimColor={!on}>{item.id}</Text>{" "}
            {label ? (
              <T color={statusColour(label)}>
                {statusMark(label)} {label}
              </T>
            ) : null}
          </Text>
        );
      })}
      <Text dimColor wrap="truncate">
        {"  "}
        {links.length === 0 ? "invoked from the ingress; calls nothing" : "⏎ opens the selected one · u caller · o original"}
      </Text>
    </Box>
  );
}

function StatePane(props: DetailProps & { inv: InvocationDetail }) {
  const { inv } = props;
  if (!isKeyed(inv)) {
    return <Lines lines={[{ text: `${inv.service} is a service: it has no keys and no state`, dim: true }]} width={props.width} height={props.height} scroll={0} />;
  }
  const names = stateNames(props.keyState);
  const st = props.keyStatus;
  const holder = st ? (st.lock_holder === null ? "free" : st.lock_holder === inv.id ? "held by this invocation" : `held by ${st.lock_holder}`) : undefined;
  const nameW = Math.min(24, Math.max(6, ...names.map((n) => n.length)));
  const room = Math.max(1, props.height - 3);
  const start = windowStart(props.cursor.pane, names.length, room);
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflow="hidden">
      <Text wrap="truncate">
        <Text bold>
          {inv.service}/{inv.key}
        </Text>
        {"  "}
        {st ? (
          <>
            lock {holder}
            {st.inbox.length ? (
              <T color="yellow">
                {"  "}inbox {st.inbox.length}: {st.inbox.join(", ")}
              </T>
            ) : (
              <Text dimColor>  inbox empty</Text>
            )}
          </>
        ) : (
          <Text dimColor>{props.keyStatusError ? `lock and inbox: ${props.keyStatusError.split(";")[0]}` : "…"}</Text>
        )}
      </Text>
      {props.keyStateError ? (
        <T color="red" wrap="truncate">
          {props.keyStateError}
        </T>
      ) : !props.keyState ? (
        <Text dimColor>loading…</Text>
      ) : names.length === 0 ? (
        <Text dimColor>no state</Text>
      ) : (
        names.slice(start, start + room).map((n, i) => {
          const on = start + i === props.cursor.pane;
          const enc = props.keyState?.encodings?.[n];
          return (
            <Text key={n} wrap="truncate" inverse={on}>
              {on ? "›" : " "} {fit(n, nameW, true)} = {enc ? `(${enc}) ` : ""}
              {preview(props.keyState!.state[n])}
            </Text>
          );
        })
      )}
      <Text dimColor wrap="truncate">
        {"  "}e edit · + add · - remove
      </Text>
    </Box>
  );
}
