/**
 * Bundles a project's entry with esbuild. Imports of `@restatedev/restate-sdk`
 * and `restate-dev/sdk` resolve to this package's SDK, left external so the
 * bundle and the worker share one SDK instance.
 */
import { build, stop, type Message, type Plugin } from "esbuild";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SDK_ENTRY = fileURLToPath(new URL("../../sdk/index.js", import.meta.url));
const SDK_SPECIFIERS = /^(@restatedev\/restate-sdk(\/(node|fetch|lambda))?|restate-dev\/sdk|restate-dev)$/;

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

export interface BuildResult {
  outfile: string;
  millis: number;
}

export async function bundle(entry: string, outdir: string): Promise<BuildResult> {
  const started = performance.now();
  const outfile = join(outdir, "bundle.mjs");
  try {
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: "linked",
      logLevel: "silent",
      plugins: [sdkAlias],
      // Let bundled CommonJS dependencies call require() in an ES module.
      banner: { js: "import { createRequire as __rdCreateRequire } from 'node:module'; const require = __rdCreateRequire(import.meta.url);" },
    });
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    if (errors?.length) throw new BuildError(formatMessages(errors), "BUILD_FAILED", "fix the error above; the last good build keeps serving");
    throw e;
  } finally {
    // esbuild keeps a service process alive between builds; a one-off build needs none.
    await stop();
  }
  return { outfile, millis: performance.now() - started };
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
