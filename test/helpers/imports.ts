/**
 * The import graph of restate-dev's own sources (runtime/, sdk/, testing/,
 * cli/), type-only imports included: what the architecture test checks.
 */
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

export const ROOTS = ["runtime", "sdk", "testing", "cli"];

export interface ImportGraph {
  /** Module (path relative to the repository, e.g. runtime/engine/engine.ts) -> what it imports: modules of ours, or bare package names. */
  edges: Map<string, string[]>;
}

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Resolves a relative specifier written as ESM (`./x.js`) to the source file it names. */
function resolveLocal(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.js$/, ".ts"), base.replace(/\.js$/, ".tsx"), base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** Bare specifier -> package name (`ink/build/x` -> `ink`, `@a/b/c` -> `@a/b`). */
function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

export function importGraph(repo: string): ImportGraph {
  const edges = new Map<string, string[]>();
  for (const root of ROOTS) {
    for (const file of sources(join(repo, root))) {
      const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
      const targets: string[] = [];
      for (const { fileName: spec } of info.importedFiles) {
        if (spec.startsWith("node:")) continue;
        if (spec.startsWith(".")) {
          const target = resolveLocal(file, spec);
          if (target) targets.push(relative(repo, target));
        } else targets.push(packageName(spec));
      }
      edges.set(relative(repo, file), [...new Set(targets)]);
    }
  }
  return { edges };
}

/** Every strongly connected component with more than one module (or a module importing itself): each is a cycle. */
export function cycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.edges.get(v) ?? []) {
      if (!graph.edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.edges.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of [...graph.edges.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** One concrete loop through a component, for the message: a -> b -> ... -> a. */
export function loopThrough(graph: ImportGraph, scc: string[]): string[] {
  const members = new Set(scc);
  const start = scc[0]!;
  // Breadth-first from start back to start inside the component: the shortest loop.
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.edges.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return scc;
}

/** Modules reachable from `from` (itself included), following our own imports. */
export function reachable(graph: ImportGraph, from: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...from];
  while (todo.length > 0) {
    const v = todo.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    for (const w of graph.edges.get(v) ?? []) if (graph.edges.has(w)) todo.push(w);
  }
  return seen;
}
