/**
 * RestatePromise: a Promise returned by context operations, with `orTimeout`
 * and `map`, plus the static combinators of `@restatedev/restate-sdk`.
 *
 * Determinism: a promise settled from the journal carries its completion
 * sequence number. Combinators settle journaled promises in that order, before
 * any live one, so a replay picks the same winner as the original run.
 */
import { TerminalError, TimeoutError } from "./errors.js";
import type { Duration } from "./duration.js";

export interface RestatePromise<T> extends Promise<T> {
  /** Rejects with a TimeoutError (408) if not settled within the duration (a journaled timer). */
  orTimeout(millis: Duration | number): RestatePromise<T>;
  /** Transforms the value or the TerminalError when awaited. */
  map<U>(mapper: (value?: T, failure?: TerminalError) => U): RestatePromise<U>;
}

/** Supplied by the context that created a promise: how to make a journaled timer. */
export interface PromiseHost {
  sleep(millis: Duration | number): RestatePromise<void>;
}

const RESTATE_PROMISE = Symbol.for("restate-dev.promise");

class RestatePromiseImpl<T> extends Promise<T> implements RestatePromise<T> {
  // `then` on a RestatePromise yields a plain Promise, as it does in the SDK.
  static override get [Symbol.species]() {
    return Promise;
  }

  declare readonly [RESTATE_PROMISE]: true;
  host?: PromiseHost;
  /** Completion order of the journal entry this promise was settled from (replay). */
  seq?: number;

  orTimeout(millis: Duration | number): RestatePromise<T> {
    const host = this.host;
    if (!host) throw new TerminalError("orTimeout() needs a promise created by a Restate context");
    const timer = host.sleep(millis).map((_v, failure) => {
      if (failure) throw failure;
      throw new TimeoutError();
    });
    return RestatePromise.race([this, timer as unknown as RestatePromise<T>]);
  }

  map<U>(mapper: (value?: T, failure?: TerminalError) => U): RestatePromise<U> {
    const mapped = this.then(
      (v) => mapper(v, undefined),
      (e) => {
        if (e instanceof TerminalError) return mapper(undefined, e);
        throw e;
      },
    );
    return wrap(mapped, this.host, this.seq);
  }
}
Object.defineProperty(RestatePromiseImpl.prototype, RESTATE_PROMISE, { value: true });

export function wrap<T>(p: Promise<T>, host?: PromiseHost, seq?: number): RestatePromise<T> {
  const rp = new RestatePromiseImpl<T>((resolve, reject) => p.then(resolve, reject));
  if (host) rp.host = host;
  if (seq !== undefined) rp.seq = seq;
  // Suppress "unhandled rejection" for promises the handler chose not to await:
  // a rejection still reaches whoever awaits this promise.
  rp.catch(() => {});
  return rp;
}

/** A promise that never settles: what a closed attempt hands to code still running. */
export function pending<T>(): RestatePromise<T> {
  return wrap(new Promise<T>(() => {}));
}

export function isRestatePromise(p: unknown): p is RestatePromise<unknown> {
  return typeof p === "object" && p !== null && (p as any)[RESTATE_PROMISE] === true;
}

function check(promises: readonly unknown[]): { host: PromiseHost | undefined; journaled: RestatePromiseImpl<unknown>[]; live: RestatePromiseImpl<unknown>[] } {
  let host: PromiseHost | undefined;
  const journaled: RestatePromiseImpl<unknown>[] = [];
  const live: RestatePromiseImpl<unknown>[] = [];
  for (const p of promises) {
    if (!isRestatePromise(p)) throw new TypeError("RestatePromise combinators only accept RestatePromises");
    const impl = p as RestatePromiseImpl<unknown>;
    host ??= impl.host;
    (impl.seq !== undefined ? journaled : live).push(impl);
  }
  journaled.sort((a, b) => a.seq! - b.seq!);
  return { host, journaled, live };
}

type Values<T extends readonly unknown[]> = { -readonly [P in keyof T]: Awaited<T[P]> };
type Settled<T extends readonly unknown[]> = { -readonly [P in keyof T]: PromiseSettledResult<Awaited<T[P]>> };

export const RestatePromise = {
  resolve<T>(value: T): RestatePromise<Awaited<T>> {
    return wrap(Promise.resolve(value) as Promise<Awaited<T>>);
  },
  reject<T = never>(reason: TerminalError): RestatePromise<T> {
    return wrap(Promise.reject(reason));
  },
  all<const T extends readonly RestatePromise<unknown>[]>(values: T): RestatePromise<Values<T>> {
    const { host, journaled } = check(values);
    const p = (async () => {
      // The first journaled failure in completion order decides, as it did originally.
      const outcomes = await Promise.allSettled(journaled);
      const failed = outcomes.find((o) => o.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
      return (await Promise.all(values)) as Values<T>;
    })();
    return wrap(p, host);
  },
  race<const T extends readonly RestatePromise<unknown>[]>(values: T): RestatePromise<Awaited<T[number]>> {
    const { host, journaled } = check(values);
    const first = journaled[0];
    return wrap((first ?? Promise.race(values)) as Promise<Awaited<T[number]>>, host, first?.seq);
  },
  any<const T extends readonly RestatePromise<unknown>[]>(values: T): RestatePromise<Awaited<T[number]>> {
    const { host, journaled, live } = check(values);
    const p = (async () => {
      const outcomes = await Promise.allSettled(journaled);
      const won = outcomes.find((o) => o.status === "fulfilled");
      if (won) return (won as PromiseFulfilledResult<unknown>).value;
      if (live.length === 0) throw new AggregateError(outcomes.map((o) => (o as PromiseRejectedResult).reason), "All promises were rejected");
      return Promise.any(live);
    })();
    return wrap(p as Promise<Awaited<T[number]>>, host);
  },
  allSettled<const T extends readonly RestatePromise<unknown>[]>(values: T): RestatePromise<Settled<T>> {
    const { host } = check(values);
    return wrap(Promise.allSettled(values) as Promise<Settled<T>>, host);
  },
};

/** @deprecated the SDK's old name for RestatePromise. */
export const CombineablePromise = RestatePromise;
