/**
 * The production build (`restate-dev build --target restate`): the project's
 * entry bundled with esbuild against the REAL `@restatedev/restate-sdk` into one
 * self-contained Node program, `<out>/index.mjs`, that serves the Restate
 * endpoint (HTTP/2 cleartext) for a Restate server to register.
 *
 * - The same specifiers as under `up` (bundle.ts SDK_SPECIFIERS) resolve to the
 *   real SDK: `restate-dev/sdk` and `restate-dev` are aliased to it, and
 *   `@restatedev/restate-sdk` needs no alias. The SDK must be installed in the
 *   project (it is bundled, not loaded at run time).
 * - The endpoint listens on `$PORT` when it is set, also when the code passes a
 *   port to `listen()` (as the templates do with 9080), so one build runs on any
 *   port; otherwise on the code's port, else 9080 (the SDK's own default). It
 *   binds every interface, as the SDK does, or only `$HOST` when that is set.
 * - `Promise.withResolvers` is polyfilled at the top (polyfill.ts): SDK 1.17
 *   needs it and Node 20 lacks it.
 */
import { build, stop, type Metafile, type Plugin } from "esbuild";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ESM_REQUIRE_BANNER, SDK_SPECIFIERS, errorsOf } from "./bundle.js";
import { findEntry } from "./entry.js";
import { UserError } from "../errors.js";

export const REAL_SDK = "@restatedev/restate-sdk";
export const DEFAULT_SERVICE_PORT = 9080;
const POLYFILL = fileURLToPath(new URL("./polyfill.js", import.meta.url));

export type BuildTarget = "restate";
export const BUILD_TARGETS: readonly BuildTarget[] = ["restate"];

export interface ProductionBuildOptions {
  projectDir: string;
  /** Entry file, relative to the project (default: what entry.ts discovers). */
  entry?: string;
  /** Output directory, relative to the project (default "dist"). */
  outDir?: string;
}

export interface ProductionBuildResult {
  entry: string;
  outfile: string;
  mapfile: string;
  bytes: number;
  /** Source files of the project that went into the bundle (node_modules not counted). */
  projectFiles: number;
  sdkVersion: string;
  millis: number;
}

/** The version of the real SDK the project resolves, or a UserError saying how to install it. */
export function realSdkVersion(projectDir: string): string {
  const require = createRequire(join(resolve(projectDir), "package.json"));
  let pkgFile: string;
  try {
    pkgFile = require.resolve(`${REAL_SDK}/package.json`);
  } catch {
    throw new UserError(
      "SDK_NOT_INSTALLED",
      `${REAL_SDK} is not installed in ${resolve(projectDir)}: the production build bundles the real Restate SDK`,
      `npm install ${REAL_SDK}   (restate-dev's own SDK runs only under 'restate-dev up')`,
    );
  }
  return (JSON.parse(readFileSync(pkgFile, "utf8")) as { version: string }).version;
}

const FACADE_NAMESPACE = "restate-dev-real-sdk";

/**
 * What every SDK import of the project resolves to: the real SDK, with
 * `endpoint().listen()` and `serve()` taking the port from $PORT when set.
 */
const FACADE_SOURCE = `
import * as sdk from "${REAL_SDK}";
import * as http2 from "node:http2";
export * from "${REAL_SDK}";

function portFromEnv() {
  const value = process.env.PORT;
  if (value === undefined || value === "") return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("PORT must be a port number (0-65535), got '" + value + "'");
  return port;
}

function hostFromEnv() {
  const value = process.env.HOST;
  return value === undefined || value === "" ? undefined : value;
}

// The SDK's listen() binds every interface; with HOST set, the same HTTP/2
// cleartext server listens on that address only.
function listenOn(handler, port, host) {
  const server = http2.createServer(handler);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      console.info("Restate SDK started listening on " + address.address + ":" + address.port + "...");
      resolve(address.port);
    });
  });
}

export function endpoint() {
  const e = sdk.endpoint();
  const listen = e.listen.bind(e);
  e.listen = (port) => {
    const p = portFromEnv() ?? port;
    const host = hostFromEnv();
    return host === undefined ? listen(p) : listenOn(e.http2Handler(), p ?? ${DEFAULT_SERVICE_PORT}, host);
  };
  return e;
}

export function serve(options) {
  const port = portFromEnv() ?? options.port;
  const host = hostFromEnv();
  if (host === undefined) return sdk.serve({ ...options, port });
  const { port: _ignored, ...rest } = options;
  return listenOn(sdk.createEndpointHandler(rest), port ?? ${DEFAULT_SERVICE_PORT}, host);
}
`;

