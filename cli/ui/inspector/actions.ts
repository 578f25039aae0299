/**
 * Runs what the user asked for against the admin API (or the ingress, to
 * invoke) and says how it went, in words for the status line. The runtime
 * decides; this only sends the request and reads the answer.
 */
import { errorText, seg, type InspectorBackend } from "./backend.js";
import type { PendingAction, Screen, Tone } from "./state.js";
import { shortId } from "./model.js";

export interface Outcome {
  text: string;
  tone: Tone;
  /** Where to go next: the new invocation of a restart or an invoke; the list after a purge. */
  open?: Screen;
  back?: boolean;
}

const PAST: Record<string, string> = { cancel: "cancel requested for", kill: "killed", pause: "paused", resume: "resumed", purge: "purged" };

/** Whether the action needs a yes first. */
export function isDestructive(a: PendingAction): boolean {
  if (a.kind === "op") return a.op === "cancel" || a.op === "kill" || a.op === "purge";
  return a.kind === "restart" || a.kind === "state-set" || a.kind === "state-clear";
}

/** The question asked before a destructive action. */
export function question(a: PendingAction): string {
  switch (a.kind) {
    case "op":
      return `${a.op} ${shortId(a.id, 20)} (${a.target})?`;
    case "restart":
      return a.overrides
        ? `restart ${a.target} as new, keeping entries 1–${a.from}, with entry ${Object.keys(a.overrides).join(", ")} replaced?`
        : a.from !== undefined && a.from > 0
          ? `restart ${a.target} as new, keeping entries 1–${a.from} and running the rest again?`
          : `restart ${a.target} as new, running everything again?`;
    case "state-set":
      return `set ${a.service}/${a.key} state '${a.name}' to ${JSON.stringify(a.value)}?`;
    case "state-clear":
      return `remove ${a.service}/${a.key} state '${a.name}'?`;
    case "invoke":
      return `invoke ${target(a)}?`;
  }
}

function target(a: { service: string; handler: string; key: string | null }): string {
  return a.key !== null ? `${a.service}/${a.key}/${a.handler}` : `${a.service}/${a.handler}`;
}

export function busyText(a: PendingAction): string {
  switch (a.kind) {
    case "op":
      return `${a.op}: ${shortId(a.id, 20)}…`;
    case "restart":
      return `restarting ${a.target}…`;
    case "state-set":
    case "state-clear":
      return `writing ${a.service}/${a.key} state…`;
    case "invoke":
      return `invoking ${target(a)}…`;
  }
}

export async function runAction(backend: InspectorBackend, a: PendingAction): Promise<Outcome> {
  if (backend.mode === "offline") {
    return { text: "read-only: no runtime is running (start it with 'restate-dev up' to act on invocations)", tone: "error" };
  }
  try {
    switch (a.kind) {
      case "op": {
        const res = await backend.admin("PATCH", `/invocations/${seg(a.id)}/${a.op}`);
        if (!res.ok) return { text: `${a.op} failed: ${errorText(res)}`, tone: "error" };
        return { text: `${PAST[a.op]} ${shortId(a.id, 20)} (${a.target})`, tone: "ok", ...(a.op === "purge" ? { back: true } : {}) };
      }
      case "restart": {
        const q = a.from !== undefined && a.from > 0 ? `?from=${a.from}` : "";
        const res = await backend.admin("PATCH", `/invocations/${seg(a.id)}/restart-as-new${q}`, a.overrides ? { overrides: a.overrides } : undefined);
        if (!res.ok) return { text: `restart failed: ${errorText(res)}`, tone: "error" };
        const id = (res.json as { new_invocation_id?: string } | undefined)?.new_invocation_id;
        if (!id) return { text: "restarted, but the admin API did not say the new invocation's id", tone: "error" };
        return { text: `restarted as ${id}`, tone: "ok", open: { kind: "detail", id } };
      }
      case "state-set": {
        const res = await backend.admin("PUT", `/services/${seg(a.service)}/state/${seg(a.key)}/${seg(a.name)}`, a.value);
        if (!res.ok) return { text: `state not written: ${errorText(res)}`, tone: "error" };
        return { text: `set ${a.service}/${a.key} '${a.name}'`, tone: "ok" };
      }
      case "state-clear": {
        const res = await backend.admin("DELETE", `/services/${seg(a.service)}/state/${seg(a.key)}/${seg(a.name)}`);
        if (!res.ok) return { text: `state not removed: ${errorText(res)}`, tone: "error" };
        return { text: `removed ${a.service}/${a.key} '${a.name}'`, tone: "ok" };
      }
      case "invoke": {
        if (!backend.ingress) return { text: "cannot invoke: no ingress", tone: "error" };
        const path = `/${seg(a.service)}/${a.key !== null ? `${seg(a.key)}/` : ""}${seg(a.handler)}/send`;
        const res = await backend.ingress(path, a.body);
        if (!res.ok) return { text: `invoke failed (${res.status}): ${errorText(res)}`, tone: "error" };
        const id = (res.json as { invocationId?: string } | undefined)?.invocationId;
        if (!id) return { text: `invoked ${target(a)} (${res.status})`, tone: "ok" };
        return { text: `invoked ${target(a)} → ${id}`, tone: "ok", open: { kind: "detail", id } };
      }
    }
  } catch (e) {
    return { text: `${busyText(a).replace(/…$/, "")} failed: ${(e as Error).message}`, tone: "error" };
  }
}

/** The input of the newest invocation of a handler, as JSON text for the invoke prompt ("" if none). */
export async function lastInput(backend: InspectorBackend, service: string, handler: string): Promise<{ body: string; key: string | null }> {
  try {
    const list = await backend.admin("GET", `/invocations?service=${seg(service)}&handler=${seg(handler)}&limit=1`);
    const newest = (list.json as { invocations?: Array<{ id: string; key: string | null }> } | undefined)?.invocations?.[0];
    if (!list.ok || !newest) return { body: "", key: null };
    const inv = await backend.admin("GET", `/invocations/${seg(newest.id)}`);
    const detail = inv.json as { input?: unknown; input_encoding?: string } | undefined;
    if (!inv.ok || !detail || detail.input === null || detail.input === undefined || detail.input_encoding === "base64") return { body: "", key: newest.key };
    return { body: detail.input_encoding === "utf8" ? String(detail.input) : JSON.stringify(detail.input), key: newest.key };
  } catch {
    return { body: "", key: null };
  }
}
