/**
 * What the MCP tools talk to: the admin API (live, or the project's database
 * file read-only when no runtime runs) and the ingress. Both transports use one
 * backend, found and checked the way the other commands find the runtime (connectAdmin
 * and projectIngress in admin_client.ts / connect.ts): `restate-dev mcp` locates it on
 * every tool call (a runtime may start or stop while an assistant's session
 * lasts); `up`'s `/mcp` passes its own URLs.
 */
import { resolve } from "node:path";
import { withAdmin, type AdminClient } from "../admin_client.js";
import { projectIngress } from "../connect.js";
import { UserError } from "../../runtime/errors.js";

export interface IngressResponse {
  status: number;
  /** `x-restate-id`, when the ingress names an invocation. */
  invocationId: string | null;
  text: string;
}

export interface McpBackend {
  /**
   * Runs `body` against the admin API. "read" may answer from the database file
   * when no runtime runs; "live" needs the runtime (`why` says what for, in the error).
   */
  admin<T>(access: "read" | "live", why: string | undefined, body: (admin: AdminClient) => Promise<T>): Promise<T>;
  /** A POST to the ingress; throws NOT_RUNNING when nothing answers. */
  ingress(path: string, headers: Record<string, string>, body: string | undefined): Promise<IngressResponse>;
}

export interface LocateOptions {
  /** The project directory (default: the current directory). */
  dir?: string;
  adminUrl?: string;
  ingressUrl?: string;
}

/** The backend for a project: its recorded runtime, flags and environment as for every other command. */
export function projectBackend(opts: LocateOptions): McpBackend {
  const dir = resolve(opts.dir ?? ".");
  return {
    admin: (access, why, body) =>
      withAdmin({ access, dir, ...(why !== undefined ? { why } : {}), ...(opts.adminUrl !== undefined ? { adminUrl: opts.adminUrl } : {}) }, body),
    async ingress(path, headers, body) {
      // This project's runtime, checked (never another project's), or the URL given.
      const ingressUrl = await projectIngress({ dir, ...(opts.ingressUrl !== undefined ? { ingressUrl: opts.ingressUrl } : {}) });
      let res: Response;
      try {
        res = await fetch(ingressUrl + path, { method: "POST", headers, ...(body !== undefined ? { body } : {}) });
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new UserError(
          "NOT_RUNNING",
          `no runtime is running (nothing answers at ${ingressUrl}: ${cause?.code === "ECONNREFUSED" ? "connection refused" : (cause?.message ?? (e as Error).message)}), and invoking a handler needs one`,
          `start it with 'restate-dev up' in the project (${dir}), then call this tool again`,
        );
      }
      return { status: res.status, invocationId: res.headers.get("x-restate-id"), text: await res.text() };
    },
  };
}
