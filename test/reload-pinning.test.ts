/**
 * Hot reload pinning: every build is a deployment; on a reload an in-flight
 * invocation whose journal the new code would not follow stays on the build it
 * started on (whose worker lives until nothing pinned to it is left), one the
 * new code follows moves to it, and `resume --deployment latest` moves one by
 * hand. Pins survive kill -9 of `up`.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupProjects, makeProject, writeFiles } from "./helpers/project.js";
import { CLI, call, describeInvocation, eventually, startUp, type UpProcess } from "./helpers/runtime.js";
import { runCommand } from "./helpers/commands.js";

const RESTATE_CLI = join(createRequire(import.meta.url).resolve("@restatedev/restate/package.json"), "..", "lib", "index.js");

/** Restate's own CLI (1.7.12) against `up`, from a directory of its own. */
function restate(up: UpProcess, args: string[]) {
  const home = mkdtempSync(join(tmpdir(), "restate-cli-home-"));
  return runCommand(process.execPath, [RESTATE_CLI, ...args], {
    cwd: home,
    env: { RESTATE_ADMIN_URL: up.adminUrl, RESTATE_INGRESS_URL: up.ingressUrl, RESTATE_CLI_CONFIG_HOME: join(home, "restate-cli"), HOME: home, NO_COLOR: "1" },
  });
}

/** The CLI as a user runs it, from the project's parent directory (--dir names the project). */
const runCli = (args: string[], dir: string) => runCommand(process.execPath, [CLI, ...args, "--dir", dir], { cwd: join(dir, "..") });

afterAll(cleanupProjects);

