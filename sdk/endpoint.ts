/**
 * `endpoint()` and `serve()`: how a project declares its services. Under
 * `restate-dev up` the worker installs a serve hook, so binding registers the
 * services with the runtime instead of opening a port.
 */
import { internals, type DefinitionInternals } from "./definitions.js";
import type { ServiceOptions } from "./options.js";

export type ServeHook = (definitions: DefinitionInternals[], defaults: ServiceOptions | undefined) => void;

let serveHook: ServeHook | undefined;

/** Set by the restate-dev worker before it loads the user's bundle. */
export function setServeHook(hook: ServeHook): void {
  serveHook = hook;
}

function register(definitions: DefinitionInternals[], defaults: ServiceOptions | undefined): Promise<number> {
  if (!serveHook) {
    return Promise.reject(
      new Error(
        "restate-dev's SDK serves handlers only inside the restate-dev runtime. " +
          "Run this project with `restate-dev up`, or build it against @restatedev/restate-sdk to deploy it on Restate.",
      ),
    );
  }
  serveHook(definitions, defaults);
  // No port is opened: the runtime's ingress is the way in.
  return Promise.resolve(0);
}

export interface RestateEndpoint {
  bind(definition: unknown): RestateEndpoint;
  defaultServiceOptions(options: ServiceOptions): RestateEndpoint;
  withIdentityV1(...keys: string[]): RestateEndpoint;
  setLogger(logger: unknown): RestateEndpoint;
  listen(port?: number): Promise<number>;
}

class Endpoint implements RestateEndpoint {
  private readonly definitions: DefinitionInternals[] = [];
  private defaults: ServiceOptions | undefined;

  bind(definition: unknown): RestateEndpoint {
    const d = internals(definition);
    if (this.definitions.some((x) => x.name === d.name)) throw new TypeError(`service '${d.name}' is bound twice`);
    this.definitions.push(d);
    return this;
  }
  defaultServiceOptions(options: ServiceOptions): RestateEndpoint {
    this.defaults = options;
    return this;
  }
  withIdentityV1(): RestateEndpoint {
    return this;
  }
  setLogger(): RestateEndpoint {
    return this;
  }
  listen(_port?: number): Promise<number> {
    return register(this.definitions, this.defaults);
  }
}

/** @deprecated in the SDK 1.17 in favour of serve(); kept because most code still uses it. */
export function endpoint(): RestateEndpoint {
  return new Endpoint();
}

export interface ServeOptions {
  services: unknown[];
  port?: number;
  defaultServiceOptions?: ServiceOptions;
  identityKeys?: string[];
  logger?: unknown;
}

export function serve(options: ServeOptions): Promise<number> {
  const e = new Endpoint();
  for (const s of options.services) e.bind(s);
  if (options.defaultServiceOptions) e.defaultServiceOptions(options.defaultServiceOptions);
  return e.listen(options.port);
}
