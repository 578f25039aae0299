/** `restate-dev build --target restate [dir]`: a Node program serving the project for a real Restate server. */
import { relative } from "node:path";
import { UserError } from "../../runtime/errors.js";
import { BUILD_TARGETS, buildForRestate, deployInstructions, type BuildTarget } from "../../runtime/build/production.js";

export interface BuildCommandOptions {
  target?: string;
  out?: string;
  entry?: string;
}

export function checkTarget(target: string | undefined): BuildTarget {
  if (target === undefined) {
    throw new UserError("NO_TARGET", "say what to build for with --target", `restate-dev build --target restate (targets: ${BUILD_TARGETS.join(", ")})`);
  }
  if (!(BUILD_TARGETS as readonly string[]).includes(target)) {
    throw new UserError("BAD_TARGET", `unknown build target '${target}'`, `the targets are: ${BUILD_TARGETS.join(", ")} (e.g. --target restate)`);
  }
  return target as BuildTarget;
}

export async function buildCommand(dirArg: string | undefined, opts: BuildCommandOptions): Promise<number> {
  checkTarget(opts.target);
  const result = await buildForRestate({
    projectDir: dirArg ?? ".",
    ...(opts.entry !== undefined ? { entry: opts.entry } : {}),
    ...(opts.out !== undefined ? { outDir: opts.out } : {}),
  });
  const out = relative(process.cwd(), result.outfile) || result.outfile;
  const size = result.bytes >= 1024 * 1024 ? `${(result.bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(result.bytes / 1024)} kB`;
  process.stdout.write(
    `built ${out} (${size}, ${result.projectFiles} source file${result.projectFiles === 1 ? "" : "s"}, ` +
      `@restatedev/restate-sdk ${result.sdkVersion}) in ${Math.round(result.millis)} ms\n\n${deployInstructions(result)}\n`,
  );
  return 0;
}
