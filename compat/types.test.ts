/**
 * Type-level compatibility (tsc only, no runtime): the templates, the fixtures and
 * compat/types/*.ts compile against the real @restatedev/restate-sdk .d.ts AND
 * against restate-dev's SDK types (dist/sdk, built by npm run build), each side
 * mapping `@restatedev/restate-sdk` and `restate-dev/sdk` with tsconfig paths.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO } from "./harness/targets.js";

const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const run = promisify(execFile);

async function tsc(project: string): Promise<{ ok: boolean; output: string }> {
  try {
    const r = await run(process.execPath, [TSC, "-p", join(REPO, project), "--pretty", "false"], { cwd: REPO });
    return { ok: true, output: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}

describe("types", () => {
  it.concurrent.each([
    ["compat/types/tsconfig.real.json", "templates, fixtures and api_usage.ts against @restatedev/restate-sdk's types"],
    ["compat/types/tsconfig.dev.json", "the same against restate-dev's SDK types"],
    ["compat/tsconfig.json", "the compatibility suite's own code"],
  ])("%s compiles (%s)", async (project) => {
    const r = await tsc(project);
    expect(r.output).toBe("");
    expect(r.ok).toBe(true);
  });

  it("known difference: sdk-clients given a restate-dev definition as a value sees no handlers", async () => {
    // sdk-clients finds handlers through @restatedev/restate-sdk-core's own
    // definition types; restate-dev's definitions are not those types, so its typed
    // clients come out empty (IngressClient<unknown>). clients_usage.ts shows the
    // form that compiles with both; clients_by_value.ts compiles on the real side.
    const r = await tsc("compat/types/tsconfig.dev-clients.json");
    expect(r.ok).toBe(false);
    const errors = r.output.split("\n").filter((l) => l.includes("error TS"));
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(e).toMatch(/^compat\/types\/clients_by_value\.ts\(\d+,\d+\): error TS\d+: (Property '\w+' does not exist on type 'Ingress\w*Client<unknown>'|This expression is not callable)/);
    }
  });
});