// greet journals Run '<step>', then waits on an awakeable whose id (and the
// worker thread's id) it publishes in a file named after its input. Every worker
// thread touches a heartbeat file while its event loop runs: a stopped one stops.
const source = (version: string, step: string) => ({
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { threadId } from "node:worker_threads";

setInterval(() => writeFileSync(join(process.env.AWAKEABLES!, "beat-" + threadId), String(Date.now())), 20);

const greeter = restate.service({
  name: "greeter",
  handlers: {
    async greet(ctx: restate.Context, name: string) {
      const upper = await ctx.run("${step}", () => name.toUpperCase());
      const { id, promise } = ctx.awakeable<string>();
      await ctx.run("publish", () => writeFileSync(join(process.env.AWAKEABLES!, name + ".json"), JSON.stringify({ id, thread: threadId })));
      const said = await promise;
      return "${version} " + said + " " + upper;
    },
    async quick(ctx: restate.Context, name: string) {
      return "${version} quick " + name;
    },
  },
});
restate.serve({ services: [greeter] });
`,
});

function project(): { dir: string; env: Record<string, string> } {
  const dir = makeProject({ ...source("v1", "shout"), "awakeables/.keep": "" });
  return { dir, env: { AWAKEABLES: join(dir, "awakeables") } };
}

/** A worker thread is alive while its heartbeat file keeps changing (see the project above). */
const alive = async (beat: string) => {
  const before = readFileSync(beat, "utf8");
  await new Promise((r) => setTimeout(r, 150));
  return readFileSync(beat, "utf8") !== before;
};

/** Sends greet(name) and waits until it waits on its awakeable: its id and the heartbeat file of the worker it runs on. */
async function startGreet(up: UpProcess, dir: string, name: string): Promise<{ invocationId: string; awakeable: string; beat: string }> {
  const sent = await call(up.ingressUrl, "/greeter/greet/send", JSON.stringify(name));
  expect(sent.status).toBe(202);
  const file = join(dir, "awakeables", `${name}.json`);
  const published = await eventually(() => (existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined), 10_000, `greet(${name}) to wait`);
  // The publish step is durable before the handler goes on: wait for its ack, so the journal holds it.
  await eventually(async () => ((await describeInvocation(up.adminUrl, sent.json.invocationId)).journal.length >= 3 ? true : undefined));
  return { invocationId: sent.json.invocationId, awakeable: published.id, beat: join(dir, "awakeables", `beat-${published.thread}`) };
}

async function resolve(up: UpProcess, awakeable: string, value: string): Promise<void> {
  const r = await call(up.ingressUrl, `/restate/awakeables/${awakeable}/resolve`, JSON.stringify(value));
  expect(r.status).toBe(202);
}

async function attach(up: UpProcess, id: string): Promise<unknown> {
  return (await call(up.ingressUrl, `/restate/invocation/${id}/attach`, undefined, { method: "GET" })).json;
}

/** `up` printed `text` (its output arrives over a pipe, maybe after an HTTP answer sent later). */
const printed = (up: UpProcess, text: string) => eventually(() => (up.output().includes(text) ? true : undefined), 5000, `up to print ${text}`);

const reloads = (up: UpProcess) => up.output().match(/reloaded after a change/g)?.length ?? 0;

/** Writes the new code and waits until the newest build serves it (`quick` answers with its version). */
async function edit(up: UpProcess, dir: string, files: Record<string, string>, version: string): Promise<void> {
  const before = reloads(up);
  writeFiles(dir, files);
  await eventually(() => (reloads(up) > before ? true : undefined), 10_000, "a reload");
  await eventually(async () => ((await call(up.ingressUrl, "/greeter/quick", JSON.stringify("q"))).json === `${version} quick q` ? true : undefined), 10_000, `${version} to serve`);
}

async function deployments(up: UpProcess): Promise<Array<{ id: string; latest: boolean; bundle_kept: boolean; pinned_invocation_count: number; pinned_invocations: string[] }>> {
  return (await call(up.adminUrl, "/deployments", undefined, { method: "GET" })).json.deployments;
}

const bundles = (dir: string) => readdirSync(join(dir, ".restate-dev", "build")).filter((f) => f.endsWith(".mjs")).sort();

describe("hot reload pinning", () => {
  it("a divergent in-flight invocation stays on its build and completes on its old code, with no 570 attempt; its worker then exits", async () => {
    const { dir, env } = project();
    const up = await startUp(dir, { env });
    try {
      const inflight = await startGreet(up, dir, "a");
      const [first] = await deployments(up);
      // The newest build names no invocations (that would be every one in flight), only how many.
      expect([first!.pinned_invocation_count, first!.pinned_invocations]).toEqual([1, []]);

      await edit(up, dir, source("v2", "whisper"), "v2");
      const line = `${inflight.invocationId} greeter/greet stays on ${first!.id} (its journal diverges from the new code at entry 1: the journal holds Run 'shout', the code now does Run 'whisper'); it finishes on the code it started with. To move it anyway: restate-dev invocations resume ${inflight.invocationId} --deployment latest`;
      await printed(up, line);
      // New invocations run the newest build meanwhile; the old worker still runs the pinned one.
      expect((await call(up.ingressUrl, "/greeter/quick", JSON.stringify("q"))).json).toBe("v2 quick q");
      expect(await alive(inflight.beat)).toBe(true);
      const listed = await deployments(up);
      expect(listed.map((d) => [d.latest, d.bundle_kept, d.pinned_invocation_count, d.pinned_invocations])).toEqual([
        [true, true, 0, []],
        [false, true, 1, [inflight.invocationId]],
      ]);
      const described = await describeInvocation(up.adminUrl, inflight.invocationId);
      expect(described.pinned_deployment_id).toBe(first!.id);
      const sql = await call(up.adminUrl, "/query", { query: `SELECT pinned_deployment_id FROM sys_invocation WHERE id = '${inflight.invocationId}'` }, { headers: { accept: "application/json" } });
      expect(sql.json.rows).toEqual([{ pinned_deployment_id: first!.id }]);
      expect(bundles(dir)).toHaveLength(2);
      // The CLI shows it too: the build in describe, the builds in services.
      const describe = await runCli(["invocations", "describe", inflight.invocationId], dir);
      expect(describe.stdout).toMatch(new RegExp(`deployment\\s+${first!.id} \\(build 1\\)`));
      expect(describe.stdout).toContain("an older build: it finishes on the code it started with");
      const services = await runCli(["services"], dir);
      expect(services.stdout).toContain(`build 1 ${first!.id} (older): 1 invocation (${inflight.invocationId}), on the code it started with`);
      expect(services.stdout).toMatch(/build 2 dp_\w+ \(newest\)/);

      await resolve(up, inflight.awakeable, "hello");
      expect(await attach(up, inflight.invocationId)).toBe("v1 hello A");
      const done = await describeInvocation(up.adminUrl, inflight.invocationId);
      expect(done.attempts).toEqual([]);
      expect(done.retry_count).toBe(0);
      expect(up.output()).not.toMatch(/\[570\]|journal mismatch/);

      // Nothing is pinned to the first build any more: its worker exits and its bundle goes.
      await eventually(async () => ((await alive(inflight.beat)) ? undefined : true), 5000, "the old build's worker to exit");
      await eventually(async () => ((await deployments(up))[1]!.bundle_kept ? undefined : true), 5000, "the old bundle to be dropped");
      await eventually(() => (bundles(dir).length === 1 ? true : undefined), 5000, "the old bundle file to be removed");
      await printed(up, `nothing runs on ${first!.id} (build 1) any more: its worker stopped, its bundle is removed`);
    } finally {
      await up.stop();
    }
  });

  it("a compatible in-flight invocation moves to the new build and completes on the new code", async () => {
    const { dir, env } = project();
    const up = await startUp(dir, { env });
    try {
      const inflight = await startGreet(up, dir, "b");
      await edit(up, dir, source("v2", "shout"), "v2");
      expect(up.output()).not.toContain("stays on");
      const [latest] = await deployments(up);
      await eventually(async () => ((await describeInvocation(up.adminUrl, inflight.invocationId)).pinned_deployment_id === latest!.id ? true : undefined));
      await resolve(up, inflight.awakeable, "hi");
      expect(await attach(up, inflight.invocationId)).toBe("v2 hi B");
      // Its old worker had nothing left: it is gone, quietly (nothing stayed on that build).
      await eventually(async () => ((await alive(inflight.beat)) ? undefined : true), 5000, "the old worker to exit");
      await eventually(() => (bundles(dir).length === 1 ? true : undefined), 5000, "the old bundle file to be removed");
      expect(up.output()).not.toContain("nothing runs on");
    } finally {
      await up.stop();
    }
  });

  it("a pinned invocation keeps its own build's options: its retry policy, not the new code's", async () => {
    // fails() journals Run '<step>', waits on an awakeable, then throws: v1 kills after 2 attempts, v2 would retry 1000 times.
    const failing = (step: string, attempts: number) => ({
      "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
const policy = restate.service({
  name: "policy",
  handlers: {
    fails: restate.handlers.handler({ retryPolicy: { maxAttempts: ${attempts}, onMaxAttempts: "kill", initialInterval: 20, maxInterval: 20 } }, async (ctx: restate.Context) => {
      await ctx.run("${step}", () => 1);
      const { id, promise } = ctx.awakeable<string>();
      await ctx.run("publish", () => writeFileSync(join(process.env.AWAKEABLES!, "policy.json"), JSON.stringify({ id })));
      await promise;
      throw new Error("always");
    }),
    async version() {
      return "${step}";
    },
  },
});
restate.serve({ services: [policy] });
`,
    });
    const dir = makeProject({ ...failing("one", 2), "awakeables/.keep": "" });
    const up = await startUp(dir, { env: { AWAKEABLES: join(dir, "awakeables") } });
    try {
      const sent = await call(up.ingressUrl, "/policy/fails/send", undefined);
      expect(sent.status).toBe(202);
      const file = join(dir, "awakeables", "policy.json");
      const { id: awakeable } = await eventually(() => (existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined), 10_000, "fails() to wait");
      await eventually(async () => ((await describeInvocation(up.adminUrl, sent.json.invocationId)).journal.length >= 3 ? true : undefined));
      const before = reloads(up);
      writeFiles(dir, failing("two", 1000));
      await eventually(() => (reloads(up) > before ? true : undefined), 10_000, "a reload");
      await printed(up, `${sent.json.invocationId} policy/fails stays on dp_`);
      await resolve(up, awakeable, "go");
      // Killed after the second attempt, as its build says (the new build's 1000 attempts would take 20 s).
      const done = await eventually(async () => {
        const d = await describeInvocation(up.adminUrl, sent.json.invocationId);
        return d.status === "completed" ? d : undefined;
      }, 10_000, "the invocation to be killed by its own build's retry policy");
      expect(done.retry_count).toBeLessThanOrEqual(2);
      // Out of attempts with onMaxAttempts "kill": it ends with its last failure.
      expect(await attach(up, sent.json.invocationId)).toMatchObject({ code: 500, message: "always" });
    } finally {
      await up.stop();
    }
  });

  it("a pinned invocation survives kill -9 of up and resumes on its own build after the restart", async () => {
    const { dir, env } = project();
    let up = await startUp(dir, { env });
    const inflight = await startGreet(up, dir, "c");
    const [first] = await deployments(up);
    await edit(up, dir, source("v2", "whisper"), "v2");
    await printed(up, `${inflight.invocationId} greeter/greet stays on ${first!.id}`);
    await up.kill();
    // kill -9 takes the worker threads with the runtime.
    up = await startUp(dir, { env });
    try {
      // The start checks the recovered journals against the current code, as a reload does.
      await printed(up, `${inflight.invocationId} greeter/greet stays on ${first!.id} (its journal diverges from the new code at entry 1`);
      expect((await call(up.ingressUrl, "/greeter/quick", JSON.stringify("q"))).json).toBe("v2 quick q");
      await resolve(up, inflight.awakeable, "again");
      expect(await attach(up, inflight.invocationId)).toBe("v1 again C");
      const done = await describeInvocation(up.adminUrl, inflight.invocationId);
      expect(done.attempts).toEqual([]);
      expect(done.pinned_deployment_id).toBe(first!.id);
      await eventually(async () => ((await deployments(up)).find((d) => d.id === first!.id)!.bundle_kept ? undefined : true), 5000, "the old bundle to be dropped");
    } finally {
      await up.stop();
    }
  });

  it("resume --deployment latest moves a pinned invocation to the newest build", async () => {
    const { dir, env } = project();
    const up = await startUp(dir, { env });
    try {
      const inflight = await startGreet(up, dir, "d");
      const [first] = await deployments(up);
      await edit(up, dir, source("v2", "whisper"), "v2");
      await printed(up, `${inflight.invocationId} greeter/greet stays on ${first!.id}`);
      const [latest] = await deployments(up);

      const bad = await runCli(["invocations", "resume", inflight.invocationId, "--deployment", "dp_nope", "--yes"], dir);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain("does not exist");

      const moved = await runCli(["invocations", "resume", inflight.invocationId, "--deployment", "latest", "--yes"], dir);
      expect(moved.stdout + moved.stderr).toContain("moved to the newest build");
      expect(moved.code).toBe(0);
      // It runs the new code now: which does not follow its journal, as the reload said.
      const described = await eventually(async () => {
        const d = await describeInvocation(up.adminUrl, inflight.invocationId);
        return d.attempts.length > 0 ? d : undefined;
      }, 10_000, "an attempt on the new code");
      expect(described.pinned_deployment_id).toBe(latest!.id);
      expect(described.attempts[0].code).toBe(570);
      expect(described.attempts[0].message).toMatch(/Run 'shout'.*Run 'whisper'|whisper/);
      // Nothing is pinned to the first build any more: its worker exits.
      await eventually(async () => ((await alive(inflight.beat)) ? undefined : true), 5000, "the old build's worker to exit");
      expect((await deployments(up)).find((d) => d.id === first!.id)!.pinned_invocations).toEqual([]);
    } finally {
      await up.stop();
    }
  });

  it("the restate CLI's invocations resume --deployment latest moves one as well", async () => {
    const { dir, env } = project();
    const up = await startUp(dir, { env });
    try {
      const inflight = await startGreet(up, dir, "e");
      await edit(up, dir, source("v2", "whisper"), "v2");
      await printed(up, `${inflight.invocationId} greeter/greet stays on dp_`);
      const [latest] = await deployments(up);
      const r = await restate(up, ["-y", "invocations", "resume", inflight.invocationId, "--deployment", "latest"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      await eventually(async () => ((await describeInvocation(up.adminUrl, inflight.invocationId)).pinned_deployment_id === latest!.id ? true : undefined), 5000, "the move");
      await eventually(async () => ((await alive(inflight.beat)) ? undefined : true), 5000, "the old build's worker to exit");
    } finally {
      await up.stop();
    }
  });
});
