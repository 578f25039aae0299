/**
 * RestatePromise: a Promise returned by context operations, with `orTimeout`
 * and `map`, plus the static combinators of `@restatedev/restate-sdk`.
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

  orTimeout(millis: Duration | number): RestatePromise<T> {
    const host = this.host;
    if (!host) throw new TerminalError("orTimeout() needs a promise created by a Restate context");
    const timer = host.sleep(millis).then(() => {
      throw new TimeoutError();
    });
    return wrap(Promise.race([this, timer]) as Promise<T>, host);
  }

  map<U>(mapper: (value?: T, failure?: TerminalError) => U): RestatePromise<U> {
    const mapped = this.then(
      (v) => mapper(v, undefined),
      (e) => {
        if (e instanceof TerminalError) return mapper(undefined, e);
        throw e;
      },
    );
    return wrap(mapped, this.host);
  }
}
Object.defineProperty(RestatePromiseImpl.prototype, RESTATE_PROMISE, { value: true });

export function wrap<T>(p: Promise<T>, host?: PromiseHost): RestatePromise<T> {
  const rp = new RestatePromiseImpl<T>((resolve, reject) => p.then(resolve, reject));
  if (host) rp.host = host;
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

function hostOf(promises: readonly unknown[]): PromiseHost | undefined {
  for (const p of promises) {
    if (!isRestatePromise(p)) throw new TypeError("RestatePromise combinators only accept RestatePromises");
    const host = (p as RestatePromiseImpl<unknown>).host;
    if (host) return host;
  }
  return undefined;
}

type Values<T extends readonly unknown[]> = { -readonly [P in keyof T]: Awaited<T[P]> };
type Settled<T extends readonly unknown[]> = { -readonly [P in keyof T]: PromiseSettledResult<Awaited<T[P]>> };

export const RestatePromise = {
  resolve<T>(value: T): RestatePromise<Awaited<T>> {
    return wrap(Promise.resolve(value));
  },
  reject<T = never>(reason: TerminalError): RestatePromise<T> {
    return wrap(Promise.reject(reason));
  },
  all<const T extends readonly RestatePromise<unknown>[]>(values: T): RestatePromise<Values<T>> {
    return wrap(Promise.all(values) as Promise<Values<T>>, hostOf(values));
  },
  race<const T extends readonly RestatePromise<unknown>[]>(values: T): RestatePromise<Awaited<T[number]>> {
    return wrap(Promise.race(values) as Promise<Awaited<T[number]>>, hostOf(values));
  },
  any<const T extends readonly RestatePromise<unknown>[]>(values: T): RestatePromise<Awaited<T[number]>> {
    return wrap(Promise.any(values) as Promise<Awaited<T[number]>>, hostOf(values));
  },
  allSettled<const T extends readonly RestatePromise<unknown>[]>(values: T): RestatePromise<Settled<T>> {
    return wrap(Promise.allSettled(values) as Promise<Settled<T>>, hostOf(values));
  },
};

/** @deprecated the SDK's old name for RestatePromise. */
export const CombineablePromise = RestatePromise;
