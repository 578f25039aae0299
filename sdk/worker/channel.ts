/**
 * Batches IPC messages: everything sent within one turn of the event loop goes
 * as one array. Under load this turns thousands of tiny IPC writes into a few.
 */
export class BatchingSender<T> {
  private queue: T[] = [];
  private scheduled = false;

  constructor(private readonly write: (batch: T[]) => void) {}

  send(msg: T): void {
    this.queue.push(msg);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.write(batch);
  };
}
