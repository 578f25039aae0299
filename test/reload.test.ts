/**
 * `up` rebuilds on save: new invocations run the new code, in-flight ones
 * continue on it by replay, a build error keeps the last good build serving,
 * and every in-flight journal is checked against the new code before it resumes
 * (one it would not follow finishes on its own build: reload-pinning.test.ts).
 */
import { relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupProjects, makeElsewhere, makeProject, writeFiles } from "./helpers/project.js";
import { call, eventually, startUp, type UpProcess } from "./helpers/runtime.js";

const source = (version: string, step: string) => ({
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
const greeter = restate.service({
  name: "greeter",
  handlers: {
    async greet(ctx: restate.Context, name: string) {
      await ctx.run("${step}", () => name.toUpperCase());
      await ctx.sleep(1500);
      return "${version} hello " + name;
    },
    async quick(ctx: restate.Context, name: string) {
      return "${version} quick " + name;
    },
  },
});
restate.serve({ services: [greeter] });
`,
});

let dir: string;
let up: UpProcess;
beforeAll(async () => {
  // The project three folders down a temp dir, `up` run from another temp dir by a
  // relative path (as in `restate-dev up templates/shop`): nothing may depend on where
  // the clone, the project or the working directory sit.
  dir = makeProject(source("v1", "shout"), { depth: 3 });
  const cwd = makeElsewhere(1);
  up = await startUp(dir, { cwd, dirArg: relative(cwd, dir) });
  // Run from elsewhere, the ready line's invoke names the project.
  expect(up.output()).toContain(`restate-dev invoke greeter/greet '<input as JSON>' --dir ${relative(cwd, dir)}`);
});
afterAll(async () => {
  await up?.stop();
  cleanupProjects();
});

const reloads = () => up.output().match(/reloaded after a change/g)?.length ?? 0;

async function edit(files: Record<string, string>): Promise<void> {
  const before = reloads();
  writeFiles(dir, files);
  await eventually(() => (reloads() > before ? true : undefined), 10_000, "a reload");
}

describe("hot reload", () => {
  it("new invocations run the new code; a sleeping one finishes on it by replay", async () => {
    expect((await call(up.ingressUrl, "/greeter/quick", JSON.stringify("a"))).json).toBe("v1 quick a");
    const inflight = (await call(up.ingressUrl, "/greeter/greet/send", JSON.stringify("b"))).json.invocationId;
    await edit(source("v2", "shout"));
    expect((await call(up.ingressUrl, "/greeter/quick", JSON.stringify("c"))).json).toBe("v2 quick c");
    const r = await call(up.ingressUrl, `/restate/invocation/${inflight}/attach`, undefined, { method: "GET" });
    expect(r.json).toBe("v2 hello b");
    expect(up.output()).not.toMatch(/journal check/);
  });

  it("keeps in-flight invocations whose journal the new code would not follow on their build, and says so", async () => {
    const inflight = (await call(up.ingressUrl, "/greeter/greet/send", JSON.stringify("d"))).json.invocationId;
    await eventually(async () => ((await call(up.adminUrl, `/invocations/${inflight}`, undefined, { method: "GET" })).json.journal.length > 0 ? true : undefined));
    await edit(source("v3", "whisper"));
    const out = await eventually(() => (up.output().includes(`${inflight} greeter/greet stays on dp_`) ? up.output() : undefined), 5000, "the journal check");
    expect(out).toContain(`(its journal diverges from the new code at entry 1: the journal holds Run 'shout', the code now does Run 'whisper'); it finishes on the code it started with`);
    expect(out).toContain(`restate-dev invocations resume ${inflight} --deployment latest`);
    const check = (await call(up.adminUrl, "/journal-check", undefined, { method: "GET" })).json;
    expect(check.findings).toEqual([expect.objectContaining({ invocationId: inflight, stays: expect.stringMatching(/^dp_/) })]);
    const r = await call(up.ingressUrl, `/restate/invocation/${inflight}/attach`, undefined, { method: "GET" });
    expect(r.json).toBe("v2 hello d");
  });

  it("a build error keeps the last good build serving and shows file:line", async () => {
    writeFiles(dir, { "src/index.ts": "const broken: number = ;\n" });
    await eventually(() => (up.output().includes("build failed") ? true : undefined), 10_000, "the build error");
    expect(up.output()).toMatch(/src\/index\.ts:1:\d+: error:/);
    expect((await call(up.ingressUrl, "/greeter/quick", JSON.stringify("e"))).json).toBe("v3 quick e");
    await edit(source("v4", "whisper"));
    expect((await call(up.ingressUrl, "/greeter/quick", JSON.stringify("f"))).json).toBe("v4 quick f");
  });
});
