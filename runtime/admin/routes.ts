/**
 * The admin API (127.0.0.1:9070 by default), mirroring Restate's where it has
 * one. This slice: health, services, and reading one invocation.
 */
import type { Engine } from "../engine/engine.js";
import { json, type Handler } from "../ingress/http.js";
import { isInvocationId } from "../engine/ids.js";
import { entryFromRow, isCompleted, resultFromColumns } from "../storage/codec.js";

function adminError(status: number, message: string): ReturnType<typeof json> {
  return json(status, { message, restate_code: null });
}

const decoder = new TextDecoder();

function showBytes(b: Uint8Array | undefined): unknown {
  if (b === undefined) return undefined;
  const s = decoder.decode(b);
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

export function adminRoutes(engine: Engine): Handler {
  return (req) => {
    const s = req.path.split("/").filter(Boolean);
    if (req.method === "GET" && s.length === 1 && s[0] === "health") return { status: 200 };
    if (req.method === "GET" && s[0] === "services") {
      if (s.length === 1) return json(200, { services: engine.listServices() });
      const svc = engine.service(decodeURIComponent(s[1]!));
      return svc ? json(200, svc) : adminError(404, `service '${s[1]}' not found`);
    }
    if (req.method === "GET" && s[0] === "invocations" && s.length === 2) {
      const id = s[1]!;
      if (!isInvocationId(id)) return adminError(400, `bad invocation id '${id}': bad format`);
      const row = engine.q.getInvocation(id);
      if (!row) return adminError(404, `The invocation '${id}' does not exist.`);
      const result = resultFromColumns(row.result_kind, row.result);
      const journal = engine.q.journal(id).map((r) => {
        const e = entryFromRow(r);
        return {
          index: e.index,
          type: e.type,
          name: e.name,
          completed: isCompleted(e),
          value: showBytes(e.value),
          result: e.result ? (e.result.kind === "value" ? { value: showBytes(e.result.value) } : { failure: e.result }) : undefined,
          target: e.target,
          created_at: r.created_at,
          completed_at: r.completed_at,
        };
      });
      return json(200, {
        id: row.id,
        target: row.key !== null ? `${row.service}/${row.key}/${row.handler}` : `${row.service}/${row.handler}`,
        status: row.status,
        retry_count: row.retry_count,
        last_failure: row.last_failure ? JSON.parse(row.last_failure) : null,
        input: showBytes(row.input),
        result: result ? (result.kind === "value" ? { value: showBytes(result.value) } : { failure: result }) : undefined,
        journal,
      });
    }
    return adminError(404, `no admin route for ${req.method} ${req.path}`);
  };
}
