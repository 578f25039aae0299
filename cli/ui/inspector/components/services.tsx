/**
 * The services screen: each service with its type, and each handler with its
 * type and its invocations by status; below, the builds (the newest, and older
 * ones that invocations still run on).
 */
import { Box, Text } from "ink";
import { T } from "../theme.js";
import { fit, statusColour, statusCounts, statusMark } from "../model.js";
import { windowStart } from "./list.js";
import type { DeploymentView, InvocationSummary, ServiceView } from "../types.js";
import { buildLines } from "../../../builds.js";

export interface ServiceRow {
  service: string;
  /** The handler, or null for the service's own row. */
  handler: string | null;
  ty: string;
  keyed: boolean;
}

const SERVICE_TY: Record<string, string> = { service: "Service", virtual_object: "VirtualObject", workflow: "Workflow" };
const HANDLER_TY: Record<string, string> = { exclusive: "Exclusive", shared: "Shared", workflow: "Workflow" };

/** From `GET /services`; until it answers, or read-only when no runtime runs, from what the invocations tell. */
export function serviceRows(services: ServiceView[] | undefined, list: InvocationSummary[]): ServiceRow[] {
  const known: ServiceView[] =
    services ??
    [...new Set(list.map((i) => i.service))].sort().map((name) => {
      const invs = list.filter((i) => i.service === name);
      const handlers = [...new Set(invs.map((i) => i.handler))].sort();
      const ty = SERVICE_TY[invs[0]?.service_type ?? ""] ?? "Service";
      return { name, ty, handlers: handlers.map((h) => ({ name: h, ty: HANDLER_TY[invs.find((i) => i.handler === h)?.handler_type ?? ""] ?? "" })) };
    });
  const rows: ServiceRow[] = [];
  for (const s of known) {
    const keyed = s.ty !== "Service";
    rows.push({ service: s.name, handler: null, ty: s.ty, keyed });
    for (const h of s.handlers) rows.push({ service: s.name, handler: h.name, ty: h.ty ?? (keyed ? "Exclusive" : ""), keyed });
  }
  return rows;
}

export function ServicesScreen(props: { rows: ServiceRow[]; list: InvocationSummary[]; row: number; width: number; height: number; note: string | undefined; builds?: DeploymentView[] }) {
  const { rows, width, height } = props;
  const builds = buildLines(props.builds ?? []).slice(0, Math.max(0, height - 5));
  const room = Math.max(1, height - 2 - (builds.length ? builds.length + 1 : 0));
  const start = windowStart(props.row, rows.length, room);
  const nameW = Math.min(32, Math.max(12, ...rows.map((r) => (r.handler ?? r.service).length + (r.handler ? 4 : 0))));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>Services</Text>
        <Text dimColor>  {props.note ?? "⏎ lists a handler's invocations · i invokes it"}</Text>
      </Text>
      <Text bold wrap="truncate">
        {"  "}
        {fit("NAME", nameW, true)} {fit("TYPE", 14, true)} INVOCATIONS
      </Text>
      {rows.length === 0 ? <Text dimColor>  no services registered (is the entry file calling restate.serve()?)</Text> : null}
      {rows.slice(start, start + room).map((r, i) => {
        const on = start + i === props.row;
        const invs = props.list.filter((x) => x.service === r.service && (r.handler === null || x.handler === r.handler));
        const counts = statusCounts(invs);
        return (
          <Text key={`${r.service}/${r.handler ?? ""}`} wrap="truncate" inverse={on} bold={r.handler === null}>
            {on ? "›" : " "} {fit(r.handler === null ? r.service : `  └ ${r.handler}`, nameW, true)} {fit(r.ty, 14, true)}{" "}
            {counts.length === 0 ? (
              <Text dimColor>–</Text>
            ) : (
              counts.map(([s, n], j) => (
                <Text key={s}>
                  {j ? "  " : ""}
                  <T color={statusColour(s)}>
                    {statusMark(s)} {s}
                  </T>{" "}
                  {n}
                </Text>
              ))
            )}
          </Text>
        );
      })}
      {builds.length ? <Text bold>{"  "}Builds</Text> : null}
      {builds.map((b) => (
        <T key={b.deployment.id} wrap="truncate" {...(b.older ? { color: "yellow" } : { dimColor: true })}>
          {"  "}
          {b.text}
        </T>
      ))}
    </Box>
  );
}
