/** Durable timers, suspension, and calls that survive SIGKILL of the runtime. */
import { afterAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { join } from "node:path";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { call, describeInvocation, eventually, sleep, startUp } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
import { appendFileSync } from "node:fs";

const log = (line: string) => appendFileSync(process.env.LOG!, line + "\\n");

const ledger = restate.object({
  name: "ledger",
  handlers: {
    async credit(ctx: restate.ObjectContext, n: number) {
      await ctx.run("log", () => log("credit " + ctx.key + " " + n));
      const v = ((await ctx.get<number>("balance")) ?? 0) + n;
      ctx.set("balance", v);
      return v;
    },
    balance: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("balance")) ?? 0),
  },
});

const timers = restate.service({
  name: "timers",
  handlers: {
    napper: restate.handlers.handler({ inactivityTimeout: 200 }, async (ctx: restate.Context, ms: number) => {
      const started = await ctx.date.now();
      await ctx.sleep(ms, "nap");
      const woke = await ctx.date.now();
      return { started, woke };
    }),
    async transfer(ctx: restate.Context, key: string) {
      // Calls whose parent may be killed between journaling and completing.
      await ctx.sleep(300);
      const a = await ctx.objectClient(ledger, key).credit(1);
      await ctx.sleep(300);
      const b = await ctx.objectClient(ledger, key).credit(2);
      return [a, b];
    },
  },
});

restate.serve({ services: [ledger, timers] });
`,
};

afterAll(cleanupProjects);

describe("timers and suspension", () => {
  it("a sleeping handler suspends after its inactivity timeout and resumes by replay when the timer fires", async () => {
    const dir = makeProject(PROJECT);
    const up = await startUp(dir, { env: { LOG: join(dir, "log") } });
    const sent = await call(up.ingressUrl, "/timers/napper/send", 1500);
    const id = sent.json.invocationId;
    const suspended = await eventually(async () => {
      const d = await describeInvocation(up.adminUrl, id);
      return d.status === "suspended" ? d : undefined;
    }, 3000, "suspension");
    expect(suspended.journal.map((e: any) => [e.type, e.completed])).toEqual([
      ["Run", true],
      ["Sleep", false],
    ]);
    const r = await call(up.ingressUrl, `/restate/invocation/${id}/attach`, undefined, { method: "GET" });
    expect(r.status).toBe(200);
    expect(r.json.woke - r.json.started).toBeGreaterThanOrEqual(1500);
    await up.stop();
  });

  it("a sleeping invocation survives SIGKILL of the runtime and wakes on time", async () => {
    const dir = makeProject(PROJECT);
    let up = await startUp(dir, { env: { LOG: join(dir, "log") } });
    const sent = await call(up.ingressUrl, "/timers/napper/send", 2000);
    await eventually(async () => ((await describeInvocation(up.adminUrl, sent.json.invocationId)).journal.length === 2 ? true : undefined));
    await up.kill();
    await sleep(300);
    up = await startUp(dir, { env: { LOG: join(dir, "log") } });
    const r = await call(up.ingressUrl, `/restate/invocation/${sent.json.invocationId}/attach`, undefined, { method: "GET" });
    expect(r.status).toBe(200);
    const slept = r.json.woke - r.json.started;
    expect(slept).toBeGreaterThanOrEqual(2000);
    expect(slept).toBeLessThan(4000);
    await up.stop();
  });

  it("a timer that fell due while the runtime was down fires at start", async () => {
    const dir = makeProject(PROJECT);
    let up = await startUp(dir, { env: { LOG: join(dir, "log") } });
    const sent = await call(up.ingressUrl, "/timers/napper/send", 500);
    await eventually(async () => ((await describeInvocation(up.adminUrl, sent.json.invocationId)).journal.length === 2 ? true : undefined));
    await up.kill();
    await sleep(800);
    up = await startUp(dir, { env: { LOG: join(dir, "log") } });
    const r = await call(up.ingressUrl, `/restate/invocation/${sent.json.invocationId}/attach`, undefined, { method: "GET" });
    expect(r.status).toBe(200);
    await up.stop();
  });

  it("calls made around SIGKILLs run their callee exactly once", async () => {
    const dir = makeProject(PROJECT);
    const log = join(dir, "log");
    let up = await startUp(dir, { env: { LOG: log } });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await call(up.ingressUrl, "/timers/transfer/send", JSON.stringify(`acct${i}`))).json.invocationId);
    for (let k = 0; k < 3; k++) {
      await sleep(150 + Math.random() * 300);
      await up.kill();
      up = await startUp(dir, { env: { LOG: log } });
    }
    for (const id of ids) {
      const r = await call(up.ingressUrl, `/restate/invocation/${id}/attach`, undefined, { method: "GET" });
      expect(r.json).toEqual([1, 3]);
    }
    for (let i = 0; i < 6; i++) expect((await call(up.ingressUrl, `/ledger/acct${i}/balance`)).json).toBe(3);
    // Each callee invocation exists once per call entry: never lost, never doubled.
    await up.stop();
    const db = new Database(join(dir, ".restate-dev", "runtime.db"), { readonly: true });
    const credits = db.prepare("SELECT COUNT(*) AS n FROM invocations WHERE service = 'ledger' AND handler = 'credit'").get() as { n: number };
    db.close();
    expect(credits.n).toBe(12);
  });
});
