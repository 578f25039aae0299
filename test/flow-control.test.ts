/**
 * Flow control on restate-dev's side (the semantics shared with Restate are in
 * compat/flow_control.test.ts): concurrency slots and rules survive a kill -9 of
 * the runtime, `restate-dev rules …` and `invocations list --scope`, and the
 * testing kit's scoped clients and state.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import * as restate from "../sdk/index.js";
import { RestateTestEnvironment } from "../testing/index.js";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { CLI, call, eventually, startUp, type UpProcess } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";

const work = restate.service({
  name: "work",
  handlers: {
    async hold(ctx: restate.Context, ms: number) {
      const start = await ctx.run("start", () => Date.now());
      await ctx.sleep(ms);
      const end = await ctx.run("end", () => Date.now());
      return { start, end, scope: ctx.request().scope ?? null };
    },
  },
});

restate.serve({ services: [work] });
`,
};

function cli(args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", (code) => resolve({ code, out }));
  });
}

async function sql(up: UpProcess, query: string): Promise<any[]> {
  return (await call(up.adminUrl, "/query", { query }, { headers: { accept: "application/json" } })).json.rows;
}

afterAll(() => cleanupProjects());

describe("concurrency rules and slots across a kill -9", () => {
  it("a pending invocation stays pending until the running one completes, after the restart too", async () => {
    const dir = makeProject(PROJECT);
    let up = await startUp(dir);
    try {
      const put = await call(up.adminUrl, "/limits/rules", [{ pattern: "c1", limits: { concurrency: 1 } }], { method: "PUT" });
      expect(put.status).toBe(200);
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await call(up.ingressUrl, "/restate/scope/c1/send/work/hold", 1500);
        expect(r.status).toBe(202);
        ids.push(r.json.invocationId);
      }
      await eventually(async () => {
        const rows = await sql(up, `SELECT id, status FROM sys_invocation WHERE scope = 'c1' ORDER BY created_at`);
        return rows[0]?.status === "running" && rows[1]?.status === "pending" ? rows : undefined;
      }, 10_000, "one running, one pending");
      await up.kill();

      up = await startUp(dir);
      expect(await sql(up, "SELECT pattern, concurrency FROM sys_rules")).toEqual([{ pattern: "c1", concurrency: 1 }]);
      const [first, second] = await Promise.all(
        ids.map((id) => call(up.ingressUrl, `/restate/invocation/${id}/attach`, undefined, { method: "GET" }).then((r) => r.json as { start: number; end: number; scope: string })),
      );
      expect(first!.scope).toBe("c1");
      // The second ran only once the first had completed.
      expect(second!.start).toBeGreaterThanOrEqual(first!.end);
    } finally {
      await up.stop();
    }
  });
});

describe("restate-dev rules and invocations list --scope", () => {
  it("sets, lists, disables and deletes rules; lists invocations of one scope with their limit key", async () => {
    const dir = makeProject(PROJECT);
    const up = await startUp(dir);
    try {
      const set = await cli(["rules", "set", "t1", "--concurrency", "2", "--description", "two at a time"], dir);
      expect(set.code, set.out).toBe(0);
      expect(set.out).toContain("created rule 't1' (version v1): at most 2 running at once");
      expect((await cli(["rules", "set", "t1", "--concurrency", "3"], dir)).out).toContain("updated rule 't1' (version v2)");
      expect((await cli(["rules", "disable", "t1"], dir)).out).toContain("rule 't1' disabled (version v3)");
      const list = await cli(["rules", "list"], dir);
      expect(list.out).toMatch(/t1\s+3\s+yes\s+v3\s+two at a time/);
      const bad = await cli(["rules", "set", "a b", "--concurrency", "1"], dir);
      expect(bad.code).not.toBe(0);
      expect(bad.out).toContain("each level is '*' or 1–36 characters");
      expect((await cli(["rules", "set", "t2"], dir)).out).toContain("pass --concurrency <n> (1 or more), or --unlimited");
      expect((await cli(["rules", "delete", "t1", "-y"], dir)).out).toContain("deleted rule 't1'");
      expect((await cli(["rules", "list"], dir)).out).toContain("no rules defined");

      expect((await call(up.ingressUrl, "/restate/scope/t9/call/work/hold", 1, { headers: { "x-restate-limit-key": "u/1" } })).status).toBe(200);
      expect((await call(up.ingressUrl, "/work/hold", 1)).status).toBe(200);
      const scoped = await cli(["invocations", "list", "--scope", "t9"], dir);
      expect(scoped.out).toMatch(/work\/hold\s+t9 \(u\/1\)\s+completed/);
      expect(scoped.out.trim().split("\n")).toHaveLength(2);
    } finally {
      await up.stop();
    }
  });
});

describe("the testing kit's scoped clients", () => {
  const counter = restate.object({
    name: "counter",
    handlers: {
      async add(ctx: restate.ObjectContext, n: number) {
        const v = ((await ctx.get<number>("count")) ?? 0) + n;
        ctx.set("count", v);
        return { v, scope: ctx.request().scope ?? null, limitKey: ctx.request().limitKey ?? null };
      },
    },
  });

  it("client.scope(s) calls in s, with limitKey from rpc.opts; stateOf reads and writes a scope's instance", async () => {
    const env = await RestateTestEnvironment.start({ services: [counter] });
    try {
      expect(await env.client.objectClient(counter, "k").add(1)).toEqual({ v: 1, scope: null, limitKey: null });
      expect(await env.client.scope("t1").objectClient(counter, "k").add(10, restate.rpc.opts({ limitKey: "a" }))).toEqual({ v: 10, scope: "t1", limitKey: "a" });
      expect(await env.stateOf(counter, "k").get("count")).toBe(1);
      expect(await env.stateOf(counter, "k", { scope: "t1" }).get("count")).toBe(10);
      await env.stateOf(counter, "k", { scope: "t2" }).set("count", 100);
      expect(await env.client.scope("t2").objectClient(counter, "k").add(1)).toMatchObject({ v: 101, scope: "t2" });
      const sent = await env.client.scope("t1").objectSendClient(counter, "k").add(5);
      expect(await env.client.result(sent)).toMatchObject({ v: 15, scope: "t1" });
    } finally {
      await env.stop();
    }
  });
});
