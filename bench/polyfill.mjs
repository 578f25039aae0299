// Preload for running the real @restatedev/restate-sdk on Node 20:
//   node --import ./bench/polyfill.mjs app.js
// The SDK calls Promise.withResolvers (ES2024), which Node only ships from 22.
if (typeof Promise.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers() {
      let resolve;
      let reject;
      // `this` is the constructor it was called on, as in the spec (subclasses work).
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
