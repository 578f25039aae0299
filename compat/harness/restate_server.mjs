// How to run the real Restate server (npm @restatedev/restate-server) on
// loopback, shared by bench/run.js and the compatibility suite (compat/).
// Plain ESM with no dependencies, so bench can import it without a build;
// types in restate_server.d.mts.
//
// It does not start processes itself: each caller spawns them its own way
// (bench measures CPU and memory of what it started; the suite kills what it
// started by PID), with the binary, arguments and environment given here.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";

export const LOOPBACK = "127.0.0.1";

const require = createRequire(import.meta.url);

/** Path of the restate-server binary of the installed @restatedev/restate-server, or $RESTATE_SERVER_BIN. */
export function findRestateServerBinary() {
  if (process.env.RESTATE_SERVER_BIN) return process.env.RESTATE_SERVER_BIN;
  const pkg = `@restatedev/restate-server-${process.platform}-${process.arch}`;
  let pkgJson;
  try {
    pkgJson = require.resolve(`${pkg}/package.json`);
  } catch {
    throw new Error(`${pkg} is not installed (it comes with the devDependency @restatedev/restate-server); run npm install, or set RESTATE_SERVER_BIN`);
  }
  const bin = path.join(path.dirname(pkgJson), "bin", "restate-server");
  if (!fs.existsSync(bin)) throw new Error(`no restate-server binary at ${bin}`);
  return bin;
}

/**
 * restate.toml for a single node with every listener on 127.0.0.1. Only
 * listeners and telemetry are configured; storage keeps the defaults, i.e.
 * durable (RocksDB WAL fsynced, replication 1). Check with --dump-config.
 */
/**
 * Restate 1.7's flow control (scopes, limit keys, concurrency rules) is a
 * preview: these options turn it on, and only on a new cluster
 * (shared/reference/restate-flow-control.md).
 */
export const FLOW_CONTROL_OPTIONS = [
  "experimental-enable-vqueues = true",
  "experimental-enable-protocol-v7 = true",
  "experimental-enable-scoped-virtual-objects = true",
];

export function restateServerConfig({ nodeName = "local", fabricPort, ingressPort, adminPort, writer = "restate_server.mjs", flowControl = false, partitions }) {
  return [
    `# written by ${writer}`,
    `node-name = "${nodeName}"`,
    ...(partitions !== undefined ? [`default-num-partitions = ${partitions}   # set when the cluster is first provisioned`] : []),
    `listen-mode = "tcp"            # TCP only (no unix sockets)`,
    `bind-ip = "${LOOPBACK}"        # every TCP listener on loopback`,
    `bind-port = ${fabricPort}      # node-to-node (message fabric)`,
    `disable-telemetry = true`,
    ...(flowControl ? FLOW_CONTROL_OPTIONS : []),
    ``,
    `[ingress]`,
    `bind-port = ${ingressPort}`,
    ``,
    `[admin]`,
    `bind-port = ${adminPort}`,
    ``,
  ].join("\n");
}

/** Writes <dir>/restate.toml and returns the command line to start the server with it (data in <dir>/data). */
export function prepareRestateServer(dir, ports) {
  const configFile = path.join(dir, "restate.toml");
  fs.writeFileSync(configFile, restateServerConfig(ports));
  return {
    bin: findRestateServerBinary(),
    args: ["--config-file", configFile, "--base-dir", path.join(dir, "data"), "--no-logo"],
    configFile,
  };
}

/** The caller's environment without RESTATE_* and RUST_LOG (no configuration leaks in) nor NODE_OPTIONS. */
export function serverEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("RESTATE_") || k === "RUST_LOG") delete env[k];
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

/** `n` distinct free TCP ports on 127.0.0.1 (free when this returns; bind them soon). */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      await new Promise((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, LOOPBACK, resolve);
      });
      servers.push(s);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/**
 * Registers a service deployment (`POST /deployments {uri}`) on the admin API.
 * Resolves with the status and the parsed body; throws when the server refuses.
 */
export async function registerDeployment(adminUrl, uri, { force = false, timeoutMs = 30_000 } = {}) {
  const res = await fetch(`${adminUrl}/deployments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(force ? { uri, force: true } : { uri }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (res.status !== 200 && res.status !== 201) throw new Error(`registering the deployment ${uri} failed: ${res.status} ${text.slice(0, 500)}`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}
