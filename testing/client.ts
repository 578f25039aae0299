/**
 * Typed clients over the test environment's ingress, method for method those of
 * `@restatedev/restate-sdk-clients` 1.17 (`connect({ url }).serviceClient(...)`),
 * making the same HTTP requests. What differs, on purpose (README "Testing"):
 *
 * - A failed invocation rejects with an `HttpCallError` that is also a
 *   `TerminalError`: `status` and `responseText` as sdk-clients has them, plus
 *   the handler's error `code` and its `message` as the message.
 * - `result()` waits for any send, not only one with an idempotency key
 *   (restate-dev keeps every result); it also takes an invocation id.
 * - `workflowSendClient` (not in sdk-clients) sends to any workflow handler.
 * - Not offered: `client`/`sendClient` over service interfaces, `scope`, and the
 *   connection options (retries, default headers and serde, codecs).
 */
import { handlerInfo } from "../sdk/definitions.js";
import { TerminalError } from "../sdk/errors.js";
import { durationToMillis } from "../sdk/duration.js";
import { serde as serdes } from "../sdk/serde.js";
import type { NamedDefinition, ObjectHandlersOf, ServiceHandlersOf, WorkflowHandlersOf } from "./definitions.js";
import { splitArgs, type CallOptions, type IngressSendOptions, type SendOptions, type SerdeLike } from "./client_opts.js";

export { Opts, SendOpts, rpc, type CallOptions, type SendOptions, type SerdeLike, type IngressCallOptions, type IngressSendOptions } from "./client_opts.js";

declare const OUTPUT: unique symbol;

/** An accepted one-way invocation; `env.client.result(send)` waits for its outcome. */
export interface Send<O = unknown> {
  readonly invocationId: string;
  readonly status: "Accepted" | "PreviouslyAccepted";
  /** As in sdk-clients: true when sent with an idempotency key (restate-dev's result() does not need it). */
  readonly attachable: boolean;
  /** ISO time a delayed send is due. */
  readonly executionTime?: string;
  /** Type-level only: the handler's output. */
  readonly [OUTPUT]?: O;
}

/** A submitted workflow run (`workflowSubmit`). */
export interface WorkflowSubmission<O = unknown> {
  readonly invocationId: string;
  readonly status: "Accepted" | "PreviouslyAccepted";
  readonly attachable: true;
  readonly [OUTPUT]?: O;
}

