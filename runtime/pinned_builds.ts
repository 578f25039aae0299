/**
 * The builds that invocations are pinned to, runtime side (engine.DeploymentHost):
 * each deployment's bundle stays in .restate-dev/build/ while anything
 * unfinished is pinned to it, also across restarts; a worker for an older
 * build is started when one of its invocations needs it, and stopped (its
 * bundle removed) once the engine says nothing is pinned to it any more.
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import type { Builder } from "./build/bundle.js";
import type { Deployments } from "./deployments.js";
import type { DeploymentHost, Engine } from "./engine/engine.js";
import type { WorkerLink } from "./workers/link.js";
import type { WorkerPool } from "./workers/pool.js";

export class PinnedBuilds implements DeploymentHost {
  /** Deployments whose worker is being started. */
  private readonly starting = new Set<string>();
  /** Deployments whose bundle failed to load again: nothing runs on them any more. */
  private readonly lost = new Set<string>();
  /** Older builds something stayed on (a reload's check, a start): their retirement is worth a line. */
  private readonly kept = new Set<string>();
  private pool: WorkerPool | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly deployments: Deployments,
    private readonly engine: Engine,
    private readonly builder: Builder,
    private readonly log: (line: string) => void,
  ) {}

  /** Workers can be started from now on. */
  usePool(pool: WorkerPool): void {
    this.pool = pool;
  }

  /** The path of a bundle as a deployment row keeps it (relative, so a moved project still finds it). */
  relativeBundle(outfile: string): string {
    return relative(this.dataDir, outfile);
  }

  /** The bundle files of deployments that unfinished invocations are pinned to (absolute): what a start keeps. */
  pinnedBundles(): Set<string> {
    const keep = new Set<string>();
    for (const id of this.engine.pinnedInvocations(0).keys()) {
      const file = this.fileOf(id);
      if (file) keep.add(file);
    }
    return keep;
  }

  /** Forgets the bundles of deployments nothing is pinned to (their files were pruned). */
  dropUnpinned(keep: Set<string>): void {
    for (const d of this.deployments.all()) {
      const file = this.fileOf(d.id);
      if (file && !keep.has(file)) this.deployments.dropBundle(d.id);
    }
  }

  /** A reload (or a start) kept invocations on these builds. */
  stayed(deploymentIds: Iterable<string>): void {
    for (const d of deploymentIds) this.kept.add(d);
  }

  keeps(deploymentId: string): boolean {
    if (this.lost.has(deploymentId)) return false;
    const file = this.fileOf(deploymentId);
    return file !== undefined && existsSync(file);
  }

  spawn(deploymentId: string): boolean {
    if (this.starting.has(deploymentId)) return true;
    if (!this.pool || !this.keeps(deploymentId)) return false;
    const file = this.fileOf(deploymentId)!;
    this.starting.add(deploymentId);
    this.kept.add(deploymentId);
    void this.pool.load(file).then((loaded) => {
      this.starting.delete(deploymentId);
      if (loaded.ok) {
        this.engine.workerReady(loaded.worker, loaded.services, deploymentId);
        return;
      }
      this.lost.add(deploymentId);
      this.log(`the build of ${deploymentId} failed to load again (${loaded.message}); what was pinned to it continues on the newest build`);
      this.engine.buildLost(deploymentId);
    });
    return true;
  }

  retired(deploymentId: string, worker: WorkerLink | undefined): void {
    worker?.stop();
    const file = this.fileOf(deploymentId);
    if (!this.deployments.dropBundle(deploymentId) || !file) return;
    const d = this.deployments.get(deploymentId);
    // The build a reload replaced retires at once when nothing stayed on it: no line for that.
    if (this.kept.delete(deploymentId)) this.log(`nothing runs on ${deploymentId} (build ${d?.seq ?? "?"}) any more: ${worker ? "its worker stopped, " : ""}its bundle is removed`);
    // The row says "not kept" durably before the file goes: a crash in between leaves a file, never a pin without one.
    this.engine.durable().then(
      () => this.builder.discard(file),
      () => undefined,
    );
  }

  private fileOf(deploymentId: string): string | undefined {
    const bundle = this.deployments.get(deploymentId)?.bundle;
    return bundle === undefined ? undefined : join(this.dataDir, bundle);
  }
}
