/**
 * `restate-dev mcp`: restate-dev's MCP server over stdio, for AI assistants
 * (Claude Code, Cursor, …) that start it as a subprocess. It finds the
 * project's runtime as every other command does, on each tool call, and reads
 * the project's database while none runs. stdout carries the protocol only:
 * notes go to stderr.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../../runtime/errors.js";
import { projectBackend } from "../mcp/backend.js";
import { createMcpServer } from "../mcp/server.js";

export interface McpOptions {
  dir?: string;
  adminUrl?: string;
  ingressUrl?: string;
  readOnly?: boolean;
}

export async function mcp(opts: McpOptions): Promise<void> {
  const dir = resolve(opts.dir ?? ".");
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError("PROJECT_NOT_FOUND", `project directory ${dir} does not exist`, "pass --dir <the directory of a restate-dev project>, or start it there");
  }
  const backend = projectBackend({
    dir,
    ...(opts.adminUrl !== undefined ? { adminUrl: opts.adminUrl } : {}),
    ...(opts.ingressUrl !== undefined ? { ingressUrl: opts.ingressUrl } : {}),
  });
  const server = createMcpServer(backend, { readOnly: opts.readOnly ?? false });
  const transport = new StdioServerTransport();
  // The client ends the session by closing our stdin: the process exits once the
  // calls still in flight have answered and nothing else is left to do.
  await server.connect(transport);
}
