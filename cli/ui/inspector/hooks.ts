/**
 * Data hooks: polling the admin API (a re-render only when the answer changed,
 * so the screen does not flicker), a ticking clock for ages, and the terminal's
 * size (following resizes).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { useStdout } from "ink";
import { errorText, type InspectorBackend } from "./backend.js";

export interface Polled<T> {
  data: T | undefined;
  /** Why the last request failed, if it did (the data then is the last good answer). */
  error: string | undefined;
  /** Polls now (after an action), instead of at the next interval. */
  refresh(): void;
}

/** Polls `GET path` every `intervalMs`; `path` null polls nothing. */
export function usePoll<T>(backend: InspectorBackend, path: string | null, intervalMs: number): Polled<T> {
  const [state, setState] = useState<{ path: string | null; text?: string; data?: T; error?: string }>({ path });
  const kick = useRef<() => void>(() => {});
  useEffect(() => {
    if (path === null) return;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let inFlight = false;
    const poll = async () => {
      if (inFlight || stopped) return;
      inFlight = true;
      clearTimeout(timer);
      try {
        const res = await backend.admin("GET", path);
        if (stopped) return;
        if (res.ok) {
          setState((s) => (s.path === path && s.text === res.text && s.error === undefined ? s : { path, text: res.text, data: res.json as T }));
        } else {
          const error = errorText(res);
          setState((s) => (s.path === path && s.error === error ? s : { ...(s.path === path ? s : { path }), error }));
        }
      } catch (e) {
        if (stopped) return;
        const error = (e as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED" ? "the runtime does not answer (stopped?)" : (e as Error).message;
        setState((s) => (s.path === path && s.error === error ? s : { ...(s.path === path ? s : { path }), error }));
      } finally {
        inFlight = false;
        if (!stopped) timer = setTimeout(() => void poll(), intervalMs);
      }
    };
    kick.current = () => void poll();
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
      kick.current = () => {};
    };
  }, [backend, path, intervalMs]);
  const refresh = useCallback(() => kick.current(), []);
  const mine = state.path === path;
  return { data: mine ? state.data : undefined, error: mine ? state.error : undefined, refresh };
}

/** The time, updated every `ms` (ages and waiting times move on their own). */
export function useNow(ms = 1000, fixed?: number): number {
  const [now, setNow] = useState(() => fixed ?? Date.now());
  useEffect(() => {
    if (fixed !== undefined) return;
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms, fixed]);
  return fixed ?? now;
}

export interface Size {
  columns: number;
  rows: number;
}

/** The terminal's size, re-read on every resize; `fixed` (tests) wins. */
export function useTerminalSize(fixed?: Partial<Size>): Size {
  const { stdout } = useStdout();
  const read = useCallback(
    (): Size => ({ columns: fixed?.columns ?? (stdout.columns || 80), rows: fixed?.rows ?? (stdout.rows || 24) }),
    [stdout, fixed?.columns, fixed?.rows],
  );
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () =>
      setSize((s) => {
        const n = read();
        return n.columns === s.columns && n.rows === s.rows ? s : n;
      });
    onResize();
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout, read]);
  return size;
}
