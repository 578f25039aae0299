/**
 * Bundles a project's entry with esbuild. Imports of `@restatedev/restate-sdk`
 * and `restate-dev/sdk` resolve to this package's SDK, left external so the
 * bundle and the worker share one SDK instance.
 */
import { context, stop, type BuildOptions, type Message, type Plugin } from "esbuild";
import { existsSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SDK_ENTRY = fileURLToPath(new URL("../../sdk/index.js", import.meta.url));
/** Every specifier user code may import the SDK by; the production build (production.ts) maps the same set. */
export const SDK_SPECIFIERS = /^(@restatedev\/restate-sdk(\/(node|fetch|lambda))?|restate-dev\/sdk|restate-dev)$/;
/** Lets bundled CommonJS dependencies call require() in an ES module. */
export const ESM_REQUIRE_BANNER = "import { createRequire as __rdCreateRequire } from 'node:module'; const require = __rdCreateRequire(import.meta.url);";

export const ENTRY_CANDIDATES = ["src/index.ts", "src/index.mts", "src/index.js", "src/index.mjs", "index.ts", "index.js"];

export class BuildError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The project's entry file: the one given, or the first conventional one that exists. */
export function findEntry(projectDir: string, entry?: string): string {
  if (entry) {
    const file = resolve(projectDir, entry);
    if (!existsSync(file)) throw new BuildError(`entry file ${file} does not exist`, "ENTRY_NOT_FOUND", "pass an existing file with --entry");
    return file;
  }
  for (const c of ENTRY_CANDIDATES) {
    const file = join(projectDir, c);
    if (existsSync(file)) return file;
  }
  throw new BuildError(
    `no entry file in ${projectDir} (looked for ${ENTRY_CANDIDATES.join(", ")})`,
    "ENTRY_NOT_FOUND",
    "create src/index.ts that binds your services, or pass --entry <file>",
  );
}

const sdkAlias: Plugin = {
  name: "restate-dev-sdk",
  setup(b) {
    b.onResolve({ filter: SDK_SPECIFIERS }, () => ({ path: SDK_ENTRY, external: true }));
  },
};

function options(entry: string): BuildOptions & { write: false } {
  return {
    entryPoints: [entry],
    outfile: "bundle.mjs",
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
}

export function errorsOf(e: unknown): BuildError | undefined {
  const errors = (e as { errors?: Message[] }).errors;
  return errors?.length ? new BuildError(formatMessages(errors), "BUILD_FAILED", "fix the error above; the last good build keeps serving") : undefined;
}

/**
 * Builds numbered bundles (bundle-1.mjs, bundle-2.mjs …) so that a worker
 * still running an older build keeps its file while a new worker loads the new one.
 */
export class Builder {
  private ctx: Awaited<ReturnType<typeof context>> | undefined;
  private n = 0;
  /** esbuild's working directory (the process's, when the context was made): metafile paths are relative to it. */
  private workingDir = process.cwd();

  constructor(
    private readonly entry: string,
    private readonly outdir: string,
  ) {
    rmSync(outdir, { recursive: true, force: true });
    mkdirSync(outdir, { recursive: true });
  }

  async build(): Promise<BuildResult> {
    const started = performance.now();
    let result;
    try {
      if (!this.ctx) {
        this.workingDir = process.cwd();
        this.ctx = await context(options(this.entry));
      }
      result = await this.ctx.rebuild();
    } catch (e) {
      throw errorsOf(e) ?? e;
    }
    const out = result.outputFiles?.[0];
    if (!out) throw new BuildError("esbuild produced no output", "BUILD_FAILED");
    const outfile = join(this.outdir, `bundle-${++this.n}.mjs`);
    writeFileSync(outfile, out.contents);
    const inputs = Object.keys(result.metafile?.inputs ?? {}).map((f) => resolve(this.workingDir, f));
    return { outfile, millis: performance.now() - started, inputs };
  }

  /** Drops a bundle no worker uses any more. */
  discard(outfile: string): void {
    rmSync(outfile, { force: true });
  }

  async dispose(): Promise<void> {
    await this.ctx?.dispose();
    this.ctx = undefined;
    await stop();
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