/** `workflowOutput()`: the run's output once it has one. Reading `result` before it is ready throws. */
export interface Output<O> {
  ready: boolean;
  result: O;
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

type RunOutput<H> = H extends { run: (...args: any[]) => Promise<infer O> } ? O : unknown;
type SubmitMethod<H> = H extends { run: (ctx: any) => Promise<infer O> }
  ? (opts?: SendOptions) => Promise<WorkflowSubmission<O>>
  : H extends { run: (ctx: any, input: infer I) => Promise<infer O> }
    ? (input: I, opts?: SendOptions) => Promise<WorkflowSubmission<O>>
    : (input?: unknown, opts?: SendOptions) => Promise<WorkflowSubmission<unknown>>;

/** Every handler becomes a method that calls it and resolves with its output. */
export type IngressClient<H> = { [K in keyof H]: CallMethod<H[K]> };
/** Every handler becomes a method that sends to it and resolves once it is accepted. */
export type IngressSendClient<H> = { [K in keyof H]: SendMethod<H[K]> };
/** A workflow's shared handlers, and its `run` as workflowSubmit / workflowAttach / workflowOutput. */
export type IngressWorkflowClient<H> = Omit<IngressClient<H>, "run"> & {
  /** Starts the run (once per key); resolves when it is accepted. */
  workflowSubmit: SubmitMethod<H>;
  /** Waits for the run's outcome (it must have been submitted). */
  workflowAttach(opts?: CallOptions): Promise<RunOutput<H>>;
  /** The run's output if it is complete, without waiting. */
  workflowOutput(opts?: CallOptions): Promise<Output<RunOutput<H>>>;
};

/** A failed request: as sdk-clients' HttpCallError (`status`, `responseText`), and a TerminalError with the handler's `code`. */
export class HttpCallError extends TerminalError {
  override name = "HttpCallError";
  constructor(
    readonly status: number,
    readonly responseText: string,
    message: string,
    code: number,
  ) {
    super(message, { errorCode: code });
  }
}

const OUTPUT_SERDE = Symbol("restate-dev.outputSerde");
const WORKFLOW_METHODS = ["workflowSubmit", "workflowAttach", "workflowOutput"];
const decoder = new TextDecoder();

type Handlers = Record<string, unknown> | undefined;
const handlersOf = (def: NamedDefinition): Handlers => (def as { handlers?: Record<string, unknown> }).handlers;
const serdeOf = (handlers: Handlers, name: string) => handlerInfo(handlers?.[name])?.options ?? {};

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
    return this.proxy(def, checkKey(key), false) as IngressClient<ObjectHandlersOf<D>>;
  }
  workflowClient<D extends NamedDefinition>(def: D, key: string): IngressWorkflowClient<WorkflowHandlersOf<D>> {
    return this.proxy(def, checkKey(key), false, true) as IngressWorkflowClient<WorkflowHandlersOf<D>>;
  }
  serviceSendClient<D extends NamedDefinition>(def: D): IngressSendClient<ServiceHandlersOf<D>> {
    return this.proxy(def, undefined, true) as IngressSendClient<ServiceHandlersOf<D>>;
  }
  objectSendClient<D extends NamedDefinition>(def: D, key: string): IngressSendClient<ObjectHandlersOf<D>> {
    return this.proxy(def, checkKey(key), true) as IngressSendClient<ObjectHandlersOf<D>>;
  }
  /** Not in sdk-clients (which submits a workflow with workflowClient(...).workflowSubmit): a send to any workflow handler. */
  workflowSendClient<D extends NamedDefinition>(def: D, key: string): IngressSendClient<WorkflowHandlersOf<D>> {
    return this.proxy(def, checkKey(key), true) as IngressSendClient<WorkflowHandlersOf<D>>;
  }

  /** A call by name, without a definition. */
  call<I = unknown, O = unknown>(opts: { service: string; handler: string; parameter: I; key?: string; opts?: CallOptions<I, O> }): Promise<O> {
    const o = opts.opts ? splitArgs([undefined, opts.opts]).opts : {};
    return this.invoke(pathOf(opts.service, opts.key, opts.handler), opts.parameter, o.input ?? serdes.json, o.output ?? serdes.json, o, false) as Promise<O>;
  }
  /** A send by name, without a definition. */
  send<I = unknown>(opts: { service: string; handler: string; parameter: I; key?: string; opts?: SendOptions<I> }): Promise<Send> {
    const o = opts.opts ? splitArgs([undefined, opts.opts]).opts : {};
    return this.invoke(pathOf(opts.service, opts.key, opts.handler), opts.parameter, o.input ?? serdes.json, serdes.json, o, true) as Promise<Send>;
  }

  /** Waits for the outcome of a send or a workflow submission (or of any invocation, by id). */
  async result<O>(send: Send<O> | WorkflowSubmission<O> | string, resultSerde?: SerdeLike<O>): Promise<O> {
    const id = typeof send === "string" ? send : send.invocationId;
    const recorded = typeof send === "string" ? undefined : (send as unknown as Record<symbol, SerdeLike<O> | undefined>)[OUTPUT_SERDE];
    const res = await fetch(`${this.ingressUrl}/restate/invocation/${encodeURIComponent(id)}/attach`);
    return decodeResponse(res, resultSerde ?? recorded ?? serdes.json) as Promise<O>;
  }

  /** Completes an awakeable with a value (JSON unless a serde is given). */
  async resolveAwakeable<T>(id: string, payload?: T, payloadSerde?: SerdeLike<T>): Promise<void> {
    const s = (payloadSerde ?? serdes.json) as SerdeLike<T | undefined>;
    const body = s.serialize(payload);
    const headers: Record<string, string> = body.byteLength > 0 ? { "content-type": s.contentType ?? "application/json" } : {};
    const res = await fetch(`${this.ingressUrl}/restate/a/${encodeURIComponent(id)}/resolve`, { method: "POST", headers, ...(body.byteLength > 0 ? { body } : {}) });
    await decodeResponse(res, { serialize: () => new Uint8Array(), deserialize: () => undefined });
  }

  /** Fails an awakeable: the awaiting handler gets a TerminalError with this reason. */
  async rejectAwakeable(id: string, reason: string): Promise<void> {
    const res = await fetch(`${this.ingressUrl}/restate/a/${encodeURIComponent(id)}/reject`, { method: "POST", headers: { "content-type": "text/plain" }, body: reason });
    await decodeResponse(res, { serialize: () => new Uint8Array(), deserialize: () => undefined });
  }

  private proxy(def: NamedDefinition, key: string | undefined, send: boolean, workflow = false): unknown {
    if (!def || typeof def.name !== "string") throw new TypeError("expected a service, object or workflow definition");
    const handlers = handlersOf(def);
    const runOutput = () => serdeOf(handlers, "run").output ?? serdes.json;
    return new Proxy(
      {},
      {
        get: (_t, prop) => {
          if (typeof prop !== "string" || prop === "then") return undefined;
          if (workflow && WORKFLOW_METHODS.includes(prop)) return this.workflowMethod(def.name, key!, prop, handlers, runOutput);
          const options = serdeOf(handlers, prop);
          return (...args: unknown[]) => {
            const { input, opts } = splitArgs(args);
            const path = pathOf(def.name, key, prop);
            return this.invoke(path, input, opts.input ?? options.input ?? serdes.json, opts.output ?? options.output ?? serdes.json, opts, send);
          };
        },
      },
    );
  }

  private workflowMethod(name: string, key: string, method: string, handlers: Handlers, runOutput: () => SerdeLike<unknown>) {
    if (method === "workflowSubmit") {
      return async (...args: unknown[]) => {
        const { input, opts } = splitArgs(args);
        const accepted = (await this.invoke(pathOf(name, key, "run"), input, opts.input ?? serdeOf(handlers, "run").input ?? serdes.json, runOutput(), opts, true)) as Send;
        const submission = { invocationId: accepted.invocationId, status: accepted.status, attachable: true as const };
        Object.defineProperty(submission, OUTPUT_SERDE, { value: runOutput(), enumerable: false });
        return submission;
      };
    }
    const op = method === "workflowAttach" ? "attach" : "output";
    return async (...args: unknown[]) => {
      const { opts } = splitArgs(args);
      const res = await fetch(`${this.ingressUrl}/restate/workflow/${encodeURIComponent(name)}/${encodeURIComponent(key)}/${op}`, { headers: opts.headers ?? {}, ...signalOf(opts) });
      const output = opts.output ?? runOutput();
      if (op === "attach") return decodeResponse(res, output);
      if (res.status === 470) {
        await res.arrayBuffer();
        return {
          ready: false,
          get result(): never {
            throw new Error("Calling result() on a non ready workflow");
          },
        };
      }
      return { ready: true, result: await decodeResponse(res, output) };
    };
  }

  private async invoke(path: string, input: unknown, inputSerde: SerdeLike<unknown>, outputSerde: SerdeLike<unknown>, opts: IngressSendOptions<unknown>, send: boolean): Promise<unknown> {
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
    const res = await fetch(url, { method: "POST", headers, ...(body.byteLength > 0 ? { body } : {}), ...signalOf(opts) });
    if (!send || res.status !== 202) return decodeResponse(res, outputSerde);
    const accepted = (await res.json()) as { invocationId: string; status: Send["status"]; executionTime?: string };
    const sent = { ...accepted, attachable: opts.idempotencyKey !== undefined };
    Object.defineProperty(sent, OUTPUT_SERDE, { value: outputSerde, enumerable: false });
    return sent;
  }
}

function checkKey(key: unknown): string {
  if (typeof key !== "string") throw new TypeError(`an object or workflow key must be a string, got ${typeof key}`);
  return key;
}

function pathOf(service: string, key: string | undefined, handler: string): string {
  return [service, ...(key !== undefined ? [key] : []), handler].map(encodeURIComponent).join("/");
}

function signalOf(opts: IngressSendOptions<unknown>): { signal?: AbortSignal } {
  if (opts.signal !== undefined && opts.timeout !== undefined) throw new Error("You can't specify both signal and timeout options at the same time");
  if (opts.signal) return { signal: opts.signal };
  return opts.timeout !== undefined ? { signal: AbortSignal.timeout(opts.timeout) } : {};
}

async function decodeResponse(res: Response, output: SerdeLike<unknown>): Promise<unknown> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.ok) return output.deserialize(bytes);
  const text = decoder.decode(bytes);
  let code = res.status;
  let message = text || res.statusText;
  try {
    const parsed = JSON.parse(text) as { code?: unknown; message?: unknown };
    if (typeof parsed.code === "number") code = parsed.code;
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // not JSON: the text is the message
  }
  throw new HttpCallError(res.status, text, message, code);
}
