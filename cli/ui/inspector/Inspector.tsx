/**
 * The inspector: a live, keyboard-driven view of invocations and their
 * journals, over the admin API. This component owns the screen stack, the
 * polling and the keys; the screens in components/ only render what they get.
 */
import { useCallback, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Box, Text, useApp, useInput, type Key } from "ink";
import { ThemeContext, themeFromEnv, type Theme } from "./theme.js";
import { usePoll, useNow, useTerminalSize, type Size } from "./hooks.js";
import { seg, type InspectorBackend } from "./backend.js";
import { current, initialState, reducer, type Action, type PendingAction, type PromptPurpose, type Screen, type State } from "./state.js";
import { applyFilter, statusCounts } from "./model.js";
import { isKeyed } from "./timeline.js";
import { busyText, isDestructive, lastInput, question, runAction } from "./actions.js";
import { handleKey, type KeyContext } from "./input.js";
import { HINTS } from "./keys.js";
import { Header, Hints, KeyMap, StatusLine } from "./components/chrome.js";
import { InvocationList } from "./components/list.js";
import { InvocationDetailScreen } from "./components/detail.js";
import { MismatchScreen } from "./components/mismatch.js";
import { DiffScreen, diffRows } from "./components/diff.js";
import { ServicesScreen, serviceRows } from "./components/services.js";
import type { DeploymentView, InvocationDetail, InvocationSummary, KeyState, KeyStatus, ServiceView } from "./types.js";

export interface InspectorProps {
  backend: InspectorBackend;
  /** The first screen (default: the invocations list). */
  initial?: Screen;
  /** Fixed size (tests); default: the terminal's, following resizes. */
  size?: Partial<Size>;
  /** A fixed clock (tests). */
  now?: number;
  theme?: Theme;
  /** How often the admin API is polled; default 500 ms. */
  pollMs?: number;
  /** How many invocations the list fetches; default 1000. */
  listLimit?: number;
  /** Shown inside the `up` dashboard: `q` goes back to it instead of quitting. */
  embedded?: boolean;
  /** What `q` does; default: exit the ink app. */
  onQuit?: () => void;
}

export function Inspector(props: InspectorProps) {
  return (
    <ThemeContext.Provider value={props.theme ?? themeFromEnv()}>
      <InspectorApp {...props} />
    </ThemeContext.Provider>
  );
}

const MIN = { columns: 40, rows: 10 };

