/**
 * The journal mismatch view: for an invocation failing with Restate's 570,
 * what the journal holds at the entry and what the code now does there, side
 * by side, with the entries around it.
 */
import { Box, Text } from "ink";
import { T } from "../theme.js";
import { entryName, findMismatch, fit, payloadLines, resultLines } from "../model.js";
import type { InvocationDetail } from "../types.js";

export function MismatchScreen(props: { id: string; inv: InvocationDetail | undefined; error: string | undefined; width: number; height: number }) {
  const { inv, width, height } = props;
  const m = inv ? findMismatch(inv) : undefined;
  if (!inv || !m) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text bold wrap="truncate">
          journal mismatch · {inv?.target ?? props.id}
        </Text>
        <Text dimColor wrap="truncate">
          {props.error ?? (inv ? "this invocation is not failing with a journal mismatch (now)" : "loading…")}
        </Text>
      </Box>
    );
  }
  const entry = inv.journal.find((e) => e.index === m.index);
  const col = Math.floor((width - 3) / 2);
  const left: string[] = entry
    ? [
        `#${entry.index} ${entry.type}${entryName(entry) ? ` '${entryName(entry)}'` : ""}`,
        ...(entry.value !== undefined ? ["value:", ...payloadLines(entry.value, entry.value_encoding).map((l) => `  ${l}`)] : []),
        ...(entry.result ? ["result:", ...resultLines(entry.result).map((l) => `  ${l}`)] : entry.completed ? [] : ["(not completed)"]),
        entry.created_at ? `journaled ${entry.created_at}` : "",
      ]
    : [`#${m.index} ${m.journalHolds}`];
  const right: string[] = [
    `#${m.index} ${m.codeType ? `${m.codeType}${m.codeName ? ` '${m.codeName}'` : ""}` : m.codeDoes}`,
    "",
    "not run: the attempt stopped at this",
    "entry before running anything new",
    m.attempt !== null ? `attempt ${m.attempt}` : "",
  ];
  const boxLines = Math.max(left.length, right.length);
  // Entries around the mismatch: before it, the code replayed the journal.
  const context = inv.journal.filter((e) => e.index >= m.index - 3 && e.index <= m.index + 2);
  const fixed = 2 + 1 + 1 + 1 + 1; // title, message, heads, rule, context title
  const boxRoom = Math.max(2, Math.min(boxLines, height - fixed - Math.min(context.length, 5) - 2));
  const ctxRoom = Math.max(0, height - fixed - boxRoom - 1);
  const line = (s: string | undefined) => fit(s ?? "", col, true);
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <T color="red" bold>
          ⚠ journal mismatch
        </T>{" "}
        <Text bold>{inv.target}</Text> <Text dimColor>{inv.id}</Text>
      </Text>
      <Text wrap="truncate" dimColor>
        {m.message.split(". ")[0]}.
      </Text>
      <Text> </Text>
      <Text wrap="truncate" bold>
        {fit("the journal holds", col, true)} │ {fit("the code now does", col)}
      </Text>
      <Text wrap="truncate" dimColor>
        {"─".repeat(col)}─┼─{"─".repeat(col)}
      </Text>
      {Array.from({ length: boxRoom }, (_, i) => (
        <Text key={i} wrap="truncate">
          <T color={i === 0 ? "green" : undefined} bold={i === 0}>
            {line(left[i])}
          </T>{" "}
          │{" "}
          <T color={i === 0 ? "red" : undefined} bold={i === 0}>
            {fit(right[i] ?? "", col)}
          </T>
        </Text>
      ))}
      {ctxRoom > 1 ? (
        <>
          <Text bold wrap="truncate">
            around it
          </Text>
          {context.slice(0, ctxRoom - 1).map((e) => {
            const at = e.index === m.index;
            const codeSide = e.index < m.index ? "= replayed the same" : at ? `≠ ${m.codeDoes}` : "(not reached)";
            return (
              <Text key={e.index} wrap="truncate">
                <T color={at ? "red" : undefined}>{at ? "›" : " "}</T> {fit(`#${e.index} ${e.type} ${entryName(e)}`, col - 2, true)} │{" "}
                <T color={at ? "red" : undefined} dimColor={!at}>
                  {codeSide}
                </T>
              </Text>
            );
          })}
        </>
      ) : null}
    </Box>
  );
}
