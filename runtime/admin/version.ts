/**
 * `GET /version`, which the `restate` CLI calls before every command: the admin
 * API versions served (Restate's 2–4, under `/v2` … `/v4` as well as bare) and
 * the features on. restate-dev always has flow control on (scopes, limit keys,
 * rules), as Restate 1.7 with its three `experimental-enable-*` options.
 */
import { json, type HttpResponse } from "../ingress/http.js";

/** The Restate release whose admin API and behaviour restate-dev mirrors. */
export const MIRRORED_RESTATE_VERSION = "1.7.12";

export function versionRoute(ingressUrl: string): HttpResponse {
  return json(200, {
    version: MIRRORED_RESTATE_VERSION,
    min_admin_api_version: 2,
    max_admin_api_version: 4,
    ingress_endpoint: ingressUrl,
    features: {
      vqueues: true,
      protocol_v7: true,
      scoped_virtual_objects: true,
      kafka_scope: false,
      invoker_yield: false,
      unique_random_seeds: false,
      vqueues_async_refill: false,
      scoped_state_table_migration: false,
      scoped_promise_table_migration: false,
      vqueues_migration_skip_completed: false,
      vqueue_obsolete_cleanup: false,
      preflight_invocation_termination_retention: false,
    },
    restate_dev: true,
  });
}
