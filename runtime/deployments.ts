/**
 * Deployments, as Restate's admin API and the `restate` CLI know them: every
 * build of the project that a worker loaded is one deployment (`dp_…`) with the
 * services it reported, and each service's revision counts the deployments it
 * appeared in. Kept in the `deployments` table, so they survive restarts,
 * with the file of the build's bundle while invocations may still run on it
 * (hot reload pinning: see engine.adopt and runtime/pinned_builds.ts).
 */
import { randomBytes } from "node:crypto";
import type { Db } from "./storage/db.js";
import type { GroupCommit } from "./storage/commit.js";
import type { ServiceManifest } from "../sdk/worker/protocol.js";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export interface Deployment {
  id: string;
  /** Build order, from 1. */
  seq: number;
  createdAt: number;
  services: ServiceManifest[];
  revisions: Record<string, number>;
  /** The bundle file, relative to the data directory, while the build is kept; undefined once removed. */
  bundle?: string | undefined;
  /** sha256 of the bundle: a build of the same code follows the same journals. */
  bundleHash?: string | undefined;
}

/**
 * `dp_1` and 22 base62 digits, as Restate's: the digits encode a 128-bit number,
 * which the `restate` CLI decodes, so the first and last digit are kept at 0
 * (below 2^128 whichever end it reads as the most significant).
 */
function newDeploymentId(): string {
  const bytes = randomBytes(20);
  let s = "dp_10";
  for (let i = 0; i < 20; i++) s += ALPHABET[bytes[i]! % 62];
  return s + "0";
}

interface Row {
  id: string;
  seq: number;
  created_at: number;
  services: string;
  revisions: string;
  bundle: string | null;
  bundle_hash: string | null;
}

export class Deployments {
  private readonly list: Deployment[];

  constructor(
    private readonly db: Db,
    private readonly commit: Pick<GroupCommit, "enqueue">,
    private readonly now: () => number = Date.now,
  ) {
    const rows = db.prepare("SELECT id, seq, created_at, services, revisions, bundle, bundle_hash FROM deployments ORDER BY seq").all() as Row[];
    this.list = rows.map((r) => ({
      id: r.id,
      seq: r.seq,
      createdAt: r.created_at,
      services: JSON.parse(r.services),
      revisions: JSON.parse(r.revisions),
      bundle: r.bundle ?? undefined,
      bundleHash: r.bundle_hash ?? undefined,
    }));
  }

  /**
   * A build's worker reported its services: record it as the newest deployment,
   * with its bundle (relative to the data directory), which must be on disk
   * already: invocations pinned to it later are written after this row.
   */
  record(services: ServiceManifest[], bundle?: { file: string; hash: string }): Deployment {
    const last = this.latest();
    const revisions: Record<string, number> = {};
    for (const s of services) revisions[s.name] = (last?.revisions[s.name] ?? this.revisionOf(s.name)) + 1;
    const d: Deployment = { id: newDeploymentId(), seq: (last?.seq ?? 0) + 1, createdAt: this.now(), services, revisions, bundle: bundle?.file, bundleHash: bundle?.hash };
    this.list.push(d);
    const insert = this.db.prepare("INSERT INTO deployments (id, seq, created_at, services, revisions, bundle, bundle_hash) VALUES (?, ?, ?, ?, ?, ?, ?)");
    // Nothing is acknowledged from this write; pins that name it are queued after it (commit order).
    this.commit.enqueue(() => insert.run(d.id, d.seq, d.createdAt, JSON.stringify(d.services), JSON.stringify(d.revisions), d.bundle ?? null, d.bundleHash ?? null));
    return d;
  }

  /** The build's bundle is no longer kept (nothing is pinned to it): written before the file is removed. */
  dropBundle(id: string): string | undefined {
    const d = this.get(id);
    const file = d?.bundle;
    if (!d || file === undefined) return undefined;
    d.bundle = undefined;
    const update = this.db.prepare("UPDATE deployments SET bundle = NULL WHERE id = ?");
    this.commit.enqueue(() => update.run(id));
    return file;
  }

  all(): Deployment[] {
    return [...this.list];
  }

  get(id: string): Deployment | undefined {
    return this.list.find((d) => d.id === id);
  }

  latest(): Deployment | undefined {
    return this.list[this.list.length - 1];
  }

  /** The newest deployment that has `service`, with the service's revision there. */
  ofService(service: string): { deployment: Deployment; revision: number } | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const d = this.list[i]!;
      if (d.services.some((s) => s.name === service)) return { deployment: d, revision: d.revisions[service] ?? 1 };
    }
    return undefined;
  }

  private revisionOf(service: string): number {
    return this.ofService(service)?.revision ?? 0;
  }
}
