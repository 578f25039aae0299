/**
 * `GET /deployments` and `GET /deployments/{id}`, shaped like Restate's: one
 * deployment per build of the project (runtime/deployments.ts). A build has no
 * URL of its own (its worker talks to the runtime over IPC), so `uri` names the
 * build: `restate-dev://build/3`. restate-dev adds what is pinned to each:
 * `pinned_invocation_count` (unfinished invocations that run on that build),
 * `pinned_invocations` (which, for older builds: up to 100),
 * `latest` and `bundle_kept` (whether its bundle is still in .restate-dev/).
 */
import { json, type HttpResponse } from "../ingress/http.js";
import type { Deployment, Deployments } from "../deployments.js";
import { shapeService } from "./services.js";
import { adminError } from "./shape.js";

export const SDK_VERSION = "restate-dev";

/** `2026-01-02T03:04:05.678000000Z`: Restate prints deployment times with nanosecond digits. */
function nanoIso(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "000000Z");
}

type Pins = () => Map<string, { count: number; ids: string[] }>;

function head(d: Deployment, pins: ReturnType<Pins>, latest: string | undefined): Record<string, unknown> {
  return {
    id: d.id,
    uri: `restate-dev://build/${d.seq}`,
    protocol_type: "BidiStream",
    http_version: "HTTP/2.0",
    created_at: nanoIso(d.createdAt),
    min_protocol_version: 5,
    max_protocol_version: 7,
    sdk_version: SDK_VERSION,
    latest: d.id === latest,
    bundle_kept: d.bundle !== undefined,
    pinned_invocation_count: pins.get(d.id)?.count ?? 0,
    pinned_invocations: pins.get(d.id)?.ids ?? [],
  };
}

export function deploymentsRoute(deployments: Deployments, segments: string[], pinned: Pins = () => new Map(), latest?: string): HttpResponse | undefined {
  const pins = pinned();
  if (segments.length === 1) {
    return json(200, {
      deployments: deployments
        .all()
        .reverse()
        .map((d) => ({ ...head(d, pins, latest), services: d.services.map((s) => ({ name: s.name, revision: d.revisions[s.name] ?? 1 })) })),
    });
  }
  if (segments.length !== 2) return undefined;
  const d = deployments.get(segments[1]!);
  if (!d) {
    const latest = deployments.latest();
    return adminError(404, `The requested deployment '${segments[1]}' does not exist (each build of the project is one; ${latest ? `the latest is ${latest.id}` : "none was loaded yet"}; GET /deployments lists them)`);
  }
  return json(200, { ...head(d, pins, latest), services: d.services.map((s) => shapeService(s, { deploymentId: d.id, revision: d.revisions[s.name] ?? 1 })) });
}
