/**
 * Typed clients over the test environment's ingress: the same HTTP requests
 * curl or `@restatedev/restate-sdk-clients` make. A failed invocation (a
 * TerminalError, or any error status of the ingress) rejects with a
 * TerminalError carrying the status `code` and the `message`.
 */
import { handlerInfo } from "../sdk/definitions.js";
import { TerminalError } from "../sdk/errors.js";
import { durationToMillis, type Duration } from "../sdk/duration.js";
import { serde as serdes } from "../sdk/serde.js";
import type { NamedDefinition, ObjectHandlersOf, ServiceHandlersOf, WorkflowHandlersOf } from "./definitions.js";

/** A serializer, as `serde.json` (structural: the real SDK's serdes fit too). */
export interface SerdeLike<T> {
  contentType?: string;
  serialize(value: T): Uint8Array;
  deserialize(data: Uint8Array): T;
}

/** Per-call options, made with `rpc.opts({ idempotencyKey, limitKey, headers, input, output })` (either SDK's). */
export interface CallOptions {
  getOpts(): { idempotencyKey?: string; limitKey?: string; headers?: Record<string, string>; input?: SerdeLike<any>; output?: SerdeLike<any> };
}

/** Per-send options, made with `rpc.sendOpts({ delay, idempotencyKey, limitKey, headers, input })` (either SDK's). */
export interface SendOptions {
  getOpts(): { idempotencyKey?: string; limitKey?: string; headers?: Record<string, string>; input?: SerdeLike<any>; delay?: Duration | number };
}

declare const OUTPUT: unique symbol;

/** An accepted one-way invocation; `env.client.result(send)` waits for its outcome. */
export interface Send<O = unknown> {
  readonly invocationId: string;
  readonly status: "Accepted" | "PreviouslyAccepted";
  /** ISO time a delayed send is due. */
  readonly executionTime?: string;
  /** Type-level only: the handler's output. */
  readonly [OUTPUT]?: O;
}

type CallMethod<F> = F extends (ctx: any) => Promise<infer O>
  ? (opts?: CallOptions) => Promise<O>
  : F extends (ctx: any, input: infer I) => Promise<infer O>
    ? (input: I, opts?: CallOptions) => Promise<O>
    : never;

type SendMethod<F> = F extends (ctx: any) => Promise<infer O>
  ? (opts?: SendOptions) => Promise<Send<O>>
  : F extends (ctx: any, input: infer I) => Promise<infer O>
    ? (input: I, opts?: SendOptions) => Promise<Send<O>>
    : never;

/** Every handler becomes a method that calls it and resolves with its output. */
export type IngressClient<H> = { [K in keyof H]: CallMethod<H[K]> };
/** Every handler becomes a method that sends to it and resolves once it is accepted. */
export type IngressSendClient<H> = { [K in keyof H]: SendMethod<H[K]> };

const OUTPUT_SERDE = Symbol("restate-dev.outputSerde");
const decoder = new TextDecoder();

export class TestClient {
  constructor(
    private readonly ingressUrl: string,
    /** Flow control: the scope every call of this client runs in (see `scope()`). */
    private readonly inScope?: string,
  ) {}

  /**
   * @experimental A client whose calls run in `scope`, as sdk-clients'
   * `ingress.scope(key)`: `/restate/scope/{scope}/call|send/…`. State, locks and
   * idempotency keys of the targets belong to that scope; its concurrency rules apply.
   */
  scope(scope: string): TestClient {
    if (typeof scope !== "string") throw new TypeError(`a scope must be a string, got ${typeof scope}`);
    return new TestClient(this.ingressUrl, scope);
  }

  serviceClient<D extends NamedDefinition>(def: D): IngressClient<ServiceHandlersOf<D>> {
    return this.proxy(def, undefined, false) as IngressClient<ServiceHandlersOf<D>>;
  }
  objectClient<D extends NamedDefinition>(def: D, key: string): IngressClient<ObjectHandlersOf<D>> {
    return this.proxy(def, key, false) as IngressClient<ObjectHandlersOf<D>>;
  }
  workflowClient<D extends NamedDefinition>(def: D, key: string): IngressClient<WorkflowHandlersOf<D>> {
    return this.proxy(def, key, false) as IngressClient<WorkflowHandlersOf<D>>;
  }
  serviceSendClient<D extends NamedDefinition>(def: D): IngressSendClient<ServiceHandlersOf<D>> {
    return this.proxy(def, undefined, true) as IngressSendClient<ServiceHandlersOf<D>>;
  }
  objectSendClient<D extends NamedDefinition>(def: D, key: string): IngressSendClient<ObjectHandlersOf<D>> {
    return this.proxy(def, key, true) as IngressSendClient<ObjectHandlersOf<D>>;
  }
  workflowSendClient<D extends NamedDefinition>(def: D, key: string): IngressSendClient<WorkflowHandlersOf<D>> {
    return this.proxy(def, key, true) as IngressSendClient<WorkflowHandlersOf<D>>;
  }

