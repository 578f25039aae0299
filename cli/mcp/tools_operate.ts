/**
 * The tools that change something: state, invocations, and calls through the
 * ingress. They need the running runtime (`restate-dev up`), carry MCP's
 * destructiveHint where they overwrite or end something, and are left out
 * under --read-only.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { seg, type AdminClient } from "../admin_client.js";
import { UserError } from "../../runtime/errors.js";
import type { IngressResponse } from "./backend.js";
import { clipValue, valueCall } from "./render.js";
import { check, defineTool, fetchInvocation, idArg, jsonArg, jsonValue, requireId, type ToolContext } from "./tool_kit.js";

const OUTPUT_BUDGET = 2_000;

export function registerOperateTools(server: McpServer, ctx: ToolContext): void {
  const live = <T>(why: string, body: (admin: AdminClient) => Promise<T>) => ctx.backend.admin("live", why, body);

  defineTool(
    server,
    ctx,
    "set_state",
    {
      title: "Set a state value",
      description:
        "Writes one state value of a virtual object or workflow key, replacing what was there; ordered with the key's invocations " +
        "(it waits for the running exclusive handler, if any). get_state shows the result.",
      input: {
        service: z.string().describe("the virtual object or workflow"),
        key: z.string().describe("the key"),
        name: z.string().describe("the state name"),
        value: jsonArg("the new value"),
      },
      mutates: true,
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) => {
      const value = jsonValue(args.value, "value");
      return live("only the running runtime can change state", async (admin) => {
        const res = await admin.send("PUT", `/services/${seg(args.service)}/state/${seg(args.key)}/${seg(args.name)}`, value);
        check(res, "list_services shows the virtual objects and workflows; only they have state");
        return `set ${args.service}/${args.key} ${args.name} = ${clipValue(value, 200, undefined)}`;
      });
    },
  );

  defineTool(
    server,
    ctx,
    "invoke",
    {
      title: "Invoke a handler",
      description:
        "Calls a handler through the ingress, as a client would, waits for it, and returns its output (or failure) and the invocation id " +
        "(for a handler that sleeps or waits long, use send and follow it with describe_invocation). " +
        "With send: true it only enqueues the invocation and returns its id; delay (e.g. '10s', '5m', with send) runs it later; " +
        "idempotencyKey makes a repeat return the first result. list_services shows the targets.",
      input: {
        target: z.string().describe("service/handler, or object/key/handler for virtual objects and workflows (workflow/key/run starts a workflow)"),
        input: jsonArg("the handler's input").optional(),
        send: z.boolean().optional().describe("do not wait for the result (default false)"),
        delay: z.string().optional().describe("with send: start after this long, e.g. '10s', '5m', '1h'"),
        idempotencyKey: z.string().optional().describe("the idempotency-key header: the same key (per target) returns the first invocation's result"),
      },
      mutates: true,
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args) => {
      const parts = args.target.split("/");
      if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
        throw new UserError("BAD_TARGET", `'${args.target}' is not a handler target`, "use service/handler, or object/key/handler for virtual objects and workflows (e.g. cart/u1/addItem); list_services shows them");
      }
      if (args.delay !== undefined && !args.send) throw new UserError("BAD_ARGS", "delay goes with send: a delayed invocation is not waited for", 'add "send": true');
      const body = args.input === undefined ? undefined : JSON.stringify(jsonValue(args.input, "input"));
      const path = "/" + parts.map((p, i) => (i === 1 && parts.length === 3 ? seg(p) : p)).join("/") + (args.send ? "/send" : "") + (args.delay ? `?delay=${encodeURIComponent(args.delay)}` : "");
      const headers: Record<string, string> = {};
      if (body !== undefined) headers["content-type"] = "application/json";
      if (args.idempotencyKey) headers["idempotency-key"] = args.idempotencyKey;
      return invokeResult(args.target, await ctx.backend.ingress(path, headers, body));
    },
  );

  for (const action of ["cancel", "kill"] as const) {
    defineTool(
      server,
      ctx,
      `${action}_invocation`,
      {
        title: action === "cancel" ? "Cancel an invocation" : "Kill an invocation",
        description:
          action === "cancel"
            ? "Cancels an unfinished invocation: the handler gets a CancelledError at its pending (or next) await, can run compensations, and ends with 409 Cancelled; " +
              "its in-flight calls are cancelled too. Prefer it over kill_invocation when the handler should clean up."
            : "Kills an unfinished invocation at once: it ends with 409 killed, no more user code runs (no compensations), and its in-flight calls are killed too. " +
              "Use it for an invocation stuck on a journal mismatch or retrying forever; restart_invocation can then run it again.",
        input: { id: idArg },
        mutates: true,
        annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: false },
      },
      (args) => {
        requireId(args.id);
        return live("only the running runtime can change invocations", async (admin) => {
          const res = await admin.send("PATCH", `/invocations/${seg(args.id)}/${action}`);
          check(res, res.status === 409 ? `describe_invocation {"id":"${args.id}"} shows how it ended` : "list_invocations shows the invocations the runtime knows");
          return action === "cancel"
            ? `cancel requested for ${args.id}: it ends with 409 Cancelled once the handler has reacted; describe_invocation shows when`
            : `killed ${args.id}: it ends with 409 killed; restart_invocation {"id":"${args.id}"} runs it again`;
        });
      },
    );
  }

  defineTool(
    server,
    ctx,
    "restart_invocation",
    {
      title: "Restart an invocation",
      description:
        "Runs a completed (or killed) invocation again as a new invocation with the same input. With from: N the new one reuses journal entries 1..N " +
        "(their recorded results; the code before them does not run again) and runs the rest on the current code; overrides replaces the results of " +
        "reused entries, as if those steps had returned something else. An unfinished invocation must be killed first. Returns the new invocation's id.",
      input: {
        id: idArg,
        from: z.number().int().min(0).optional().describe("reuse journal entries 1..from (get_journal shows the indexes); default: run everything again"),
        overrides: z
          .record(z.string(), z.unknown())
          .optional()
          .describe('with from: {"<entry index>": <new result>} for reused entries, e.g. {"2": {"paid": true}}; string values are read as JSON text'),
      },
      mutates: true,
      annotations: { destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args) => {
      requireId(args.id);
      const overrides = parseOverrides(args.overrides, args.from);
      return live("only the running runtime can restart invocations", async (admin) => {
        const res = await admin.send("PATCH", `/invocations/${seg(args.id)}/restart-as-new${args.from !== undefined ? `?from=${args.from}` : ""}`, overrides ? { overrides } : undefined);
        if (res.status === 409) {
          const inv = await fetchInvocation(admin, args.id);
          throw new UserError(
            "STILL_RUNNING",
            `cannot restart ${args.id}: it has not completed (it is ${inv.status}), and only completed invocations can be restarted`,
            `kill it first with kill_invocation {"id":"${args.id}"}, then restart it`,
          );
        }
        check(res, `get_journal {"id":"${args.id}"} lists the entry indexes from and overrides take`);
        const newId = (res.json as { new_invocation_id: string }).new_invocation_id;
        const reused = args.from ? `, reusing entries 1..${args.from}` : "";
        const changed = overrides ? ` with ${Object.keys(overrides).map((k) => `#${k}`).join(", ")} replaced` : "";
        return `restarted ${args.id} as ${newId}${reused}${changed}\nget_journal {"id":"${newId}"} follows it; diff_journals {"id":"${newId}"} compares it with the original`;
      });
    },
  );
}

function parseOverrides(raw: Record<string, unknown> | undefined, from: number | undefined): Record<string, unknown> | undefined {
  if (raw === undefined || Object.keys(raw).length === 0) return undefined;
  if (from === undefined) {
    throw new UserError("OVERRIDES_WITHOUT_FROM", "overrides replaces results of reused journal entries, so it needs from", 'for example {"from": 3, "overrides": {"2": {"paid": true}}} reuses entries 1..3 with entry 2\'s result replaced');
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!/^\d+$/.test(k)) throw new UserError("BAD_OVERRIDE", `overrides key '${k}' is not a journal entry index`, 'keys are entry indexes as strings, e.g. {"2": 42}; get_journal shows them');
    const index = Number(k);
    if (index < 1 || index > from) throw new UserError("BAD_OVERRIDE", `overrides ${k}: only reused entries 1..${from} can be replaced`, index > from ? `pass from: ${index} or more` : "entry 0 is the input, which cannot be replaced");
    out[k] = jsonValue(v, `overrides ${k}`);
  }
  return out;
}

function invokeResult(target: string, res: IngressResponse): string {
  let body: unknown = res.text;
  try {
    body = res.text.length ? JSON.parse(res.text) : null;
  } catch {
    // not JSON: shown as text
  }
  const id = res.invocationId;
  const followUp = id ? `\ninvocation ${id}: describe_invocation and get_journal show what it did` : "";
  if (res.status === 202) {
    const status = (body as { status?: string } | null)?.status;
    const sent = (body as { invocationId?: string } | null)?.invocationId ?? id;
    return `sent to ${target}${status ? ` (${status})` : ""}: invocation ${sent ?? "?"}; describe_invocation {"id":"${sent ?? "…"}"} shows its progress`;
  }
  if (res.status >= 200 && res.status < 300) {
    return `${target} returned ${clipValue(body, OUTPUT_BUDGET, id ? valueCall({ id, entry: "output" }) : undefined)}${followUp}`;
  }
  const err = (body ?? {}) as { code?: number; message?: string };
  const message = err.message ?? (res.text || `HTTP ${res.status}`);
  // No invocation id: the ingress refused the request itself (unknown service or handler, bad body).
  if (!id) throw new UserError(res.status === 404 ? "NOT_FOUND" : "INGRESS_ERROR", `the ingress refused ${target}: [${err.code ?? res.status}] ${message}`, "list_services shows the handlers and how to address them");
  return `${target} failed: [${err.code ?? res.status}] ${message}${followUp}`;
}
