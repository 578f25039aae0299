/** The features fixture (compat/fixtures/features) and helpers its tests share. */
import { join } from "node:path";
import type { ProjectSpec, Target, TargetKind } from "./targets.js";
import { readJsonLines } from "./targets.js";

export const FEATURES: ProjectSpec = {
  source: "compat/fixtures/features",
  env: (dir) => ({ COMPAT_LOG: join(dir, "side-effects.jsonl") }),
};

export type SideEffect = { op: string; key: string; at: number; id?: string; invocation?: string };

/** What the fixture's services logged with log() (src/log.ts). */
export function sideEffects(t: Target, filter: { op?: string; key?: string } = {}): SideEffect[] {
  return readJsonLines<SideEffect>(join(t.projectDir, "side-effects.jsonl")).filter(
    (e) => (filter.op === undefined || e.op === filter.op) && (filter.key === undefined || e.key === filter.key),
  );
}

/**
 * A value that knowingly differs between the targets. Each use is listed in
 * README.md under "Known differences from Restate", with the reason.
 */
export function expectedFor<T>(kind: TargetKind, values: Record<TargetKind, T>): T {
  return values[kind];
}
