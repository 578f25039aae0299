/** User code that exits its process, throws, or crashes the worker costs only a retry. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { call, describeInvocation, startUp, type UpProcess } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

// Marker files outlive the worker thread, so "first attempt" survives its crash.
function firstTime(name: string): boolean {
  const f = process.env.MARKERS + "/" + name;
  if (existsSync(f)) return false;
  writeFileSync(f, "x");
  return true;
}

const flaky = restate.service({
  name: "flaky",
  handlers: {
    async exitOnce(ctx: restate.Context, name: string) {
      const before = await ctx.run("before", () => "step-1 done");
      if (firstTime(name)) process.exit(1);
      return before + ", then succeeded after a worker crash";
    },
    async throwOnce(ctx: restate.Context, name: string) {
      if (firstTime(name)) throw new Error("transient failure");
      return "ok";
    },
    async ping() {
      return "pong";
    },
    async readsProjectFile() {
      return readFileSync("data.txt", "utf8").trim();
    },
    loopOnce: restate.handlers.handler({ inactivityTimeout: 300, abortTimeout: 300 }, async (ctx: restate.Context, name: string) => {
      const before = await ctx.run("before", () => "step-1 done");
      if (firstTime(name)) for (;;) {} // never yields: the worker thread is stuck
      return before + ", then succeeded after the stuck worker was stopped";
    }),
  },
});

restate.serve({ services: [flaky] });
`,
  "data.txt": "from the project directory\n",
};

let up: UpProcess;
beforeAll(async () => {
  const dir = makeProject(PROJECT);
  up = await startUp(dir, { env: { MARKERS: dir } });
});
afterAll(async () => {
  await up?.stop();
  cleanupProjects();
});

describe("worker crashes", () => {
  it("retries an invocation whose worker called process.exit, and the runtime stays up", async () => {
    const pid = up.proc.pid;
    const r = await call(up.ingressUrl, "/flaky/exitOnce", JSON.stringify("e1"));
    expect(r.status).toBe(200);
    expect(r.json).toBe("step-1 done, then succeeded after a worker crash");
    const inv = await describeInvocation(up.adminUrl, r.headers.get("x-restate-id")!);
    expect(inv.retry_count).toBe(1);
    expect(inv.journal.map((e: any) => e.name)).toEqual(["before"]);
    expect(up.proc.exitCode).toBeNull();
    expect(up.proc.pid).toBe(pid);
    expect((await call(up.ingressUrl, "/flaky/ping")).json).toBe("pong");
    expect(up.output()).toMatch(/worker thread ended \(exit code 1\)/);
  });

  it("stops a worker stuck in an endless loop and retries on a new one; the runtime stays up", async () => {
    const pid = up.proc.pid;
    const r = await call(up.ingressUrl, "/flaky/loopOnce", JSON.stringify("l1"));
    expect(r.status).toBe(200);
    expect(r.json).toBe("step-1 done, then succeeded after the stuck worker was stopped");
    const inv = await describeInvocation(up.adminUrl, r.headers.get("x-restate-id")!);
    expect(inv.retry_count).toBeGreaterThanOrEqual(1);
    expect(inv.journal.map((e: any) => e.name)).toEqual(["before"]);
    expect(up.proc.pid).toBe(pid);
    expect(up.output()).toMatch(/event loop has not turned for 1000 ms/);
    expect((await call(up.ingressUrl, "/flaky/ping")).json).toBe("pong");
  });

  it("user code opens files relative to the project, though up was started elsewhere", async () => {
    expect(up.projectDir).not.toBe(process.cwd());
    expect((await call(up.ingressUrl, "/flaky/readsProjectFile")).json).toBe("from the project directory");
  });

  it("retries a handler that throws a plain Error", async () => {
    const r = await call(up.ingressUrl, "/flaky/throwOnce", JSON.stringify("t1"));
    expect(r.status).toBe(200);
    const inv = await describeInvocation(up.adminUrl, r.headers.get("x-restate-id")!);
    expect(inv.retry_count).toBe(1);
    expect(inv.last_failure.message).toBe("transient failure");
  });
});
