/**
 * Per-call options of the test clients, as `@restatedev/restate-sdk-clients`
 * 1.17 has them: `rpc.opts({...})` makes an `Opts`, `rpc.sendOpts({...})` a
 * `SendOpts`, both carrying their options in `.opts`. The clients also take
 * sdk-clients' own objects, and the SDK's `rpc.opts` ones (with `getOpts()`).
 */
import { durationToMillis, type Duration } from "../sdk/duration.js";

/** A serializer, as `serde.json` (structural: the real SDK's serdes fit too). */
export interface SerdeLike<T> {
  contentType?: string;
  serialize(value: T): Uint8Array;
  deserialize(data: Uint8Array): T;
}

export interface IngressCallOptions<I = unknown, O = unknown> {
  /** Sent as the `idempotency-key` header: the same key returns the first result. */
  idempotencyKey?: string;
  /** Sent as `x-restate-limit-key` (Restate's flow control; restate-dev ignores it). */
  limitKey?: string;
  headers?: Record<string, string>;
  input?: SerdeLike<I>;
  output?: SerdeLike<O>;
  /** Milliseconds before the request is aborted (exclusive with `signal`). */
  timeout?: number;
  signal?: AbortSignal;
}

export interface IngressSendOptions<I = unknown> extends IngressCallOptions<I, void> {
  /** Run the invocation after this delay (milliseconds, or a Duration). */
  delay?: number | Duration;
}

export class Opts<I = unknown, O = unknown> {
  static from<I = unknown, O = unknown>(opts: IngressCallOptions<I, O>): Opts<I, O> {
    return new Opts(opts);
  }
  constructor(readonly opts: IngressCallOptions<I, O>) {}
}

export class SendOpts<I = unknown> {
  static from<I = unknown>(opts: IngressSendOptions<I>): SendOpts<I> {
    return new SendOpts(opts);
  }
  constructor(readonly opts: IngressSendOptions<I>) {}
  delay(): number | undefined {
    return this.opts.delay === undefined ? undefined : durationToMillis(this.opts.delay);
  }
}

export const rpc = {
  opts: <I = unknown, O = unknown>(opts: IngressCallOptions<I, O>): Opts<I, O> => Opts.from(opts),
  sendOpts: <I = unknown>(opts: IngressSendOptions<I>): SendOpts<I> => SendOpts.from(opts),
};

/** Options made by either library: sdk-clients' (`.opts`) or the SDK's (`getOpts()`). */
export type CallOptions<I = any, O = any> = { readonly opts: IngressCallOptions<I, O> } | { getOpts(): IngressCallOptions<I, O> };
export type SendOptions<I = any> = { readonly opts: IngressSendOptions<I> } | { getOpts(): IngressSendOptions<I> };

/** The options inside an options object, or undefined when `v` is not one. */
export function optionsOf(v: unknown): IngressSendOptions<unknown> | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const o = v as { getOpts?: unknown; opts?: unknown };
  if (typeof o.getOpts === "function") return (o.getOpts as () => IngressSendOptions<unknown>).call(v);
  const name = (v as object).constructor?.name;
  if ((name === "Opts" || name === "SendOpts") && o.opts !== null && typeof o.opts === "object") return o.opts as IngressSendOptions<unknown>;
  return undefined;
}

/** A handler method's arguments as sdk-clients reads them: `(input?, opts?)`. */
export function splitArgs(args: unknown[]): { input: unknown; opts: IngressSendOptions<unknown> } {
  if (args.length === 0) return { input: undefined, opts: {} };
  if (args.length === 1) {
    const opts = optionsOf(args[0]);
    return opts ? { input: undefined, opts } : { input: args[0], opts: {} };
  }
  if (args.length === 2) {
    const opts = optionsOf(args[1]);
    if (!opts) throw new TypeError("The second argument must be either Opts or SendOpts (made with rpc.opts / rpc.sendOpts)");
    return { input: args[0], opts };
  }
  throw new TypeError("unexpected number of arguments: a handler method takes (input?, opts?)");
}
