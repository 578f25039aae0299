/** Per-call options for typed clients: `rpc.opts(...)` and `rpc.sendOpts(...)`. */
import type { Duration } from "./duration.js";
import type { Serde } from "./serde.js";

export interface ClientCallOptions<I, O> {
  input?: Serde<I>;
  output?: Serde<O>;
  idempotencyKey?: string;
  /**
   * @experimental Flow control: the limit key the callee runs under
   * (`tenant1` or `tenant1/user42`), counted by the concurrency rules of its scope.
   * Needs a scope (`ctx.scope(...)`). Not part of any identity.
   */
  limitKey?: string;
  headers?: Record<string, string>;
  /** Name shown in the journal for this call. */
  name?: string;
}

export interface ClientSendOptions<I> {
  input?: Serde<I>;
  idempotencyKey?: string;
  /** @experimental See ClientCallOptions.limitKey. */
  limitKey?: string;
  headers?: Record<string, string>;
  name?: string;
  /** Send the request later: the callee stays `scheduled` until then. */
  delay?: Duration | number;
}

export class Opts<I, O> {
  private constructor(private readonly opts: ClientCallOptions<I, O>) {}
  static from<I, O>(opts: ClientCallOptions<I, O>): Opts<I, O> {
    return new Opts(opts);
  }
  getOpts(): ClientCallOptions<I, O> {
    return this.opts;
  }
}

export class SendOpts<I> {
  private constructor(private readonly opts: ClientSendOptions<I>) {}
  static from<I>(opts: ClientSendOptions<I>): SendOpts<I> {
    return new SendOpts(opts);
  }
  getOpts(): ClientSendOptions<I> {
    return this.opts;
  }
  delay(): number | undefined {
    const d = this.opts.delay;
    if (d === undefined) return undefined;
    return typeof d === "number" ? d : undefined;
  }
}

export const rpc = {
  opts<I, O>(opts: ClientCallOptions<I, O>): Opts<I, O> {
    return Opts.from(opts);
  },
  sendOpts<I>(opts: ClientSendOptions<I>): SendOpts<I> {
    return SendOpts.from(opts);
  },
};