function InspectorApp(props: InspectorProps) {
  const { backend } = props;
  const { exit } = useApp();
  const size = useTerminalSize(props.size);
  const now = useNow(1000, props.now);
  const [state, dispatch, getState] = useStore(props.initial);
  const screen = current(state);
  const pollMs = props.pollMs ?? 500;

  // ---- data
  // The list is live on its own screen; elsewhere it only feeds the header's counts and the call links.
  const listMs = screen.kind === "list" || screen.kind === "services" ? pollMs : Math.max(pollMs, 1000);
  const list = usePoll<{ invocations: InvocationSummary[] }>(backend, `/invocations?limit=${props.listLimit ?? 1000}`, listMs);
  const invocations = useMemo(() => list.data?.invocations ?? [], [list.data]);
  const rows_ = useMemo(() => applyFilter(invocations, state.filter), [invocations, state.filter]);
  const ids = useMemo(() => rows_.map((r) => r.id), [rows_]);
  useLayoutEffect(() => dispatch({ type: "list-sync", ids }), [ids, dispatch]);

  const detailId = screen.kind === "detail" || screen.kind === "mismatch" ? screen.id : null;
  const detail = usePoll<InvocationDetail>(backend, detailId ? `/invocations/${seg(detailId)}` : null, pollMs);
  const inv = detail.data;
  // The key's state, lock and inbox: read while the state pane shows them.
  const keyed = inv && screen.kind === "detail" && state.detail.tab === "state" && isKeyed(inv) ? { svc: seg(inv.service), key: seg(inv.key!) } : null;
  const keyState = usePoll<KeyState>(backend, keyed ? `/services/${keyed.svc}/state/${keyed.key}` : null, 1000);
  const keyStatus = usePoll<KeyStatus>(backend, keyed ? `/services/${keyed.svc}/keys/${keyed.key}` : null, 1000);
  const diffLeft = usePoll<InvocationDetail>(backend, screen.kind === "diff" ? `/invocations/${seg(screen.left)}` : null, 1000);
  const diffRight = usePoll<InvocationDetail>(backend, screen.kind === "diff" ? `/invocations/${seg(screen.right)}` : null, 1000);
  const services = usePoll<{ services: ServiceView[] }>(backend, screen.kind === "services" ? "/services" : null, 2000);
  // The builds, and what still runs on older ones (not served offline: then nothing is shown).
  const builds = usePoll<{ deployments: DeploymentView[] }>(backend, screen.kind === "services" || screen.kind === "detail" ? "/deployments" : null, 2000);

  const width = Math.max(MIN.columns, size.columns);
  // One line short of the terminal: ink redraws a frame as tall as the terminal by clearing it (flicker).
  const height = Math.max(MIN.rows, size.rows - 1);
  const area = height - 3;

  const refresh = useCallback(() => {
    list.refresh();
    detail.refresh();
    keyState.refresh();
    keyStatus.refresh();
  }, [list, detail, keyState, keyStatus]);

  const quit = useCallback(() => (props.onQuit ? props.onQuit() : exit()), [props, exit]);

  // ---- actions
  const act = useCallback(
    async (a: PendingAction) => {
      dispatch({ type: "normal" });
      dispatch({ type: "status", text: busyText(a), tone: "busy" });
      const out = await runAction(backend, a);
      dispatch({ type: "status", text: out.text, tone: out.tone });
      refresh();
      if (out.open) dispatch({ type: "push", screen: out.open, keepStatus: true });
      if (out.back) dispatch({ type: "back", keepStatus: true });
    },
    [backend, refresh],
  );
  const request = useCallback(
    (a: PendingAction) => {
      if (backend.mode === "offline") {
        dispatch({ type: "status", text: "read-only: no runtime is running (start it with 'restate-dev up' to act on invocations)", tone: "error" });
      } else if (isDestructive(a)) dispatch({ type: "confirm", action: a, question: question(a) });
      else void act(a);
    },
    [backend, act],
  );
  const prompt = (purpose: PromptPurpose, label: string, text: string) => dispatch({ type: "prompt", purpose, label, text });
  const startInvoke = async (service: string, handler: string, keyed: boolean, key: string | null) => {
    if (backend.mode === "offline" || !backend.ingress) {
      dispatch({ type: "status", text: "read-only: invoking needs the running runtime", tone: "error" });
      return;
    }
    dispatch({ type: "status", text: `reading the last input of ${service}/${handler}…`, tone: "busy" });
    const last = await lastInput(backend, service, handler);
    dispatch({ type: "clear-status" });
    if (keyed) prompt({ kind: "invoke-key", service, handler }, `${service} key`, key ?? last.key ?? "");
    else prompt({ kind: "invoke-body", service, handler, key: null }, `invoke ${service}/${handler} with JSON`, last.body);
  };

  // ---- keys
  // Key handlers read the newest data and state: a key can arrive between a render and its effects,
  // and keys that arrive together (a paste, a fast typist) each see what the previous one left.
  const latest = useRef<Omit<KeyContext, "state" | "rows" | "ids">>(undefined);
  useLayoutEffect(() => {
    latest.current = {
      dispatch,
      inv,
      invocations,
      keyState: keyState.data,
      services: services.data?.services,
      diffCount: diffRows(diffLeft.data, diffRight.data).length,
      area,
      backend,
      embedded: props.embedded ?? false,
      request,
      act,
      prompt,
      startInvoke,
      quit,
    };
  });
  const onKey = useCallback(
    (input: string, key: Key) => {
      const l = latest.current;
      if (!l) return;
      const now = getState();
      const rows = applyFilter(l.invocations, now.filter);
      handleKey({ ...l, state: now, rows, ids: rows.map((r) => r.id) }, input, key);
    },
    [getState],
  );
  useInput(onKey);

  // ---- render
  if (size.columns < MIN.columns || size.rows < MIN.rows) {
    return (
      <Box width={Math.max(1, size.columns)}>
        <Text wrap="truncate">terminal too small: needs {MIN.columns}×{MIN.rows} (q quits)</Text>
      </Box>
    );
  }
  const counts = statusCounts(invocations);
  const limit = props.listLimit ?? 1000;
  let body: ReactNode;
  if (state.mode.kind === "help") body = <KeyMap screen={screen.kind} width={width} height={area} />;
  else {
    switch (screen.kind) {
      case "list":
        body = <InvocationList rows={rows_} total={invocations.length} row={state.listRow} filter={state.filter} mark={state.mark} width={width} height={area} now={now} loading={!list.data && !list.error} />;
        break;
      case "detail":
        body = (
          <InvocationDetailScreen
            id={screen.id}
            inv={inv}
            error={detail.error}
            list={invocations}
            cursor={state.detail}
            keyState={keyState.data}
            keyStateError={keyState.error}
            keyStatus={keyStatus.data}
            keyStatusError={keyStatus.error}
            width={width}
            height={area}
            now={now}
            {...(builds.data ? { builds: builds.data.deployments } : {})}
          />
        );
        break;
      case "mismatch":
        body = <MismatchScreen id={screen.id} inv={inv} error={detail.error} width={width} height={area} />;
        break;
      case "diff":
        body = <DiffScreen leftId={screen.left} rightId={screen.right} left={diffLeft.data} right={diffRight.data} error={diffLeft.error ?? diffRight.error} row={state.diffRow} width={width} height={area} />;
        break;
      case "services":
        body = (
          <ServicesScreen
            rows={serviceRows(services.data?.services, invocations)}
            list={invocations}
            row={state.servicesRow}
            width={width}
            height={area}
            note={services.error ? "read-only: the handlers that have invocations" : undefined}
            {...(builds.data ? { builds: builds.data.deployments } : {})}
          />
        );
        break;
    }
  }
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header width={width} location={backend.location} mode={backend.mode} counts={counts} total={invocations.length} truncated={invocations.length >= limit} error={list.error} embedded={props.embedded ?? false} />
      <Box height={area} width={width} flexDirection="column" overflow="hidden">
        {body}
      </Box>
      <StatusLine width={width} mode={state.mode} status={state.status} />
      <Hints text={HINTS[screen.kind]} embedded={props.embedded ?? false} />
    </Box>
  );
}

/** useReducer, plus a synchronous read of the newest state for key handlers. */
function useStore(initial: Screen | undefined): [State, (a: Action) => void, () => State] {
  const ref = useRef<State | undefined>(undefined);
  ref.current ??= initialState(initial);
  const [state, setState] = useState<State>(ref.current);
  const dispatch = useCallback((a: Action) => {
    const next = reducer(ref.current!, a);
    if (next === ref.current) return;
    ref.current = next;
    setState(next);
  }, []);
  const get = useCallback(() => ref.current!, []);
  return [state, dispatch, get];
}

