/**
 * `Promise.withResolvers` (ES2024) for Node 20, which ships it only from 22.
 * `@restatedev/restate-sdk` 1.17 calls it on every invocation attempt; without
 * it each attempt crashes and Restate retries it forever. The production build
 * (production.ts) puts this module at the top of dist/index.mjs.
 */
type WithResolvers = <T>(this: PromiseConstructor) => { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };

const P = Promise as PromiseConstructor & { withResolvers?: WithResolvers };

if (typeof P.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>(this: PromiseConstructor) {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      // `this` is the constructor it was called on, as in the spec (subclasses work).
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
