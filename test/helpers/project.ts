/** Temporary project trees built from inline files, removed after the test run. */
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const made: string[] = [];

/**
 * A project in a fresh temp dir; `depth` nests it that many folders further down
 * (a/b/c …), so that tests do not pass only because of where the files sit.
 */
export function makeProject(files: Record<string, string>, opts: { depth?: number } = {}): string {
  const root = mkdtempSync(join(tmpdir(), "restate-dev-test-"));
  made.push(root);
  const dir = join(root, ..."abcdefgh".slice(0, opts.depth ?? 0).split(""));
  mkdirSync(dir, { recursive: true });
  writeFiles(dir, files);
  return dir;
}

/** An empty directory outside any project, to run commands from. */
export function makeElsewhere(depth = 0): string {
  return makeProject({}, { depth });
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

export function cleanupProjects(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
