/**
 * restate-dev's MCP server: the tools (tools_inspect.ts, tools_operate.ts)
 * and the README's sections as resources, over one backend. The transports
 * (stdio in commands/mcp.ts, Streamable HTTP in http.ts) each make one.
 */
import { readFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { McpBackend } from "./backend.js";
import { join } from "node:path";
import { DOCS_URI, docSections, packageRoot } from "./docs.js";
import { registerInspectTools } from "./tools_inspect.js";
import { registerOperateTools } from "./tools_operate.js";

export interface McpServerOptions {
  /** Leave out the tools that change anything. */
  readOnly?: boolean;
}

const INSTRUCTIONS = `restate-dev runs a project's Restate services (durable handlers) on a local runtime.
To debug a failing handler: list_invocations (status backing-off, paused, or completed with a failure) -> describe_invocation (last failure, the journal entry it failed at, call tree) -> get_journal (every step with payloads). A failure with code 570 is a journal mismatch: journal_mismatch shows it; journal_check lists what the last hot reload found.
To repair: fix the code (up reloads it), then kill_invocation / cancel_invocation, restart_invocation (optionally from an entry, with overrides), set_state; invoke calls a handler; diff_journals compares a restart with its original. read_docs explains the runtime's behaviour.
Results are compact; long payloads are cut, and get_value returns one whole.`;

export function createMcpServer(backend: McpBackend, opts: McpServerOptions = {}): McpServer {
  const readOnly = opts.readOnly ?? false;
  const server = new McpServer(
    { name: "restate-dev", title: "restate-dev", version: packageVersion() },
    { instructions: INSTRUCTIONS + (readOnly ? "\nThis server is read-only (--read-only): the tools that change state or invocations are not offered." : "") },
  );
  const ctx = { backend, readOnly };
  registerInspectTools(server, ctx);
  registerOperateTools(server, ctx);
  for (const s of docSections()) {
    server.registerResource(s.slug, `${DOCS_URI}${s.slug}`, { title: `restate-dev: ${s.title}`, description: `the README's section '${s.title}'`, mimeType: "text/markdown" }, (uri) => ({
      contents: [{ uri: uri.href, mimeType: "text/markdown", text: s.text }],
    }));
  }
  return server;
}

let version: string | undefined;

function packageVersion(): string {
  if (version) return version;
  try {
    const root = packageRoot();
    version = root ? String((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: string }).version ?? "0.0.0") : "0.0.0";
  } catch {
    version = "0.0.0";
  }
  return version;
}
