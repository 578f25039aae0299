/**
 * The CLI's single error handler (runtime/errors.ts has the taxonomy): a user
 * error gets its message and hint and exits 2; anything else is a bug, printed
 * with its stack, asking for a report, and exits 1.
 */
import { EXIT_INTERNAL_ERROR, EXIT_USER_ERROR, UserError } from "../runtime/errors.js";

/** A command ran and reports a failure (an invocation that failed, a check that found something). */
export const EXIT_FAILED = 1;
/** Bad usage or any other user error. */
export const EXIT_USAGE = EXIT_USER_ERROR;

export function reportError(e: unknown): number {
  if (e instanceof UserError) {
    process.stderr.write(`error: ${e.message}\n`);
    if (e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
    return EXIT_USER_ERROR;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`internal error: ${err.stack ?? err.message}\n`);
  process.stderr.write("  this is a bug in restate-dev: please report it with the output above\n");
  return EXIT_INTERNAL_ERROR;
}
