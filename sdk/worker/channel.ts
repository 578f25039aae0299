/**
 * Batches IPC messages: everything sent within one turn of the event loop goes
 * as one array. Under load this turns thousands of tiny IPC writes into a few.
 * When the channel has been quiet for a while (one caller, one request at a
 * time), waiting for the turn to end only adds latency: a message then goes at
 * once, and what follows it in the same turn is batched again.
 */
const QUIET_MS = 1;

export class BatchingSender<T> {
  private queue: T[] = [];
  private scheduled = false;
  private lastFlush = 0;

  constructor(private readonly write: (batch: T[]) => void) {}

  send(msg: T): void {
    this.queue.push(msg);
    if (this.scheduled) return;
    if (performance.now() - this.lastFlush > QUIET_MS) return this.flush();
    this.scheduled = true;
    setImmediate(this.flush);
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    this.lastFlush = performance.now();
    const batch = this.queue;
    this.queue = [];
    this.write(batch);
  };
}
