// Preload that makes servers which listen on a bare port (no host) bind to
// 127.0.0.1 instead of every interface. The real SDK's serve() calls
// server.listen(port), i.e. on all interfaces; the benchmark keeps everything
// on loopback without editing the service code:
//   node --import ./bench/loopback.mjs app.js
// Set BENCH_BIND_HOST to pick another address.
import net from "node:net";

const host = process.env.BENCH_BIND_HOST || "127.0.0.1";
const originalListen = net.Server.prototype.listen;

function isPort(v) {
  return typeof v === "number" || (typeof v === "string" && /^\d+$/.test(v));
}

net.Server.prototype.listen = function listen(...args) {
  const first = args[0];
  if (isPort(first)) {
    // listen(port[, host][, backlog][, cb]): add the host when it is missing.
    if (typeof args[1] !== "string") args.splice(1, 0, host);
  } else if (first === undefined || typeof first === "function") {
    // listen([cb]): a random port on every interface; make it loopback.
    args.splice(0, first === undefined ? 1 : 0, 0, host);
  } else if (
    first !== null &&
    typeof first === "object" &&
    first.path === undefined &&
    first.fd === undefined &&
    first.handle === undefined &&
    first._handle === undefined &&
    first.host === undefined
  ) {
    // listen({ port, ... }) without a host.
    args[0] = { ...first, host };
  }
  return originalListen.apply(this, args);
};
