/**
 * `GET /services[/{svc}[/handlers[/{h}]]]`, shaped like Restate's admin API
 * (snake_case, humantime durations, `ty` in PascalCase) as far as the manifest
 * the worker reports allows. `deployment_id` and `revision` come from the
 * deployments (one per build, runtime/deployments.ts) when the caller has them.
 */
import { json, type HttpResponse } from "../ingress/http.js";
import type { Engine } from "../engine/engine.js";
import type { HandlerManifest, HandlerOptionsManifest, RetryPolicyManifest, ServiceManifest } from "../../sdk/worker/protocol.js";
import { DEFAULT_RETRY_POLICY } from "../engine/retry.js";
import { adminError, humanDuration, serviceNotFound } from "./shape.js";

const DAY = 86_400_000;
/** Restate 1.7's server defaults for what a service does not set. */
const DEFAULTS = { idempotencyRetention: DAY, journalRetention: DAY, workflowRetention: DAY, inactivityTimeout: 60_000, abortTimeout: 600_000 };

const SERVICE_TY = { SERVICE: "Service", VIRTUAL_OBJECT: "VirtualObject", WORKFLOW: "Workflow" } as const;
const HANDLER_TY = { EXCLUSIVE: "Exclusive", SHARED: "Shared", WORKFLOW: "Workflow" } as const;

/** Where a service comes from: its deployment's id and its revision there. */
export type ServiceOrigin = (service: string) => { deploymentId: string; revision: number } | undefined;

export function servicesRoute(engine: Pick<Engine, "service" | "listServices">, segments: string[], origin: ServiceOrigin = () => undefined): HttpResponse {
  const serviceShape = (svc: ServiceManifest) => shapeService(svc, origin(svc.name));
  if (segments.length === 1) return json(200, { services: engine.listServices().map(serviceShape) });
  const name = segments[1]!;
  const svc = engine.service(name);
  if (!svc) return serviceNotFound(name, engine.listServices().map((s) => s.name));
  if (segments.length === 2) return json(200, serviceShape(svc));
  if (segments[2] === "handlers" && segments.length === 3) return json(200, { handlers: svc.handlers.map((h) => handlerShape(svc, h)) });
  if (segments[2] === "handlers" && segments.length === 4) {
    const h = svc.handlers.find((x) => x.name === segments[3]);
    if (!h) {
      return adminError(404, `The requested handler '${segments[3]}' of service '${name}' does not exist (its handlers are: ${svc.handlers.map((x) => x.name).join(", ")})`);
    }
    return json(200, handlerShape(svc, h));
  }
  return adminError(404, `no admin route for GET /${segments.join("/")}; try GET /services/${name} or GET /services/${name}/handlers`);
}

export function shapeService(svc: ServiceManifest, from?: { deploymentId: string; revision: number }): Record<string, unknown> {
  const o = svc.options;
  const retry = { ...DEFAULT_RETRY_POLICY };
  const p = o.retryPolicy;
  if (p?.initialInterval !== undefined) retry.initialInterval = p.initialInterval;
  if (p?.exponentiationFactor !== undefined) retry.exponentiationFactor = p.exponentiationFactor;
  if (p?.maxInterval !== undefined) retry.maxInterval = p.maxInterval;
  if (p?.maxAttempts !== undefined) retry.maxAttempts = p.maxAttempts;
  if (p?.onMaxAttempts !== undefined) retry.onMaxAttempts = p.onMaxAttempts;
  return {
    name: svc.name,
    ty: SERVICE_TY[svc.ty],
    ...(o.description !== undefined ? { documentation: o.description } : {}),
    ...(o.metadata !== undefined ? { metadata: o.metadata } : {}),
    handlers: svc.handlers.map((h) => handlerShape(svc, h)),
    ...(from ? { deployment_id: from.deploymentId, revision: from.revision } : {}),
    public: o.ingressPrivate !== true,
    idempotency_retention: humanDuration(o.idempotencyRetention ?? DEFAULTS.idempotencyRetention),
    ...(svc.ty === "WORKFLOW" ? { workflow_completion_retention: humanDuration(o.workflowRetention ?? DEFAULTS.workflowRetention) } : {}),
    journal_retention: humanDuration(o.journalRetention ?? DEFAULTS.journalRetention),
    inactivity_timeout: humanDuration(o.inactivityTimeout ?? DEFAULTS.inactivityTimeout),
    abort_timeout: humanDuration(o.abortTimeout ?? DEFAULTS.abortTimeout),
    enable_lazy_state: o.enableLazyState ?? false,
    retry_policy: {
      initial_interval: humanDuration(retry.initialInterval),
      exponentiation_factor: retry.exponentiationFactor,
      max_attempts: retry.maxAttempts,
      max_interval: humanDuration(retry.maxInterval),
      on_max_attempts: retry.onMaxAttempts === "kill" ? "Kill" : "Pause",
    },
  };
}

/** Handler options show only what the handler itself sets, as Restate does. */
export function handlerShape(svc: ServiceManifest, h: HandlerManifest): Record<string, unknown> {
  const o: HandlerOptionsManifest = h.options;
  return {
    name: h.name,
    ...(h.ty ? { ty: HANDLER_TY[h.ty] } : {}),
    ...(o.description !== undefined ? { documentation: o.description } : {}),
    ...(o.metadata !== undefined ? { metadata: o.metadata } : {}),
    ...durations(o),
    ...(o.enableLazyState !== undefined ? { enable_lazy_state: o.enableLazyState } : {}),
    public: (o.ingressPrivate ?? svc.options.ingressPrivate) !== true,
    input_description: h.inputContentType ?? h.accept ?? "application/json",
    output_description: h.outputContentType ?? "application/json",
    retry_policy: handlerRetryPolicy(o.retryPolicy),
  };
}

function durations(o: HandlerOptionsManifest): Record<string, string> {
  const out: Record<string, string> = {};
  if (o.idempotencyRetention !== undefined) out.idempotency_retention = humanDuration(o.idempotencyRetention);
  if (o.journalRetention !== undefined) out.journal_retention = humanDuration(o.journalRetention);
  if (o.workflowRetention !== undefined) out.workflow_completion_retention = humanDuration(o.workflowRetention);
  if (o.inactivityTimeout !== undefined) out.inactivity_timeout = humanDuration(o.inactivityTimeout);
  if (o.abortTimeout !== undefined) out.abort_timeout = humanDuration(o.abortTimeout);
  return out;
}

function handlerRetryPolicy(p: RetryPolicyManifest | undefined): Record<string, unknown> {
  return {
    ...(p?.initialInterval !== undefined ? { initial_interval: humanDuration(p.initialInterval) } : {}),
    ...(p?.exponentiationFactor !== undefined ? { exponentiation_factor: p.exponentiationFactor } : {}),
    max_attempts: p?.maxAttempts ?? null,
    ...(p?.maxInterval !== undefined ? { max_interval: humanDuration(p.maxInterval) } : {}),
    ...(p?.onMaxAttempts !== undefined ? { on_max_attempts: p.onMaxAttempts === "kill" ? "Kill" : "Pause" } : {}),
  };
}
