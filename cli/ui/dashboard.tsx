/**
 * The `up` dashboard, shown when stdout is a terminal: URLs and services, the
 * builds (the newest, and older ones invocations still run on), live
 * invocations (from the admin API), and the runtime's log (builds, reloads,
 * journal checks, failures, handler output). It renders; it decides nothing.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { Box, Static, Text, render, useInput, useStdin } from "ink";
import { Inspector, httpBackend } from "./inspector/index.js";
import { statusColour, statusLabel } from "./inspector/model.js";
import { buildLines, olderBuildOf } from "../builds.js";
import type { DeploymentView } from "../admin_types.js";

type ServiceList = Array<{ name: string; ty: string; handlers: Array<{ name: string }> }>;

export interface DashboardInfo {
  ingressUrl: string;
  adminUrl: string;
  /** At start; the dashboard then follows the admin API (a reload can add or drop handlers). */
  services: ServiceList;
}

export interface ListedInvocation {
  id: string;
  target: string;
  status: string;
  retry_count: number;
  created_at: string;
  last_failure: { code: number; message: string } | null;
  completion_result: "success" | "failure" | null;
  completion_failure?: { code: number; message: string } | null;
  sleeping_until?: string | null;
  pinned_deployment_id?: string | null;
}

interface Line {
  n: number;
  text: string;
}

function age(iso: string, now: number): string {
  return span(now - Date.parse(iso));
}

function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

function shorten(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

const POLL_MS = 500;

/** The latest invocations and services, polled from the admin API. */
function useAdminPoll(info: DashboardInfo | undefined): { rows: ListedInvocation[]; services: ServiceList | undefined; builds: DeploymentView[] | undefined } {
  const [rows, setRows] = useState<ListedInvocation[]>([]);
  const [services, setServices] = useState<ServiceList | undefined>(undefined);
  const [builds, setBuilds] = useState<DeploymentView[] | undefined>(undefined);
  const adminUrl = info?.adminUrl;
  useEffect(() => {
    if (!adminUrl) return;
    let stopped = false;
    const poll = async () => {
      try {
        const [inv, svc, dps] = await Promise.all([fetch(`${adminUrl}/invocations?limit=12`), fetch(`${adminUrl}/services`), fetch(`${adminUrl}/deployments`)]);
        if (inv.ok && !stopped) setRows(((await inv.json()) as { invocations: ListedInvocation[] }).invocations);
        if (svc.ok && !stopped) setServices(((await svc.json()) as { services: ServiceList }).services);
        if (dps.ok && !stopped) setBuilds(((await dps.json()) as { deployments: DeploymentView[] }).deployments);
      } catch {
        // the runtime is stopping
      }
    };
    void poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [adminUrl]);
  return { rows, services, builds };
}

function Dashboard(props: { info: DashboardInfo | undefined; lines: Line[] }) {
  const { info } = props;
  // `i` opens the inspector (cli/ui/inspector) in place of the dashboard; its `q` comes back.
  const [inspecting, setInspecting] = useState(false);
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      // Raw mode turns Ctrl-C into input: stop the runtime as the signal would.
      if (key.ctrl && input === "c") process.kill(process.pid, "SIGINT");
      else if (input === "i" && info && !inspecting) setInspecting(true);
    },
    { isActive: isRawModeSupported === true },
  );
  // While the inspector is shown, the log waits (printed above it, it would scroll the inspector away).
  const shownLines = useRef(props.lines);
  if (!inspecting) shownLines.current = props.lines;
  const lines = shownLines.current;
  const backend = useMemo(() => (info ? httpBackend(info.adminUrl, info.ingressUrl) : undefined), [info]);
  // One Static for both views: a new one would print the whole log again.
  return (
    <>
      <Static items={lines}>{(l) => <Text key={l.n}>{l.text}</Text>}</Static>
      {inspecting && backend ? (
        <Inspector backend={backend} embedded onQuit={() => setInspecting(false)} />
      ) : (
        <DashboardLive info={info} inspectable={isRawModeSupported === true} />
      )}
    </>
  );
}

