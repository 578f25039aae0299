/**
 * Teardown of a composed process (runtime.ts, the testing kit): resources are
 * added as they are acquired and released once, newest first. A releaser that
 * throws does not stop the others; the first error is the one reported. A
 * second `release()` (a failed write's fatal stop racing the user's stop)
 * releases nothing again: it gets the first call's outcome.
 */
export type Releaser = () => void | Promise<void>;

export class Releasers {
  private readonly pending: Releaser[] = [];
  private outcome: Promise<void> | undefined;

  /** Whether `release()` has been called. */
  get released(): boolean {
    return this.outcome !== undefined;
  }

  /**
   * Adds what releases a resource just acquired. After `release()` it is
   * refused: the resource is released at once (nothing leaks) and this throws.
   */
  add(release: Releaser): void {
    if (this.outcome) {
      void Promise.resolve()
        .then(release)
        .catch(() => undefined);
      throw new Error("this process is being torn down: the resource just acquired was released at once");
    }
    this.pending.push(release);
  }

  /** Releases everything, newest first, each once; rejects with the first error once all have run. */
  release(): Promise<void> {
    return (this.outcome ??= this.releaseAll());
  }

  private async releaseAll(): Promise<void> {
    let first: { error: unknown } | undefined;
    for (let r = this.pending.pop(); r; r = this.pending.pop()) {
      try {
        await r();
      } catch (error) {
        first ??= { error };
      }
    }
    if (first) throw first.error;
  }
}
