/**
 * Restate's own CLI (`restate` 1.7.12, the npm devDependency @restatedev/restate)
 * against a running `restate-dev up`: the real binary in child processes,
 * pointed at the runtime with RESTATE_ADMIN_URL / RESTATE_INGRESS_URL, with its
 * config directory and HOME in a temp dir (nothing read from or written to the
 * real home). Each command is checked on what it prints and on what it changed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { cleanupProjects, makeProject, writeFiles } from "./helpers/project.js";
import { call, eventually, startUp, type UpProcess } from "./helpers/runtime.js";
import { runCommand, type CommandResult } from "./helpers/commands.js";

const require = createRequire(import.meta.url);
const RESTATE_CLI = join(require.resolve("@restatedev/restate/package.json"), "..", "lib", "index.js");

const source = (extra: string) => `
import * as restate from "@restatedev/restate-sdk";

const counter = restate.object({
  name: "counter",
  handlers: {
    async add(ctx: restate.ObjectContext, n: number) {
      const v = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", v);
      return v;
    },
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("count")) ?? 0),
  },
});

const work = restate.service({
  name: "work",
  handlers: {
    async wait(ctx: restate.Context) {
      return await ctx.awakeable<string>().promise;
    },
    async fail(ctx: restate.Context) {
      throw new Error("always");
    },
    async later(ctx: restate.Context) {
      return "later";
    },${extra}
  },
});

restate.serve({ services: [counter, work] });
`;

let up: UpProcess;
let project: string;
let home: string;

function restate(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return runCommand(process.execPath, [RESTATE_CLI, ...args], {
    // From another directory than the project: the CLI needs only its environment.
    cwd: home,
    env: {
      RESTATE_ADMIN_URL: up.adminUrl,
      RESTATE_INGRESS_URL: up.ingressUrl,
      RESTATE_CLI_CONFIG_HOME: join(home, "restate-cli"),
      HOME: home,
      NO_COLOR: "1",
      ...env,
    },
  });
}

async function ok(args: string[], env?: Record<string, string>): Promise<string> {
  const r = await restate(args, env);
  if (r.code !== 0) throw new Error(`restate ${args.join(" ")} exited with ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

async function admin(path: string, init?: RequestInit): Promise<any> {
  const res = await fetch(`${up.adminUrl}${path}`, init);
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

async function sql(query: string): Promise<any[]> {
  return (await admin("/query", { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify({ query }) })).rows;
}

async function idOf(target: string): Promise<string> {
  const rows = await sql(`SELECT id FROM sys_invocation WHERE target = '${target}' ORDER BY created_at`);
  expect(rows.length, `an invocation of ${target}`).toBeGreaterThan(0);
  return rows[0].id;
}

async function statusOf(id: string): Promise<string | undefined> {
  return (await sql(`SELECT status FROM sys_invocation WHERE id = '${id}'`))[0]?.status;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "restate-cli-home-"));
  project = makeProject({ "src/index.ts": source("") });
  up = await startUp(project);
  expect((await call(up.ingressUrl, "/counter/k/add", 1)).status).toBe(200);
  expect((await call(up.ingressUrl, "/counter/k/add", 2)).status).toBe(200);
  for (const h of ["wait", "fail"]) expect((await call(up.ingressUrl, `/work/${h}/send`, null)).status).toBe(202);
  expect((await call(up.ingressUrl, "/work/later/send?delay=1h", null)).status).toBe(202);
});

afterAll(async () => {
  await up?.stop();
  cleanupProjects();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("the restate CLI 1.7.12 against restate-dev up", () => {
  it("whoami reaches the admin API and the ingress it advertises", async () => {
    const out = await ok(["whoami"]);
    expect(out).toContain(`[OK]: Admin Service '${up.adminUrl}/' is healthy!`);
    expect(out).toContain(`Advertised ingress address  ${up.ingressUrl}/`);
    expect(out).toContain(join(home, "restate-cli"));
  });

  it("services list and describe show the services, their deployment and revision", async () => {
    const [deployment] = (await admin("/deployments")).deployments;
    expect(deployment.id).toMatch(/^dp_1/);
    const list = await ok(["services", "list"]);
    expect(list).toMatch(new RegExp(`counter\\s+1\\s+virtual object\\s+HTTP\\s+${deployment.id}`));
    expect(list).toMatch(new RegExp(`work\\s+1\\s+HTTP\\s+${deployment.id}`));
    const described = await ok(["services", "describe", "counter"]);
    expect(described).toMatch(/Service type:\s+VirtualObject/);
    expect(described).toMatch(new RegExp(`Deployment ID:\\s+${deployment.id}`));
    expect(described).toMatch(/get\s+application\/json\s+application\/json/);
  });

  it("deployments list and describe: one deployment with its services", async () => {
    const [deployment] = (await admin("/deployments")).deployments;
    const list = await ok(["deployments", "list"]);
    expect(list).toContain(deployment.id);
    expect(list).toMatch(/- counter \[1\]/);
    const described = await ok(["deployments", "describe", deployment.id]);
    expect(described).toMatch(new RegExp(`ID:\\s+${deployment.id}`));
    expect(described).toMatch(/- counter\s+Type: VirtualObject/);
    expect(described).toMatch(/- work\s+Type: Service/);
  });

  it("invocations list, with filters, and describe with the journal", async () => {
    const running = await ok(["invocations", "list"]);
    expect(running).toContain("work/wait");
    expect(running).toContain("work/later");
    expect(running).not.toContain("counter/k/add");
    expect(running).toMatch(/Showing 3\/3 invocations/);
    const all = await ok(["invocations", "list", "--all", "--service", "counter"]);
    expect(all).toMatch(/Showing 2\/2 invocations/);
    expect(all).toContain("completed with success");
    const scheduled = await ok(["invocations", "list", "--status", "scheduled"]);
    expect(scheduled).toMatch(/Showing 1\/1 invocations/);
    expect(scheduled).toContain("work/later");
    const described = await ok(["invocations", "describe", await idOf("counter/k/add")]);
    expect(described).toMatch(/Target:\s+counter\/k\/add/);
    expect(described).toMatch(/#1 \[.*\] Command: GetState/);
    expect(described).toMatch(/#2 \[.*\] Command: SetState/);
  });

  it("pause, resume, cancel, kill, purge and restart-as-new act on the invocations", async () => {
    const fail = await idOf("work/fail");
    await eventually(async () => ((await statusOf(fail)) === "backing-off" ? true : undefined), 10_000, "work/fail backing off");
    expect(await ok(["-y", "invocations", "pause", fail])).toContain("[OK]: Paused 1 invocations");
    expect(await statusOf(fail)).toBe("paused");
    expect(await ok(["-y", "invocations", "resume", fail])).toContain("[OK]: Resumed 1 invocations");
    expect(await statusOf(fail)).not.toBe("paused");
    expect(await ok(["-y", "invocations", "kill", fail])).toContain("[OK]: Killed 1 invocations");
    expect(await statusOf(fail)).toBe("completed");

    // A target prefix instead of an id, as the CLI allows.
    expect(await ok(["-y", "invocations", "cancel", "work/wait"])).toContain("[OK]: Cancelled 1 invocations");
    const wait = await idOf("work/wait");
    await eventually(async () => ((await statusOf(wait)) === "completed" ? true : undefined), 10_000, "work/wait cancelled");

    expect(await ok(["-y", "invocations", "purge", fail])).toContain("[OK]: Purged 1 invocations");
    expect(await statusOf(fail)).toBeUndefined();

    const add = await idOf("counter/k/add");
    const restarted = await ok(["-y", "invocations", "restart-as-new", add]);
    const newId = /inv_1\w+\s+(inv_1\w+)/.exec(restarted)?.[1];
    expect(newId, restarted).toBeDefined();
    expect(newId).not.toBe(add);
    await eventually(async () => ((await statusOf(newId!)) === "completed" ? true : undefined), 10_000, "the restarted invocation");
  });

  it("state get, edit and clear", async () => {
    const count = Number(await (await fetch(`${up.ingressUrl}/counter/k/get`, { method: "POST" })).text());
    expect(await ok(["state", "get", "counter", "k", "--plain"])).toContain(`{"count":${count}}`);
    const editor = join(home, "editor.sh");
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/"count": *[0-9]*/"count": 77/' "$1"\n`);
    chmodSync(editor, 0o755);
    expect(await ok(["-y", "state", "edit", "counter", "k"], { RESTATE_EDITOR: editor })).toContain("Successfully submitted state update.");
    expect(await (await fetch(`${up.ingressUrl}/counter/k/get`, { method: "POST" })).text()).toBe("77");
    expect(await ok(["-y", "state", "clear", "counter/k"])).toContain("Enqueued successfully for processing");
    expect(await (await fetch(`${up.ingressUrl}/counter/k/get`, { method: "POST" })).text()).toBe("0");
  });

  it("sql prints a table from the Arrow answer, and --json rows", async () => {
    const table = await ok(["sql", "SELECT target, status, scope, journal_size FROM sys_invocation WHERE target = 'work/later'"]);
    expect(table).toMatch(/TARGET\s+STATUS\s+SCOPE\s+JOURNAL_SIZE/);
    expect(table).toMatch(/work\/later\s+scheduled/);
    expect(table).toContain("1 rows.");
    const json = await ok(["sql", "--json", "SELECT count(*) AS n, 'x' AS s, 1.5 AS f FROM sys_invocation WHERE target = 'work/later'"]);
    expect(JSON.parse(json.slice(json.indexOf("["), json.lastIndexOf("]") + 1))).toEqual([{ n: 1, s: "x", f: 1.5 }]);
    const bad = await restate(["sql", "SELECT * FROM nope"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain("no such table: nope");
  });

  it("rules list, set, disable, enable and delete", async () => {
    expect(await ok(["rules", "list"])).toContain("No rules defined.");
    expect(await ok(["-y", "rules", "set", "t1", "--concurrency", "1", "--description", "one at a time"])).toContain("[OK]: Created rule 't1' (version v1)");
    expect(await ok(["-y", "rules", "set", "lim/*", "--concurrency", "2"])).toContain("[OK]: Created rule 'lim/*' (version v2)");
    expect(await ok(["-y", "rules", "set", "t1", "--concurrency", "3"])).toContain("[OK]: Updated rule 't1' (version v2)");
    expect(await ok(["-y", "rules", "disable", "t1"])).toContain("[OK]: Rule 't1' disabled");
    expect(await ok(["-y", "rules", "enable", "t1"])).toContain("[OK]: Rule 't1' enabled");
    const list = await ok(["rules", "list"]);
    expect(list).toMatch(/lim\/\*\s+2\s+no/);
    expect(list).toMatch(/t1\s+3\s+no/);
    expect(await ok(["-y", "rules", "delete", "lim/*"])).toContain("[OK]: Deleted rule 'lim/*'");
    expect(await sql("SELECT pattern, concurrency, description, disabled, version FROM sys_rules")).toEqual([
      { pattern: "t1", concurrency: 3, description: "one at a time", disabled: false, version: 4 },
    ]);
  });

  it("a new build is a new deployment; services show their new revision", async () => {
    writeFiles(project, { "src/index.ts": source(`\n    async added(ctx: restate.Context) {\n      return "new";\n    },`) });
    const deployments = await eventually(async () => {
      const d = (await admin("/deployments")).deployments;
      return d.length === 2 ? d : undefined;
    }, 30_000, "a second deployment after the change");
    const list = await ok(["deployments", "list"]);
    expect(list).toContain(deployments[0].id);
    expect(list).toContain(deployments[1].id);
    expect(await ok(["services", "list"])).toMatch(new RegExp(`work\\s+2\\s+HTTP\\s+${deployments[0].id}`));
    expect(await ok(["services", "describe", "work"])).toMatch(/added\s+application\/json/);
  });
});
