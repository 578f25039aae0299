/** Turns bound definitions into callable handlers and the manifest the runtime reads. */
import { handlerInfo, type DefinitionInternals } from "../definitions.js";
import { durationToMillis } from "../duration.js";
import type { HandlerOptions, ServiceOptions } from "../options.js";
import type { ResolvedHandler } from "../attempt.js";
import type { HandlerOptionsManifest, ServiceManifest } from "./protocol.js";

export class HandlerRegistry {
  private readonly handlers = new Map<string, ResolvedHandler>();
  readonly manifest: ServiceManifest[] = [];

  constructor(definitions: DefinitionInternals[], defaults: ServiceOptions | undefined) {
    for (const def of definitions) {
      const serviceOptions = { ...(defaults ?? {}), ...(def.options ?? {}) } as HandlerOptions;
      const handlers = [];
      let workflowRuns = 0;
      for (const [name, fn] of Object.entries(def.handlers)) {
        const info = handlerInfo(fn);
        const kind = info?.kind ?? defaultKind(def, name);
        if (kind === "WORKFLOW") workflowRuns++;
        const options = { ...serviceOptions, ...(info?.options ?? {}) };
        this.handlers.set(`${def.name}/${name}`, { definition: def, name, fn, kind, options });
        handlers.push({
          name,
          ...(def._kind === "service" ? {} : { ty: kind as "EXCLUSIVE" | "SHARED" | "WORKFLOW" }),
          inputContentType: options.input ? options.input.contentType : "application/json",
          ...(options.accept ? { accept: options.accept } : {}),
          outputContentType: options.output ? options.output.contentType : "application/json",
          options: manifestOptions(info?.options ?? {}),
        });
      }
      if (def._kind === "workflow" && workflowRuns !== 1) {
        throw new TypeError(`workflow '${def.name}' must have exactly one workflow handler ('run'), found ${workflowRuns}`);
      }
      this.manifest.push({
        name: def.name,
        ty: def._kind === "service" ? "SERVICE" : def._kind === "object" ? "VIRTUAL_OBJECT" : "WORKFLOW",
        handlers,
        options: {
          ...manifestOptions(serviceOptions),
          ...(def.description ? { description: def.description } : {}),
          ...(def.metadata ? { metadata: def.metadata } : {}),
        },
      });
    }
  }

  get(service: string, handler: string): ResolvedHandler | undefined {
    return this.handlers.get(`${service}/${handler}`);
  }
}

function defaultKind(def: DefinitionInternals, name: string): ResolvedHandler["kind"] {
  if (def._kind === "service") return "SERVICE";
  if (def._kind === "object") return "EXCLUSIVE";
  return name === "run" ? "WORKFLOW" : "SHARED";
}

function ms(d: unknown): number | undefined {
  return d === undefined ? undefined : durationToMillis(d as number);
}

function manifestOptions(o: HandlerOptions & { workflowRetention?: unknown }): HandlerOptionsManifest {
  const out: HandlerOptionsManifest = {};
  const set = <K extends keyof HandlerOptionsManifest>(k: K, v: HandlerOptionsManifest[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  if (o.retryPolicy) {
    const r = o.retryPolicy;
    const policy: NonNullable<HandlerOptionsManifest["retryPolicy"]> = {};
    if (r.maxAttempts !== undefined) policy.maxAttempts = r.maxAttempts;
    if (r.onMaxAttempts !== undefined) policy.onMaxAttempts = r.onMaxAttempts;
    if (r.initialInterval !== undefined) policy.initialInterval = ms(r.initialInterval)!;
    if (r.maxInterval !== undefined) policy.maxInterval = ms(r.maxInterval)!;
    if (r.exponentiationFactor !== undefined) policy.exponentiationFactor = r.exponentiationFactor;
    out.retryPolicy = policy;
  }
  set("ingressPrivate", o.ingressPrivate);
  set("inactivityTimeout", ms(o.inactivityTimeout));
  set("abortTimeout", ms(o.abortTimeout));
  set("idempotencyRetention", ms(o.idempotencyRetention));
  set("journalRetention", ms(o.journalRetention));
  set("workflowRetention", ms(o.workflowRetention));
  set("enableLazyState", o.enableLazyState);
  set("description", o.description);
  set("metadata", o.metadata);
  return out;
}
