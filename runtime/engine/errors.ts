/** Errors the engine reports to the ingress and admin API: a code, an HTTP status, a hint. */
export class EngineError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "EngineError";
  }
}
