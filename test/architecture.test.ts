/**
 * The structure the design promises, checked on the sources themselves (no
 * runtime, no port): imports run one way, type-only ones included; the engine
 * knows nothing of terminals; the SDK nothing of SQLite.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { cycles, importGraph, loopThrough, reachable } from "./helpers/imports.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const graph = importGraph(repo);
const modules = [...graph.edges.keys()];
const under = (folder: string) => modules.filter((m) => m.startsWith(`${folder}/`));

/** Modules under `from` (and what they import, transitively) that import one of `banned`, as "a -> b" lines. */
function offending(from: string, banned: (target: string) => boolean): string[] {
  const lines: string[] = [];
  for (const m of reachable(graph, under(from))) {
    for (const t of graph.edges.get(m) ?? []) if (banned(t)) lines.push(`${m} -> ${t}`);
  }
  return lines.sort();
}

describe("architecture", () => {
  it("reads the sources it checks", () => {
    expect(under("runtime").length).toBeGreaterThan(40);
    expect(graph.edges.get("runtime/engine/engine.ts")).toContain("runtime/storage/commit.ts");
  });

  it("has no import cycle in runtime/, sdk/, testing/ and cli/, counting type-only imports", () => {
    const found = cycles(graph).map((scc) => `${scc.length} modules: ${loopThrough(graph, scc).join(" -> ")}`);
    if (found.length > 0) console.log(`import cycles:\n  ${found.join("\n  ")}`);
    expect(found).toEqual([]);
  });

  it("keeps the engine free of the CLI and of terminal UI packages", () => {
    expect(offending("runtime", (t) => t.startsWith("cli/") || t === "ink" || t === "react" || t === "commander")).toEqual([]);
  });

  it("keeps the SDK free of SQLite and of the runtime", () => {
    expect(offending("sdk", (t) => t === "better-sqlite3" || t.startsWith("runtime/") || t.startsWith("cli/") || t.startsWith("testing/"))).toEqual([]);
  });

  it("keeps the runtime free of the testing kit", () => {
    expect(offending("runtime", (t) => t.startsWith("testing/"))).toEqual([]);
  });

  it("lets modules outside the engine reach its state only through engine.ts and operations.ts", () => {
    // Components (keys, timers, store, ...) are the engine's own: nobody else changes them.
    // The rule book is the one component the engine hands out (`engine.rules`): the admin API's rules routes use its methods.
    const inner = (t: string) => t.startsWith("runtime/engine/") && !/\/(engine|operations|clock|ids|invocation|errors|retry|scopes|rule_book)\.ts$/.test(t);
    const lines: string[] = [];
    for (const m of modules.filter((x) => !x.startsWith("runtime/engine/"))) {
      for (const t of graph.edges.get(m) ?? []) if (inner(t)) lines.push(`${m} -> ${t}`);
    }
    expect(lines).toEqual([]);
  });

  it("keeps the engine's components below the lifecycle: none imports engine.ts or operations.ts", () => {
    const components = under("runtime/engine").filter((m) => !/\/(engine|operations)\.ts$/.test(m));
    const lines = components.flatMap((m) => (graph.edges.get(m) ?? []).filter((t) => /runtime\/engine\/(engine|operations)\.ts$/.test(t)).map((t) => `${m} -> ${t}`));
    expect(lines).toEqual([]);
    expect(graph.edges.get("runtime/engine/operations.ts")).toContain("runtime/engine/engine.ts");
  });

  it("has one module that talks to workers for the engine (engine.ts), so the durability rule lives in one file", () => {
    const seamUsers = modules.filter((m) => m.startsWith("runtime/") && (graph.edges.get(m) ?? []).includes("runtime/workers/seam.ts"));
    // The composition roots create the seam, the transports connect to it; in the engine, only the lifecycle uses it.
    expect(seamUsers.filter((m) => m.startsWith("runtime/engine/"))).toEqual(["runtime/engine/engine.ts"]);
    const notifying = modules.filter((m) => m.startsWith("runtime/") && /t: "notify"/.test(readFileSync(join(repo, m), "utf8")));
    expect(notifying).toEqual(["runtime/engine/engine.ts"]);
  });
});
