/**
 * Commands act on their project's runtime: `up` records who it is, the admin API
 * says who it is, and a command that reaches another project's runtime (a stale
 * runtime.json, a reused port) names it, reads this project's database instead,
 * and refuses to change anything. `--dir` picks the project from anywhere;
 * `--admin-url` is used as given.
 */
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "./helpers/commands.js";
import { cleanupProjects, makeElsewhere, makeProject, writeFiles } from "./helpers/project.js";
import { CLI, call, eventually, startUp, type UpProcess } from "./helpers/runtime.js";

const project = (name: string) => ({
  "package.json": JSON.stringify({ name, type: "module" }),
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
const greeter = restate.service({
  name: "greeter",
  handlers: {
    async greet(ctx: restate.Context, who: string) {
      return "${name} greets " + who;
    },
    async wait(ctx: restate.Context) {
      await ctx.sleep(60_000);
    },
  },
});
restate.serve({ services: [greeter] });
`,
});

const cli = (args: string[], cwd: string) => {
  const saved = { admin: process.env.RESTATE_ADMIN_URL, ingress: process.env.RESTATE_INGRESS_URL };
  // A user's shell would not have them; the suite's might (runCommand copies process.env).
  delete process.env.RESTATE_ADMIN_URL;
  delete process.env.RESTATE_INGRESS_URL;
  try {
    return runCommand(process.execPath, [CLI, ...args], { cwd });
  } finally {
    if (saved.admin !== undefined) process.env.RESTATE_ADMIN_URL = saved.admin;
    if (saved.ingress !== undefined) process.env.RESTATE_INGRESS_URL = saved.ingress;
  }
};

let a: string; // runs
let b: string; // stopped, with a database, and a runtime.json left pointing at a's ports
let c: string; // never ran, with a runtime.json of the old format pointing at a's ports
let elsewhere: string;
let upA: UpProcess;
let bInvocation: string;
let aWaiting: string;

beforeAll(async () => {
  // Real paths: a process's cwd is one, so a TMPDIR behind a symlink would otherwise differ.
  a = realpathSync(makeProject(project("alpha"), { depth: 1 }));
  b = realpathSync(makeProject(project("beta"), { depth: 3 }));
  c = realpathSync(makeProject(project("gamma"), { depth: 2 }));
  elsewhere = realpathSync(makeElsewhere(2));
  const upB = await startUp(b);
  bInvocation = (await call(upB.ingressUrl, "/greeter/greet", JSON.stringify("b1"))).headers.get("x-restate-id")!;
  await upB.stop();
  upA = await startUp(a, { cwd: elsewhere, dirArg: relative(elsewhere, a) });
  aWaiting = (await call(upA.ingressUrl, "/greeter/wait/send", "null")).json.invocationId;
  const recordedA = JSON.parse(readFileSync(join(a, ".restate-dev", "runtime.json"), "utf8"));
  // What a crashed runtime leaves behind when another project's runtime later takes its ports.
  writeFileSync(join(b, ".restate-dev", "runtime.json"), JSON.stringify({ ...recordedA, runtime_id: "rt_0000dead", project_dir: b }));
  writeFiles(c, { ".restate-dev/runtime.json": JSON.stringify({ pid: 1, ingressUrl: upA.ingressUrl, adminUrl: upA.adminUrl }) });
});
afterAll(async () => {
  await upA?.stop();
  cleanupProjects();
});


describe("the runtime's identity", () => {
  it("up records a runtime id and the project directory; the admin API sends them", async () => {
    const recorded = JSON.parse(readFileSync(join(a, ".restate-dev", "runtime.json"), "utf8"));
    expect(recorded.runtime_id).toMatch(/^rt_[0-9a-f]{16}$/);
    expect(recorded.project_dir).toBe(a);
    expect(recorded.adminUrl).toBe(upA.adminUrl);
    const health = await fetch(`${upA.adminUrl}/health`);
    expect(health.headers.get("x-restate-dev-runtime")).toBe(recorded.runtime_id);
    expect(await health.json()).toMatchObject({ runtime_id: recorded.runtime_id, project_dir: a, ingress_url: upA.ingressUrl, admin_url: upA.adminUrl });
    // Every admin answer carries the id; ingress answers stay Restate's, except its health.
    expect((await fetch(`${upA.adminUrl}/services`)).headers.get("x-restate-dev-runtime")).toBe(recorded.runtime_id);
    expect((await fetch(`${upA.ingressUrl}/restate/health`)).headers.get("x-restate-dev-runtime")).toBe(recorded.runtime_id);
    expect((await call(upA.ingressUrl, "/greeter/greet", JSON.stringify("x"))).headers.get("x-restate-dev-runtime")).toBeNull();
  });

  it("restate-dev --version prints the package's version", async () => {
    const r = await cli(["--version"], elsewhere);
    expect(r.code).toBe(0);
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe("--dir", () => {
  it("reaches a project's runtime from another directory, by a relative or absolute path", async () => {
    const list = await cli(["invocations", "list", "--json", "--dir", relative(elsewhere, a)], elsewhere);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toBe("");
    expect(JSON.parse(list.stdout).map((i: { id: string }) => i.id)).toContain(aWaiting);
    const inv = await cli(["invoke", "greeter/greet", '"d"', "--dir", a], elsewhere);
    expect(inv.code, inv.stderr).toBe(0);
    expect(inv.stdout.trim()).toBe("alpha greets d");
  });

  it("finds the project from one of its subfolders", async () => {
    const r = await cli(["services", "--json"], join(a, "src"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
  });

  it("a directory that does not exist is exit 2 with a hint", async () => {
    const r = await cli(["invocations", "list", "--dir", join(elsewhere, "nope")], elsewhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: --dir .*nope.* is not a directory/);
    expect(r.stderr).toMatch(/hint: /);
  });
});

describe("another project's runtime answers", () => {
  it("reads this project's database instead, and says which runtime answered", async () => {
    const list = await cli(["invocations", "list", "--json"], b);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toContain(`the runtime of project ${a}`);
    expect(list.stderr).toMatch(/not used; reading \.restate-dev\/runtime\.db read-only/);
    const ids = JSON.parse(list.stdout).map((i: { id: string }) => i.id);
    expect(ids).toContain(bInvocation);
    expect(ids).not.toContain(aWaiting);
    const journal = await cli(["journal", bInvocation, "--dir", b], elsewhere);
    expect(journal.code, journal.stderr).toBe(0);
    expect(journal.stdout).toContain("greeter/greet");
  });

  it("refuses to change anything, naming the runtime that answered and how to reach it", async () => {
    const kill = await cli(["invocations", "kill", "greeter", "-y"], b);
    expect(kill.code).toBe(2);
    expect(kill.stderr).toContain(`error: this project's runtime (${b}) is not running; what answers at ${upA.adminUrl} is the runtime of project ${a}`);
    expect(kill.stderr).toContain(`--dir ${a}`);
    const inv = await cli(["invoke", "greeter/greet", '"b2"'], b);
    expect(inv.code).toBe(2);
    expect(inv.stderr).toContain(`what answers at ${upA.ingressUrl} is the runtime of project ${a}`);
    const clear = await cli(["state", "clear", "greeter", "k", "-y"], b);
    expect(clear.code).toBe(2);
    expect(clear.stderr).toContain(`is the runtime of project ${a}`);
    // Nothing happened to a's invocation.
    const status = await call(upA.adminUrl, `/invocations/${aWaiting}`, undefined, { method: "GET" });
    expect(status.json.status).not.toBe("completed");
  });

  it("with nothing of this project to read, reads the other runtime but says so", async () => {
    const r = await cli(["invocations", "list", "--json"], c);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`reading from the runtime of project ${a}`);
    expect(JSON.parse(r.stdout).map((i: { id: string }) => i.id)).toContain(aWaiting);
  });

  it("an explicit --admin-url is used as given", async () => {
    const r = await cli(["invocations", "list", "--json", "--admin-url", upA.adminUrl], b);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).map((i: { id: string }) => i.id)).toContain(aWaiting);
    const ok = await eventually(async () => ((await cli(["invoke", "greeter/greet", '"e"', "--ingress-url", upA.ingressUrl], b)).code === 0 ? true : undefined));
    expect(ok).toBe(true);
  });
});
