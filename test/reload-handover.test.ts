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
import { appendFileSync, readFileSync, existsSync } from "node:fs";

const LOG = process.env.STEP_LOG!;
const log = (line: object) => appendFileSync(LOG, JSON.stringify({ ...line, pid: process.pid, at: Date.now() }) + "\\n");
function othersRunning(): number[] {
  // Steps that started on another worker and did not end: is that worker still alive?
  const lines = existsSync(LOG) ? readFileSync(LOG, "utf8").trim().split("\\n").map((l) => JSON.parse(l)) : [];
  const open = new Set<number>();
  for (const l of lines) if (l.pid !== process.pid) (l.what === "start" ? open.add(l.pid) : open.delete(l.pid));
  return [...open].filter((pid) => { try { process.kill(pid, 0); return true; } catch { return false; } });
}

const slow = restate.service({
  name: "slow",
  handlers: {
    async step(ctx: restate.Context, ms: number) {
      await ctx.run("long", async () => {
        log({ what: "start", overlapping: othersRunning() });
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

type Line = { what: "start" | "end"; pid: number; at: number; overlapping?: number[] };
const lines = (file: string): Line[] => (existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : []);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
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
    expect(l.filter((x) => x.what === "start")[1]!.overlapping).toEqual([]);
    expect(alive(oldPid)).toBe(false);
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
    expect(alive(oldPid)).toBe(true); // still finishing its step on the old code
    expect((await call(up.adminUrl, `/invocations/${sent.json.invocationId}/kill`, undefined, { method: "PATCH" })).status).toBe(200);
    await eventually(() => (alive(oldPid) ? undefined : true), 3_000, "the old worker to exit");
    await up.stop();
  });
});
