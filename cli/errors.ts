/** The CLI's single error handler: user errors get a message, a hint and exit 2; bugs ask for a report. */
import { UserError } from "../runtime/errors.js";
import { BuildError } from "../runtime/build/errors.js";

export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function reportError(e: unknown): number {
  if (e instanceof UserError || e instanceof BuildError) {
    process.stderr.write(`error: ${e.message}\n`);
    if (e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
    return EXIT_USAGE;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`internal error: ${err.stack ?? err.message}\n`);
  process.stderr.write("  this is a bug in restate-dev: please report it with the output above\n");
  return EXIT_USAGE;
}