function realSdkPlugin(projectDir: string): Plugin {
  return {
    name: "restate-dev-real-sdk",
    setup(b) {
      b.onResolve({ filter: SDK_SPECIFIERS }, (args) => {
        // The facade's own imports, and the entry points without a listen(), resolve as they are.
        if (args.namespace === FACADE_NAMESPACE || /\/(fetch|lambda)$/.test(args.path)) return undefined;
        return { path: REAL_SDK, namespace: FACADE_NAMESPACE };
      });
      b.onLoad({ filter: /.*/, namespace: FACADE_NAMESPACE }, () => ({ contents: FACADE_SOURCE, loader: "js", resolveDir: projectDir }));
    },
  };
}

/** Builds `<projectDir>/<outDir>/index.mjs` (and its source map). */
export async function buildForRestate(opts: ProductionBuildOptions): Promise<ProductionBuildResult> {
  const started = performance.now();
  const projectDir = resolve(opts.projectDir);
  const entry = findEntry(projectDir, opts.entry);
  const sdkVersion = realSdkVersion(projectDir);
  const outfile = join(resolve(projectDir, opts.outDir ?? "dist"), "index.mjs");
  mkdirSync(dirname(outfile), { recursive: true });
  let metafile: Metafile | undefined;
  try {
    const result = await build({
      entryPoints: [entry],
      outfile,
      absWorkingDir: projectDir,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: "linked",
      metafile: true,
      logLevel: "silent",
      inject: [POLYFILL],
      plugins: [realSdkPlugin(projectDir)],
      banner: { js: `// Built by restate-dev build --target restate: run with node (PORT=9080 by default).\n${ESM_REQUIRE_BANNER}` },
    });
    metafile = result.metafile;
  } catch (e) {
    const failed = errorsOf(e);
    throw failed ? new UserError(failed.code, failed.message, "fix the error above and build again") : e;
  } finally {
    await stop();
  }
  const inputs = Object.keys(metafile?.inputs ?? {});
  return {
    entry,
    outfile,
    mapfile: `${outfile}.map`,
    bytes: statSync(outfile).size,
    projectFiles: inputs.filter((f) => !f.includes("node_modules") && !f.includes(":") && !f.startsWith("..")).length,
    sdkVersion,
    millis: performance.now() - started,
  };
}

/** What to tell the user after a build: how to run the program and register it. */
export function deployInstructions(result: ProductionBuildResult, cwd = process.cwd()): string {
  const out = relative(cwd, result.outfile) || result.outfile;
  return [
    `Run it:       PORT=${DEFAULT_SERVICE_PORT} node ${out}    (PORT defaults to ${DEFAULT_SERVICE_PORT}; HOST=127.0.0.1 binds only that address;`,
    `              add --enable-source-maps for stack traces into your sources)`,
    `Register it:  npx @restatedev/restate deployments register http://localhost:${DEFAULT_SERVICE_PORT}`,
    `              (the restate CLI, with the address your Restate server reaches the program at;`,
    `              or: curl -X POST <restate admin, e.g. http://localhost:9070>/deployments -H 'content-type: application/json' -d '{"uri": "http://localhost:${DEFAULT_SERVICE_PORT}"}')`,
  ].join("\n");
}