export function DashboardLive(props: { info: DashboardInfo | undefined; inspectable: boolean }) {
  const { rows, services, builds } = useAdminPoll(props.info);
  return (
    <DashboardPanel
      info={props.info}
      inspectable={props.inspectable}
      rows={rows}
      services={services ?? props.info?.services ?? []}
      {...(builds ? { builds } : {})}
      now={Date.now()}
      width={process.stdout.columns ?? 100}
    />
  );
}

/** The panel itself, from data: what the tests render. */
export function DashboardPanel(props: { info: DashboardInfo | undefined; inspectable: boolean; rows: ListedInvocation[]; services: ServiceList; builds?: DeploymentView[]; now: number; width: number }) {
  const { info, rows, now } = props;
  const builds = buildLines(props.builds ?? []);
  const width = Math.max(60, Math.min(props.width, 160));
  return (
    <>
      <Box flexDirection="column" borderStyle="round" paddingX={1} width={width}>
        {info ? (
          <>
            <Text>
              <Text bold>restate-dev</Text> ingress <Text color="cyan">{info.ingressUrl}</Text> admin <Text color="cyan">{info.adminUrl}</Text>
            </Text>
            <Text dimColor>
              {shorten(props.services.map((s) => `${s.name}(${s.handlers.map((h) => h.name).join(",")})`).join("  "), width - 4)}
            </Text>
          </>
        ) : (
          <Text>starting…</Text>
        )}
        {builds.map((b) => (
          <Text key={b.deployment.id} wrap="truncate" {...(b.older ? { color: "yellow" } : { dimColor: true })}>
            {b.text}
          </Text>
        ))}
        {rows.length === 0 ? (
          <Text dimColor>no invocations yet: restate-dev invoke &lt;service&gt;/&lt;handler&gt; [json]</Text>
        ) : (
          rows.map((r) => {
            // A failed invocation reads "failed", not "completed" in red.
            const label = statusLabel(r);
            return (
              <Text key={r.id} wrap="truncate">
                <Text color={statusColour(label) ?? "white"}>{label.padEnd(11)}</Text> {shorten(r.target, 32).padEnd(32)} <Text dimColor>{r.id.slice(0, 14)}…</Text>{" "}
                {age(r.created_at, now).padStart(4)}
                {r.retry_count > 0 ? <Text color="yellow"> ×{r.retry_count}</Text> : null}
                {r.last_failure && r.status !== "completed" ? <Text color="red"> [{r.last_failure.code}] {shorten(r.last_failure.message, 40)}</Text> : null}
                {r.status === "completed" && r.completion_failure ? (
                  <Text color="red">
                    {" "}
                    [{r.completion_failure.code}] {shorten(r.completion_failure.message, 40)}
                  </Text>
                ) : null}
                {r.status !== "completed" && r.sleeping_until ? <Text dimColor> sleeping, wakes up in {span(Date.parse(r.sleeping_until) - now)}</Text> : null}
                {olderBuildOf(r, props.builds) ? <Text color="yellow"> on {olderBuildOf(r, props.builds)}</Text> : null}
              </Text>
            );
          })
        )}
        <Text dimColor wrap="truncate">
          {props.inspectable ? "i inspector · " : ""}Ctrl-C stops (unfinished work resumes at the next up) · restate-dev invoke &lt;target&gt; [json]
        </Text>
      </Box>
    </>
  );
}

export interface DashboardHandle {
  log(text: string): void;
  ready(info: DashboardInfo): void;
  stop(): void;
}

export function startDashboard(): DashboardHandle {
  let lines: Line[] = [];
  let info: DashboardInfo | undefined;
  let n = 0;
  const app = render(<Dashboard info={info} lines={lines} />, { exitOnCtrlC: false, patchConsole: false });
  const rerender = () => app.rerender(<Dashboard info={info} lines={lines} />);
  return {
    log(text) {
      lines = [...lines, ...text.split("\n").map((t) => ({ n: n++, text: t }))];
      rerender();
    },
    ready(i) {
      info = i;
      rerender();
    },
    stop() {
      app.unmount();
    },
  };
}
