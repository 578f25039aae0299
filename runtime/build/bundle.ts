/**
 * Bundles a project's entry with esbuild. Imports of `@restatedev/restate-sdk`
 * and `restate-dev/sdk` resolve to this package's SDK, left external so the
 * bundle and the worker share one SDK instance.
 */
import { context, stop, type BuildOptions, type Message, type Plugin } from "esbuild";
import { mkdirSync, rmSync, readdirSync, openSync, writeSync, fsyncSync, closeSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.js";

const SDK_ENTRY = fileURLToPath(new URL("../../sdk/index.js", import.meta.url));
/** Every specifier user code may import the SDK by; the production build (production.ts) maps the same set. */
export const SDK_SPECIFIERS = /^(@restatedev\/restate-sdk(\/(node|fetch|lambda))?|restate-dev\/sdk|restate-dev)$/;
/** Lets bundled CommonJS dependencies call require() in an ES module. */
export const ESM_REQUIRE_BANNER = "import { createRequire as __rdCreateRequire } from 'node:module'; const require = __rdCreateRequire(import.meta.url);";

const sdkAlias: Plugin = {
  name: "restate-dev-sdk",
  setup(b) {
    b.onResolve({ filter: SDK_SPECIFIERS }, () => ({ path: SDK_ENTRY, external: true }));
  },
};

function options(entry: string, projectDir: string, outdir: string): BuildOptions & { write: false } {
  return {
    entryPoints: [entry],
    // Paths in the metafile are relative to absWorkingDir (not the process's cwd), and
    // the source map's sources relative to the outfile's folder, which is where the
    // numbered bundles are written: stack traces then name the real source files.
    absWorkingDir: projectDir,
    outfile: join(outdir, "bundle.mjs"),
    write: false,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Inline, so that each build is one self-contained file the worker loads.
    sourcemap: "inline",
    metafile: true,
    logLevel: "silent",
    plugins: [sdkAlias],
    banner: { js: ESM_REQUIRE_BANNER },
  };
}

export interface BuildResult {
  outfile: string;
  millis: number;
  /** Source files the bundle was built from (absolute paths). */
  inputs: string[];
  /** sha256 of the bundle's contents. */
  hash: string;
}

export function errorsOf(e: unknown): UserError | undefined {
  const errors = (e as { errors?: Message[] }).errors;
  return errors?.length ? new UserError("BUILD_FAILED", formatMessages(errors), "fix the error above; the last good build keeps serving") : undefined;
}

const BUNDLE_NAME = /^bundle-(\d+)\.mjs$/;

/**
 * Builds numbered bundles (bundle-1.mjs, bundle-2.mjs …) so that a worker
 * still running an older build keeps its file while a new worker loads the new
 * one. Bundles of earlier runs stay until `prune`: invocations pinned to an
 * older build resume on it after a restart; numbering continues after them.
 */
/**
 * esbuild's service process (~13 MiB) is stopped once no build came for this
 * long: most of a session is spent running code, not saving it, and a cold
 * build of a project is tens of milliseconds.
 */
const SERVICE_IDLE_MS = 1000;

export class Builder {
  private ctx: Awaited<ReturnType<typeof context>> | undefined;
  private n = 0;
  private idle: NodeJS.Timeout | undefined;
  private building: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly entry: string,
    private readonly outdir: string,
    private readonly projectDir: string,
  ) {
    mkdirSync(outdir, { recursive: true });
    for (const name of readdirSync(outdir)) {
      const m = BUNDLE_NAME.exec(name);
      if (m) this.n = Math.max(this.n, Number(m[1]));
      else rmSync(join(outdir, name), { recursive: true, force: true });
    }
  }

  /** Removes the bundles of earlier runs that are not in `keep` (absolute paths). */
  prune(keep: Set<string>): void {
    for (const name of readdirSync(this.outdir)) {
      const file = join(this.outdir, name);
      if (BUNDLE_NAME.test(name) && !keep.has(file)) rmSync(file, { force: true });
    }
  }

  async build(): Promise<BuildResult> {
    clearTimeout(this.idle);
    await this.building;
    const started = performance.now();
    let result;
    try {
      this.ctx ??= await context(options(this.entry, this.projectDir, this.outdir));
      result = await this.ctx.rebuild();
    } catch (e) {
      throw errorsOf(e) ?? e;
    } finally {
      this.idle = setTimeout(() => (this.building = this.stopService()), SERVICE_IDLE_MS).unref();
    }
    const out = result.outputFiles?.[0];
    if (!out) throw new UserError("BUILD_FAILED", "esbuild produced no output");
    const outfile = join(this.outdir, `bundle-${++this.n}.mjs`);
    writeDurably(outfile, out.contents);
    const inputs = Object.keys(result.metafile?.inputs ?? {}).map((f) => resolve(this.projectDir, f));
    const hash = createHash("sha256").update(out.contents).digest("hex");
    return { outfile, millis: performance.now() - started, inputs, hash };
  }

  /** Drops a bundle no worker uses any more. */
  discard(outfile: string): void {
    rmSync(outfile, { force: true });
  }

  async dispose(): Promise<void> {
    clearTimeout(this.idle);
    await this.building;
    await this.stopService();
  }

  private async stopService(): Promise<void> {
    const ctx = this.ctx;
    this.ctx = undefined;
    await ctx?.dispose();
    await stop();
  }
}

/** The file is on disk before its deployment (and any pin naming it) is written: invocations resume on it after a crash. */
function writeDurably(file: string, contents: Uint8Array): void {
  const fd = openSync(file, "w");
  try {
    let off = 0;
    while (off < contents.byteLength) off += writeSync(fd, contents, off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // And its name in the folder.
  try {
    const dir = openSync(dirname(file), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // not every platform can open or sync a folder (Windows): the file's own sync is what it gets
  }
}

export function formatMessages(errors: Message[]): string {
  return errors
    .map((m) => {
      const loc = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : "";
      const line = m.location?.lineText ? `\n    ${m.location.lineText}` : "";
      return `${loc}error: ${m.text}${line}`;
    })
    .join("\n");
}
