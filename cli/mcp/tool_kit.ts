/**
 * What every tool shares: one registration helper (which leaves out the
 * mutating tools under --read-only and turns errors into MCP tool errors with
 * the runtime's message and a hint), argument checks, and admin API calls
 * that throw a UserError with a hint an assistant can follow.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { errorMessage, seg, type AdminClient, type AdminResponse } from "../admin_client.js";
import { UserError } from "../../runtime/errors.js";
import { isInvocationId } from "../../runtime/engine/ids.js";
import type { InvocationDetail } from "../admin_types.js";
import type { McpBackend } from "./backend.js";

export interface ToolContext {
  backend: McpBackend;
  readOnly: boolean;
}

export interface ToolSpec<S extends z.ZodRawShape> {
  title: string;
  description: string;
  input: S;
  /** Changes something (state, invocations, runs handlers): left out under --read-only. */
  mutates: boolean;
  annotations: ToolAnnotations;
}

export function defineTool<S extends z.ZodRawShape>(
  server: McpServer,
  ctx: ToolContext,
  name: string,
  spec: ToolSpec<S>,
  run: (args: z.infer<z.ZodObject<S>>) => Promise<string>,
): void {
  if (spec.mutates && ctx.readOnly) return;
  const annotations: ToolAnnotations = { title: spec.title, readOnlyHint: !spec.mutates, ...spec.annotations };
  server.registerTool(name, { title: spec.title, description: spec.description, inputSchema: spec.input, annotations }, (async (args: z.infer<z.ZodObject<S>>): Promise<CallToolResult> => {
    try {
      return { content: [{ type: "text", text: await run(args) }] };
    } catch (e) {
      return toolError(e);
    }
  }) as never);
}

export function toolError(e: unknown): CallToolResult {
  if (e instanceof UserError) {
    return { isError: true, content: [{ type: "text", text: `error (${e.code}): ${e.message}${e.hint ? `\nhint: ${e.hint}` : ""}` }] };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { isError: true, content: [{ type: "text", text: `internal error in restate-dev's MCP server: ${err.message}\nthis is a bug in restate-dev; the CLI (restate-dev invocations …) may work meanwhile` }] };
}

// ---------------------------------------------------------------- arguments

export const idArg = z.string().describe("an invocation id, as list_invocations shows it (inv_1…)");

export function requireId(id: string, arg = "id"): string {
  if (!isInvocationId(id)) {
    throw new UserError("BAD_ID", `${arg} '${id}' is not an invocation id`, "ids look like inv_1… (from list_invocations, or the invocation id invoke returns)");
  }
  return id;
}

/** A JSON argument: a string is read as JSON text; any other JSON value is taken as it is. */
export const jsonArg = (what: string) =>
  z
    .unknown()
    .describe(
      `${what}: JSON text such as '{"productId":"p1"}', '42' or '"text"' (a string is parsed as JSON, so a JSON string value needs its quotes); an object, array, number, boolean or null is taken as it is`,
    );

export function jsonValue(value: unknown, what: string): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new UserError("BAD_JSON", `${what} is not valid JSON: ${(e as Error).message}`, `pass JSON text, e.g. '{"quantity":2}'; for the string abc pass '"abc"' (with the quotes)`);
  }
}

// ---------------------------------------------------------------- admin calls

const LIST_HINT = "list_invocations shows the invocations the runtime knows (purged and expired ones are gone)";

/** Throws a UserError for a failed admin response: the runtime's message and the hint. */
export function check(res: AdminResponse, hint: string): AdminResponse {
  if (res.ok) return res;
  const code = res.status === 404 ? "NOT_FOUND" : res.status === 503 ? "NOT_RUNNING" : res.status === 409 ? "CONFLICT" : "ADMIN_ERROR";
  throw new UserError(code, errorMessage(res), res.status === 503 ? "start the runtime with 'restate-dev up' in the project, then call this tool again" : hint);
}

export async function fetchInvocation(admin: AdminClient, id: string): Promise<InvocationDetail> {
  requireId(id);
  return check(await admin.send("GET", `/invocations/${seg(id)}`), LIST_HINT).json as InvocationDetail;
}

/** Said under results read from the database file while no runtime runs. */
export function offlineNote(admin: AdminClient): string {
  return admin.mode === "offline" ? `\n(no runtime is running: read from ${admin.location}, read-only, as the runtime left it)` : "";
}
