/**
 * Builds (deployments) as the CLI, the dashboard and the inspector show them:
 * the newest one, and the older ones that invocations still run on (a reload
 * keeps an invocation whose journal the new code does not follow on its build).
 */
import type { DeploymentView, InvocationSummary } from "./admin_types.js";

/** The build number in a deployment's uri (`restate-dev://build/3` → "3"). */
export function buildNumber(d: Pick<DeploymentView, "uri" | "id">): string {
  return /build\/(\d+)$/.exec(d.uri)?.[1] ?? d.id;
}

export interface BuildLine {
  deployment: DeploymentView;
  text: string;
  older: boolean;
}

/** The newest build, then every older one that something still runs on, one line each. */
export function buildLines(deployments: DeploymentView[]): BuildLine[] {
  const out: BuildLine[] = [];
  for (const d of deployments) {
    const ids = d.pinned_invocations ?? [];
    const count = Math.max(d.pinned_invocation_count ?? 0, ids.length);
    if (d.latest) out.push({ deployment: d, older: false, text: `build ${buildNumber(d)} ${d.id} (newest)${count ? `: ${count} in flight` : ""}` });
    else if (count) out.push({ deployment: d, older: true, text: `build ${buildNumber(d)} ${d.id} (older): ${runs(count, ids)}, on the code it started with` });
  }
  return out;
}

function runs(count: number, ids: string[]): string {
  const shown = ids.slice(0, 3).join(", ");
  return `${count} invocation${count === 1 ? "" : "s"}${shown ? ` (${shown}${count > 3 ? ", …" : ""})` : ""}`;
}

/** "build 2 (older)" for an unfinished invocation pinned to an older build; undefined otherwise. */
export function olderBuildOf(inv: Pick<InvocationSummary, "pinned_deployment_id" | "status">, deployments: DeploymentView[] | undefined): string | undefined {
  if (!inv.pinned_deployment_id || inv.status === "completed" || !deployments) return undefined;
  const d = deployments.find((x) => x.id === inv.pinned_deployment_id);
  return d && !d.latest ? `build ${buildNumber(d)} (older)` : undefined;
}
