/**
 * Watches a project's sources with chokidar and calls back, debounced, when
 * something that could change the bundle changes.
 */
import { watch, type FSWatcher } from "chokidar";
import { existsSync } from "node:fs";
import { relative, resolve, sep } from "node:path";

const IGNORED = ["node_modules", ".restate-dev", ".git", "dist", "coverage"];
const DEBOUNCE_MS = 40;

export class SourceWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private changed = new Set<string>();

  constructor(
    private readonly projectDir: string,
    private readonly onChange: (files: string[]) => void,
  ) {}

  start(): Promise<void> {
    const dir = this.projectDir;
    this.watcher = watch(dir, {
      ignoreInitial: true,
      ignored: (path) => {
        const rel = relative(dir, path);
        return rel.split(sep).some((part) => IGNORED.includes(part));
      },
    });
    this.watcher.on("all", (_event, path) => {
      this.changed.add(relative(dir, path));
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        const files = [...this.changed];
        this.changed.clear();
        this.onChange(files);
      }, DEBOUNCE_MS);
    });
    return new Promise((resolve) => this.watcher!.once("ready", () => resolve()));
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.watcher?.close();
  }
}

/**
 * The changed files worth naming in a reload line: those a build is made of
 * (or project config). Editors save through temp files (sed's `sedYhvY8h`,
 * vim's `4913`) that are gone by the time the build runs; failing a match,
 * the files that still exist are named, and failing those, all.
 */
export function sourcesOfChange(files: string[], projectDir: string, inputSets: Array<Set<string> | undefined>, configFiles: string[]): string[] {
  const inBuild = files.filter((f) => configFiles.includes(f) || inputSets.some((s) => s?.has(resolve(projectDir, f))));
  if (inBuild.length) return inBuild;
  const existing = files.filter((f) => existsSync(resolve(projectDir, f)));
  return existing.length ? existing : files;
}
