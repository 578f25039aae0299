/**
 * `/mcp` on the admin port: MCP's Streamable HTTP transport, stateless, with
 * JSON responses (no SSE streams), so it fits the runtime's buffered
 * request/response Handler and lives inside the admin API's handler chain
 * (mounted there by `up`), behind the same Host/Origin checks as every admin
 * route. Each POST gets a fresh server and transport: nothing is kept between
 * requests, so there are no sessions to expire or leak.
 */
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Handler, HttpRequest, HttpResponse } from "../../runtime/ingress/http.js";
import type { McpBackend } from "./backend.js";
import { createMcpServer, type McpServerOptions } from "./server.js";

export function mcpHttpHandler(backend: () => McpBackend | undefined, opts: McpServerOptions = {}): Handler {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    if (req.method !== "POST") {
      // Streamable HTTP: a server that offers no server-initiated stream answers GET with 405; stateless, it has no session to DELETE.
      return rpcError(405, `${req.method} /mcp is not supported: this MCP endpoint is stateless; POST JSON-RPC messages to it`, { allow: "POST" });
    }
    const b = backend();
    if (!b) return rpcError(503, "the runtime is still starting; try again in a moment");
    const server = createMcpServer(b, opts);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    try {
      await server.connect(transport);
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
      }
      // The URL only needs to be well-formed: the transport reads the method, headers and body.
      const request = new Request(`http://127.0.0.1/mcp${req.query.size ? `?${req.query}` : ""}`, { method: "POST", headers, body: req.body.byteLength ? Buffer.from(req.body) : null });
      const response = await transport.handleRequest(request);
      const out: Record<string, string> = {};
      response.headers.forEach((value, key) => (out[key] = value));
      return { status: response.status, headers: out, body: new Uint8Array(await response.arrayBuffer()) };
    } finally {
      await transport.close();
      await server.close();
    }
  };
}

function rpcError(status: number, message: string, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }),
  };
}
