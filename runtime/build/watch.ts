/**
 * Watches a project's sources with chokidar and calls back, debounced, when
 * something that could change the bundle changes.
 */
import { watch, type FSWatcher } from "chokidar";
import { relative, sep } from "node:path";

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
