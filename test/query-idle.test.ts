/**
 * Memory: a query process is started by the first SQL query and stopped once
 * it has been idle (RESTATE_DEV_QUERY_IDLE_MS here, 30 s by default), so an
 * idle `up` holds no query process; the next query starts one again.
 */
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { call, eventually, runForFile, type UpProcess } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
const greeter = restate.service({ name: "greeter", handlers: { async greet(_ctx: restate.Context, name: string) { return "hello " + name; } } });
restate.serve({ services: [greeter] });
`,
};

let up: UpProcess;
runForFile(PROJECT, (started) => (up = started), { env: { RESTATE_DEV_QUERY_IDLE_MS: "600" } });

/** The child processes of `up` (query processes are its only ones: workers are threads). */
function children(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // it ended while being read
    }
  }
  return found;
}

const query = (sql: string) => call(up.adminUrl, "/query", { query: sql }, { headers: { accept: "application/json" } });

describe("query processes", () => {
  it.skipIf(process.platform !== "linux")("are started by a query and stopped once idle; the next query starts one again", async () => {
    const pid = up.proc.pid!;
    // esbuild's service may still be up just after the start; it stops when no build comes.
    await eventually(() => (children(pid).length === 0 ? true : undefined), 5000, "no child process");
    expect((await query("SELECT 1 AS one")).json.rows).toEqual([{ one: 1 }]);
    expect(children(pid).length).toBe(1);
    await eventually(() => (children(pid).length === 0 ? true : undefined), 5000, "the idle query process to stop");
    expect((await query("SELECT 2 AS two")).json.rows).toEqual([{ two: 2 }]);
  });
});
