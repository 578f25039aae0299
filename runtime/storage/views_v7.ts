/**
 * Migration 7: each invocation names the deployment (build) it runs on, and a
 * deployment keeps the file of its bundle while invocations are pinned to it
 * (hot reload pinning). `sys_invocation` and `sys_invocation_status` then show
 * it as Restate's `pinned_deployment_id` (and `last_attempt_deployment_id`).
 * The views are migration 5's text with those columns filled in.
 */
import { MIGRATION_5_SQL } from "./views_v5.js";

function viewOf(name: string, end: string): string {
  const start = MIGRATION_5_SQL.indexOf(`CREATE VIEW ${name} AS\n`);
  const stop = start < 0 ? -1 : MIGRATION_5_SQL.indexOf(end, start);
  if (stop < 0) throw new Error(`views_v7: migration 5's ${name} view changed; update viewOf()`);
  return MIGRATION_5_SQL.slice(start, stop + end.length);
}

function pinned(view: string, columns: string[]): string {
  let out = view;
  for (const c of columns) {
    const next = out.replace(`NULL AS ${c}`, `i.deployment_id AS ${c}`);
    if (next === out) throw new Error(`views_v7: ${c} is no longer NULL in migration 5's views; update pinned()`);
    out = next;
  }
  return out;
}

export const MIGRATION_7_SQL = `
-- The deployment an invocation runs on (the newest build when it was made):
-- kept on its build by a reload whose code its journal does not follow.
ALTER TABLE invocations ADD COLUMN deployment_id TEXT;
-- The bundle of a deployment, relative to the data directory, while anything may
-- still run on it (NULL once its file is removed), and a hash of its contents.
ALTER TABLE deployments ADD COLUMN bundle TEXT;
ALTER TABLE deployments ADD COLUMN bundle_hash TEXT;

DROP VIEW sys_invocation;
${pinned(viewOf("sys_invocation", "FROM invocations i LEFT JOIN invocations p ON p.id = i.invoked_by_id;"), ["pinned_deployment_id", "last_attempt_deployment_id"])}

DROP VIEW sys_invocation_status;
${pinned(viewOf("sys_invocation_status", "FROM invocations i;"), ["pinned_deployment_id"])}
`;