  /** Waits for the outcome of a send (or of any invocation, by id). */
  async result<O>(send: Send<O> | string): Promise<O> {
    const id = typeof send === "string" ? send : send.invocationId;
    const output = (typeof send === "string" ? undefined : (send as unknown as Record<symbol, SerdeLike<O> | undefined>)[OUTPUT_SERDE]) ?? serdes.json;
    const res = await fetch(`${this.ingressUrl}/restate/invocation/${encodeURIComponent(id)}/attach`);
    return decodeResponse(res, output) as Promise<O>;
  }

  private proxy(def: NamedDefinition, key: string | undefined, send: boolean): unknown {
    if (!def || typeof def.name !== "string") throw new TypeError("expected a service, object or workflow definition");
    if (key !== undefined && typeof key !== "string") throw new TypeError(`an object or workflow key must be a string, got ${typeof key}`);
    const handlers = (def as { handlers?: Record<string, unknown> }).handlers;
    return new Proxy(
      {},
      {
        get: (_t, prop) => {
          if (typeof prop !== "string" || prop === "then") return undefined;
          const options = handlerInfo(handlers?.[prop])?.options ?? {};
          return (...args: unknown[]) => {
            const last = args[args.length - 1];
            const hasOpts = typeof (last as { getOpts?: unknown } | undefined)?.getOpts === "function";
            const input = hasOpts && args.length === 1 ? undefined : args[0];
            const opts = (hasOpts ? (last as CallOptions | SendOptions).getOpts() : {}) as ReturnType<SendOptions["getOpts"]> & ReturnType<CallOptions["getOpts"]>;
            const inputSerde: SerdeLike<unknown> = opts.input ?? options.input ?? serdes.json;
            const outputSerde: SerdeLike<unknown> = opts.output ?? options.output ?? serdes.json;
            const path = [def.name, ...(key !== undefined ? [key] : []), prop].map(encodeURIComponent).join("/");
            return this.invoke(path, input, inputSerde, outputSerde, opts, send);
          };
        },
      },
    );
  }

  private async invoke(
    path: string,
    input: unknown,
    inputSerde: SerdeLike<unknown>,
    outputSerde: SerdeLike<unknown>,
    opts: { idempotencyKey?: string; limitKey?: string; headers?: Record<string, string>; delay?: Duration | number },
    send: boolean,
  ): Promise<unknown> {
    const body = inputSerde.serialize(input);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (body.byteLength > 0) headers["content-type"] = inputSerde.contentType ?? "application/json";
    if (opts.idempotencyKey !== undefined) headers["idempotency-key"] = opts.idempotencyKey;
    if (opts.limitKey !== undefined) headers["x-restate-limit-key"] = opts.limitKey;
    const delay = opts.delay !== undefined ? durationToMillis(opts.delay) : 0;
    const query = send && delay > 0 ? `?delay=${delay}ms` : "";
    const url =
      this.inScope !== undefined
        ? `${this.ingressUrl}/restate/scope/${encodeURIComponent(this.inScope)}/${send ? "send" : "call"}/${path}${query}`
        : `${this.ingressUrl}/${path}${send ? "/send" : ""}${query}`;
    const res = await fetch(url, { method: "POST", headers, ...(body.byteLength > 0 ? { body } : {}) });
    if (!send) return decodeResponse(res, outputSerde);
    if (res.status !== 202) return decodeResponse(res, outputSerde);
    const accepted = (await res.json()) as { invocationId: string; status: Send["status"]; executionTime?: string };
    Object.defineProperty(accepted, OUTPUT_SERDE, { value: outputSerde, enumerable: false });
    return accepted;
  }
}

async function decodeResponse(res: Response, output: SerdeLike<unknown>): Promise<unknown> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.ok) return output.deserialize(bytes);
  let code = res.status;
  let message = decoder.decode(bytes) || res.statusText;
  try {
    const parsed = JSON.parse(decoder.decode(bytes)) as { code?: unknown; message?: unknown };
    if (typeof parsed.code === "number") code = parsed.code;
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // not JSON: the text is the message
  }
  throw new TerminalError(message, { errorCode: code });
}
