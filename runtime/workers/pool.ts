/**
 * Worker threads of a runtime: the current one takes new attempts and is
 * respawned when it dies (with a growing pause if it keeps dying at load);
 * on a reload a candidate worker loads the new build first, and the old one
 * is retired once its attempts have moved.
 */
import { WorkerThread, type WorkerEvents } from "./worker_thread.js";
import type { ServiceManifest } from "../../sdk/worker/protocol.js";
import type { WorkerSeam } from "./seam.js";

export interface PoolEvents {
  /** The current worker (first start or respawn) is ready. */
  ready(worker: WorkerThread, services: ServiceManifest[]): void;
  loadError(message: string, stack?: string): void;
  output(line: string, stream: "stdout" | "stderr"): void;
}

export type LoadResult = { ok: true; worker: WorkerThread; services: ServiceManifest[] } | { ok: false; message: string; stack?: string };

export class WorkerPool {
  private current: WorkerThread | undefined;
  private stopped = false;
  private loadFailures = 0;
  private respawnTimer: NodeJS.Timeout | undefined;
  private readonly all = new Set<WorkerThread>();

  constructor(
    private bundle: string,
    /** Every worker's messages go through it to the engine (and its exit too); the pool only spawns and respawns. */
    private readonly seam: WorkerSeam,
    private readonly events: PoolEvents,
  ) {}

  start(): void {
    this.current = this.spawn(this.bundle, {
      ready: (w, services) => {
        this.loadFailures = 0;
        this.events.ready(w, services);
      },
      loadError: (w, message, stack) => {
        this.loadFailures++;
        this.events.loadError(message, stack);
        w.stop();
      },
    });
  }

  private spawn(bundle: string, on: Pick<WorkerEvents, "ready" | "loadError"> & { exited?: () => void }): WorkerThread {
    const worker = new WorkerThread(bundle, {
      ready: on.ready,
      loadError: on.loadError,
      exit: (w) => {
        this.all.delete(w);
        on.exited?.();
        if (this.current !== w || this.stopped) return;
        this.current = undefined;
        const pause = this.loadFailures > 0 ? Math.min(5000, 250 * 2 ** (this.loadFailures - 1)) : 0;
        this.respawnTimer = setTimeout(() => this.start(), pause);
      },
      output: (_w, line, stream) => this.events.output(line, stream),
    }, this.seam);
    this.all.add(worker);
    return worker;
  }

  /** Loads a build in a new worker, which takes no attempts until promoted. */
  load(bundle: string): Promise<LoadResult> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (r: LoadResult) => {
        if (!settled) resolve(r);
        settled = true;
      };
      this.spawn(bundle, {
        ready: (w, services) => settle({ ok: true, worker: w, services }),
        loadError: (w, message, stack) => {
          w.stop();
          settle({ ok: false, message, ...(stack ? { stack } : {}) });
        },
        exited: () => settle({ ok: false, message: "the worker ended while loading the new build" }),
      });
    });
  }

  /** The new build's worker becomes current (and is respawned with its bundle if it dies). */
  promote(worker: WorkerThread, bundle: string): WorkerThread | undefined {
    const previous = this.current;
    this.current = worker;
    this.bundle = bundle;
    this.loadFailures = 0;
    return previous;
  }

  stop(): void {
    this.stopped = true;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    for (const w of this.all) w.stop();
  }
}
