/**
 * `up` run inside the project (no directory argument), with the project at a
 * different depth than the checkout: hot reload fires, the reload line names the
 * edited source (not an editor's temp file), and a user error's stack trace names
 * the real source file and line, in the admin API, `invocations describe` and the
 * handler's own log output.
 */
import { existsSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupProjects, makeProject, writeFiles } from "./helpers/project.js";
import { CLI, call, describeInvocation, eventually, startUp, type UpProcess } from "./helpers/runtime.js";

const source = (version: string) => ({
  "src/index.ts": `import * as restate from "@restatedev/restate-sdk";
import { boom } from "./boom.js";
const flaky = restate.service({
  name: "flaky",
  handlers: {
    async hello(ctx: restate.Context, name: string) {
      return "${version} hello " + name;
    },
    async fail(ctx: restate.Context) {
      return boom();
    },
  },
});
restate.serve({ services: [flaky] });
`,
  "src/boom.ts": `// line 1
export function boom(): never {
  const e = new Error("kaboom");
  console.error("logged: " + e.stack);
  throw e;
}
`,
});

let dir: string;
let up: UpProcess;
beforeAll(async () => {
  dir = makeProject(source("v1"), { depth: 2 });
  up = await startUp(dir, { cwd: dir, dirArg: "" });
});
afterAll(async () => {
  await up?.stop();
  cleanupProjects();
});

/** The project as the runtime may name it: as given, or with symlinks (a TMPDIR) resolved. */
const projectPaths = () => [...new Set([dir, realpathSync(dir)])];
const boomAt = (text: string) => projectPaths().some((d) => text.includes(`${join(d, "src", "boom.ts")}:3:`));

describe("up inside the project", () => {
  it("the ready line shows how to call a handler, without guessing its input", () => {
    expect(up.output()).toContain("ready: call a handler with  restate-dev invoke flaky/hello '<input as JSON>'   (without a target it lists them all)");
    expect(up.output()).toContain(`curl -X POST ${up.ingressUrl}/flaky/hello -H 'content-type: application/json' -d '<input as JSON>'`);
  });

  it("reloads on an edit and names the edited file, not the editor's temp file", async () => {
    expect((await call(up.ingressUrl, "/flaky/hello", JSON.stringify("a"))).json).toBe("v1 hello a");
    // An editor's save: a temp file written and removed next to the real one.
    const temp = join(dir, "src", "sedYhvY8h");
    writeFileSync(temp, "x");
    writeFiles(dir, source("v2"));
    rmSync(temp);
    const line = await eventually(() => up.output().match(/reloaded after a change to .*/)?.[0], 10_000, "a reload");
    expect(line).toContain("src/index.ts");
    expect(line).not.toContain("sedYhvY8h");
    expect((await call(up.ingressUrl, "/flaky/hello", JSON.stringify("b"))).json).toBe("v2 hello b");
  });

  it("a user error's stack trace names the real source file and line", async () => {
    const id = (await call(up.ingressUrl, "/flaky/fail/send")).json.invocationId as string;
    const inv = await eventually(async () => {
      const d = await describeInvocation(up.adminUrl, id);
      return d.attempts?.length ? d : undefined;
    });
    const stack = inv.attempts[0].stack as string;
    expect(stack).toContain("kaboom");
    expect(boomAt(stack), stack).toBe(true);
    expect(stack).not.toContain(".restate-dev");
    const file = /\((\/[^:)]+):\d+:\d+\)/.exec(stack.split("\n").find((l) => l.includes("at boom"))!)?.[1];
    expect(file && existsSync(file)).toBe(true);

    // The handler's own log line, as `up` prints it.
    await eventually(() => (up.output().includes("logged: Error: kaboom") ? true : undefined));
    const logged = up.output().slice(up.output().indexOf("logged: Error: kaboom"));
    expect(boomAt(logged.split("\n").slice(0, 3).join("\n"))).toBe(true);

    // `invocations describe`, run from inside the project.
    const r = spawnSync(process.execPath, [CLI, "invocations", "describe", id], { cwd: dir, encoding: "utf8", timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(boomAt(r.stdout), r.stdout).toBe(true);
    await call(up.adminUrl, `/invocations/${id}/kill`, undefined, { method: "PATCH" });
  });
});
