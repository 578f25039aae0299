/** A build that cannot go on for a reason the user can fix: a message, a code and a hint. */
export class BuildError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "BuildError";
  }
}
