/**
 * The one error taxonomy of restate-dev. A UserError is a situation the user
 * can act on: a code, a message, and a hint saying what to do; the CLI prints
 * it without a stack and exits 2, the ingress and the admin API answer it with
 * its HTTP status. Every expected fault is one: bad input or flags, a port in
 * use, a build that fails, a database that is newer, damaged, full or
 * read-only (storage/storage_errors.ts turns those into UserErrors). Anything
 * else is an internal error, a bug: the CLI exits 1 and asks for a report.
 */

/** The exit code for a UserError. */
export const EXIT_USER_ERROR = 2;
/** The exit code for an internal error (a bug). */
export const EXIT_INTERNAL_ERROR = 1;

export class UserError extends Error {
  /** The HTTP status when this error answers a request (ingress, admin API). */
  readonly status: number;

  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = "UserError";
    this.status = options.status ?? 400;
  }
}

/** A refusal of a request (the engine's 404, 409, 425, 503 ...): a UserError with an HTTP status. */
export function requestError(code: string, status: number, message: string, hint?: string): UserError {
  return new UserError(code, message, hint, { status });
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
