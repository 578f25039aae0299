/**
 * A worker child process running the user's bundle. Speaks the protocol in
 * sdk/worker/protocol.ts over Node IPC (structured clone, so bytes stay bytes),
 * batched per event-loop turn.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { BatchingSender } from "../../sdk/worker/channel.js";
import type { FromWorker, ServiceManifest, ToWorker } from "../../sdk/worker/protocol.js";
import type { WorkerLink } from "./link.js";
import type { WorkerSeam } from "./seam.js";

const HOST = fileURLToPath(new URL("../../sdk/worker/host.js", import.meta.url));

/** The process's own lifecycle, for the pool; what it says to the engine goes through the seam. */
export interface WorkerEvents {
  ready(worker: WorkerProcess, services: ServiceManifest[]): void;
  loadError(worker: WorkerProcess, message: string, stack?: string): void;
  exit(worker: WorkerProcess, description: string): void;
  output(worker: WorkerProcess, line: string, stream: "stdout" | "stderr"): void;
}

let nextWorkerId = 1;

export class WorkerProcess implements WorkerLink {
  readonly id = nextWorkerId++;
  private readonly child: ChildProcess;
  private readonly out: BatchingSender<ToWorker>;
  private exited = false;

  constructor(bundle: string, cwd: string, events: WorkerEvents, seam: WorkerSeam, env: NodeJS.ProcessEnv = process.env) {
    this.child = fork(HOST, [bundle], {
      cwd,
      env,
      serialization: "advanced",
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      execArgv: ["--enable-source-maps"],
    });
    this.out = new BatchingSender((batch) => {
      if (!this.exited && this.child.connected) this.child.send(batch);
    });
    for (const stream of ["stdout", "stderr"] as const) {
      const s = this.child[stream];
      if (s) createInterface({ input: s }).on("line", (line) => events.output(this, line, stream));
    }
    this.child.on("message", (batch: FromWorker[]) => {
      for (const msg of batch) {
        if (msg.t === "ready") events.ready(this, msg.services);
        else if (msg.t === "loadError") events.loadError(this, msg.message, msg.stack);
        else seam.deliver(this, msg);
      }
    });
    this.child.on("exit", (code, signal) => {
      this.exited = true;
      const description = signal ? `killed by ${signal}` : `exit code ${code}`;
      seam.ended(this, description);
      events.exit(this, description);
    });
    seam.connect(this);
    this.child.on("error", () => {
      // 'exit' follows and reports it.
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  send(msg: ToWorker): void {
    this.out.send(msg);
  }

  /** Stops the worker; in-flight attempts on it are retried by the engine. */
  stop(): void {
    if (this.exited) return;
    this.out.flush();
    this.child.kill("SIGKILL");
  }
}
