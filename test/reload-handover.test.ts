/**
 * Hot reload hands an attempt over without ever running it on two workers:
 * an attempt busy in a ctx.run past the deadline has its old worker stopped
 * first, and only then continues on the new build; an old worker stops as soon
 * as it holds no attempt, whatever ended them.
 */
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupProjects, makeProject, writeFiles } from "./helpers/project.js";
import { call, eventually, startUp } from "./helpers/runtime.js";

afterAll(cleanupProjects);

const source = (version: string) => ({
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
import { appendFileSync } from "node:fs";
import { threadId } from "node:worker_threads";

const LOG = process.env.STEP_LOG!;
// Workers are threads of the runtime, told apart by their thread id. Each one logs
// a heartbeat every 10 ms while its event loop runs: a stopped worker logs nothing more.
const log = (line: object) => appendFileSync(LOG, JSON.stringify({ ...line, pid: threadId, at: Date.now() }) + "\\n");
setInterval(() => log({ what: "beat" }), 10);

const slow = restate.service({
  name: "slow",
  handlers: {
    async step(ctx: restate.Context, ms: number) {
      await ctx.run("long", async () => {
        log({ what: "start" });
        await new Promise((r) => setTimeout(r, ms));
        log({ what: "end" });
      });
      return "${version}";
    },
  },
});
restate.serve({ services: [slow] });
`,
});

type Line = { what: "start" | "end" | "beat"; pid: number; at: number };
const all = (file: string): Line[] => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : []);
const lines = (file: string): Line[] => all(file).filter((l) => l.what !== "beat");
/** The last heartbeat of a worker thread (see the project above). */
const lastBeat = (file: string, id: number) => Math.max(...all(file).filter((l) => l.what === "beat" && l.pid === id).map((l) => l.at));
const alive = async (file: string, id: number) => {
  const before = lastBeat(file, id);
  await new Promise((r) => setTimeout(r, 100));
  return lastBeat(file, id) > before;
};

describe("hot reload hand-over", () => {
  it("a step still running at the deadline: the old worker is stopped before the attempt continues on the new build", async () => {
    const dir = makeProject(source("v1"));
    const stepLog = join(dir, "steps.jsonl");
    const up = await startUp(dir, { env: { STEP_LOG: stepLog, RESTATE_DEV_RELOAD_DEADLINE_MS: "800" } });
    const sent = await call(up.ingressUrl, "/slow/step/send", 3000);
    await eventually(() => (lines(stepLog).length === 1 ? true : undefined), 10_000, "the step to start");
    const oldPid = lines(stepLog)[0]!.pid;
    writeFiles(dir, source("v2"));
    const out = await call(up.ingressUrl, `/restate/invocation/${sent.json.invocationId}/attach`, undefined, { method: "GET" });
    expect(out.json).toBe("v2");
    const l = lines(stepLog);
    // It ran on the old worker, was cut off there (no end), and ran again on the new one only once the old one was gone.
    expect(l.filter((x) => x.what === "start").map((x) => x.pid)).toEqual([oldPid, expect.not.stringMatching(String(oldPid))]);
    expect(l.some((x) => x.what === "end" && x.pid === oldPid)).toBe(false);
    // The old worker's last heartbeat came before the step started again on the new one.
    expect(lastBeat(stepLog, oldPid)).toBeLessThanOrEqual(l.filter((x) => x.what === "start")[1]!.at);
    expect(await alive(stepLog, oldPid)).toBe(false);
    expect(up.output()).toMatch(/stopping its worker; they continue on the new build by replay/);
    await up.stop();
  });

  it("an old worker stops as soon as its last attempt ends, here by a kill", async () => {
    const dir = makeProject(source("v1"));
    const stepLog = join(dir, "steps.jsonl");
    const up = await startUp(dir, { env: { STEP_LOG: stepLog, RESTATE_DEV_RELOAD_DEADLINE_MS: "60000" } });
    const sent = await call(up.ingressUrl, "/slow/step/send", 30_000);
    await eventually(() => (lines(stepLog).length === 1 ? true : undefined), 10_000, "the step to start");
    const oldPid = lines(stepLog)[0]!.pid;
    const before = up.output().match(/reloaded after a change/g)?.length ?? 0;
    writeFiles(dir, source("v2"));
    await eventually(() => ((up.output().match(/reloaded after a change/g)?.length ?? 0) > before ? true : undefined), 10_000, "a reload");
    expect(await alive(stepLog, oldPid)).toBe(true); // still finishing its step on the old code
    expect((await call(up.adminUrl, `/invocations/${sent.json.invocationId}/kill`, undefined, { method: "PATCH" })).status).toBe(200);
    await eventually(async () => ((await alive(stepLog, oldPid)) ? undefined : true), 3_000, "the old worker to exit");
    await up.stop();
  });
});
