/**
 * Keeps one worker process alive for the current build: respawns it when it
 * dies (with a growing pause if it keeps dying at load), and routes its events.
 */
import { WorkerProcess, type WorkerEvents } from "./worker_process.js";
import type { FromWorker, ServiceManifest } from "../../sdk/worker/protocol.js";

export interface PoolEvents {
  ready(worker: WorkerProcess, services: ServiceManifest[]): void;
  loadError(message: string, stack?: string): void;
  message(worker: WorkerProcess, msg: FromWorker): void;
  exit(worker: WorkerProcess, description: string): void;
  output(line: string, stream: "stdout" | "stderr"): void;
}

export class WorkerPool {
  private current: WorkerProcess | undefined;
  private stopped = false;
  private loadFailures = 0;
  private respawnTimer: NodeJS.Timeout | undefined;

  constructor(
    private bundle: string,
    private readonly cwd: string,
    private readonly events: PoolEvents,
  ) {}

  start(): void {
    this.spawn();
  }

  private spawn(): void {
    if (this.stopped) return;
    const events: WorkerEvents = {
      ready: (w, services) => {
        this.loadFailures = 0;
        this.events.ready(w, services);
      },
      loadError: (w, message, stack) => {
        this.loadFailures++;
        this.events.loadError(message, stack);
        w.stop();
      },
      message: (w, msg) => this.events.message(w, msg),
      exit: (w, description) => {
        this.events.exit(w, description);
        if (this.current !== w || this.stopped) return;
        this.current = undefined;
        const pause = this.loadFailures > 0 ? Math.min(5000, 250 * 2 ** (this.loadFailures - 1)) : 0;
        this.respawnTimer = setTimeout(() => this.spawn(), pause);
      },
      output: (_w, line, stream) => this.events.output(line, stream),
    };
    this.current = new WorkerProcess(this.bundle, this.cwd, events);
  }

  get pid(): number | undefined {
    return this.current?.pid;
  }

  stop(): void {
    this.stopped = true;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    this.current?.stop();
  }
}
