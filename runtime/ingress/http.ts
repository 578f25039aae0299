/**
 * A small request/response model so the ingress and admin routes can be tested
 * without a port; `serveHttp` below adapts Node's http to it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { faultPoint } from "../faults.js";

export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
  /** Aborted when the client goes away before the answer is written (waiters let go). */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

export type Handler = (req: HttpRequest) => Promise<HttpResponse> | HttpResponse;

const encoder = new TextEncoder();

export function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(value) };
}

export function header(req: HttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export interface ServeOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Response for bodies over the limit. */
  tooLarge: (limit: number) => HttpResponse;
}

/** Starts an HTTP server; resolves once it listens, rejects with the listen error (e.g. EADDRINUSE). */
export function serveHttp(handler: Handler, opts: ServeOptions): Promise<Server> {
  const server = createServer((req, res) => void dispatch(handler, opts, req, res));
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

async function dispatch(handler: Handler, opts: ServeOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let response: HttpResponse;
  try {
    const body = await readBody(req, opts.maxBodyBytes);
    if (body === null) {
      response = opts.tooLarge(opts.maxBodyBytes);
      res.setHeader("connection", "close");
    } else {
      const url = new URL(req.url ?? "/", "http://localhost");
      // The signal is made only for handlers that wait on it (most answer without).
      let gone: AbortController | undefined;
      let left = false;
      res.once("close", () => {
        left = !res.writableFinished;
        if (left) gone?.abort();
      });
      response = await handler({
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        get signal() {
          gone ??= new AbortController();
          if (left) gone.abort();
          return gone.signal;
        },
      });
    }
  } catch (e) {
    response = { status: 500, headers: { "content-type": "application/json" }, body: JSON.stringify({ code: 500, message: `internal error: ${(e as Error).message}` }) };
  }
  if (res.destroyed) return;
  const body = typeof response.body === "string" ? encoder.encode(response.body) : (response.body ?? new Uint8Array(0));
  const headers: Record<string, string | number> = { ...(response.headers ?? {}), "content-length": body.byteLength };
  // Restate (hyper) answers 470, which has no standard reason phrase, with `HTTP/1.1 470 <none>`.
  res.writeHead(response.status, response.status === 470 ? "<none>" : undefined, headers);
  res.end(body, () => faultPoint("http-after"));
}

/** Reads the body; null when it exceeds the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(over ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
