/**
 * What a sleeping invocation looks like: `sleeping until …` (not just
 * "running") in the admin API, `invocations list` and `describe`; and once it
 * is cancelled, its Sleep reads as never completed, not as pending.
 */
import { describe, expect, it } from "vitest";
import { runCommand } from "./helpers/commands.js";
import { CLI, call, describeInvocation, eventually, runForFile, type UpProcess } from "./helpers/runtime.js";

let up!: UpProcess;
let dir!: string;
runForFile(
  {
    "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
const napper = restate.service({
  name: "napper",
  handlers: {
    async nap(ctx: restate.Context) {
      await ctx.sleep({ minutes: 10 });
      return "rested";
    },
  },
});
restate.serve({ services: [napper] });
`,
  },
  (u) => {
    up = u;
    dir = u.projectDir;
  },
);

const cli = (args: string[]) => runCommand(process.execPath, [CLI, ...args, "--admin-url", up.adminUrl], { cwd: dir });

describe("a sleeping invocation", () => {
  it("says when it wakes up, and after a cancel its Sleep never completed", async () => {
    const before = Date.now();
    const id = (await call(up.ingressUrl, "/napper/nap/send")).json.invocationId as string;
    const inv = await eventually(async () => {
      const d = await describeInvocation(up.adminUrl, id);
      return d.sleeping_until ? d : undefined;
    });
    const wake = Date.parse(inv.sleeping_until);
    expect(wake).toBeGreaterThanOrEqual(before + 10 * 60_000 - 1000);
    expect(wake).toBeLessThanOrEqual(Date.now() + 10 * 60_000 + 1000);

    const list = await cli(["invocations", "list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${id}\\tnapper/nap\\t(running|suspended), sleeping until ${inv.sleeping_until}\\t`));
    const desc = await cli(["invocations", "describe", id]);
    expect(desc.stdout).toContain(`sleeping until ${inv.sleeping_until}`);

    expect((await call(up.adminUrl, `/invocations/${id}/cancel`, undefined, { method: "PATCH" })).status).toBeLessThan(300);
    await eventually(async () => ((await describeInvocation(up.adminUrl, id)).status === "completed" ? true : undefined));
    const done = await describeInvocation(up.adminUrl, id);
    expect(done.sleeping_until).toBeNull();

    const journal = await cli(["journal", id]);
    expect(journal.code, journal.stderr).toBe(0);
    const sleep = journal.stdout.split("\n").find((l) => /#1 {2}Sleep/.test(l))!;
    expect(sleep).toContain("never completed (the invocation ended first)");
    expect(sleep).not.toContain("pending");
    expect(journal.stdout).toMatch(/was to wake up at /);
    expect(journal.stdout).not.toMatch(/\bwakes up at /);
    const described = await cli(["invocations", "describe", id]);
    expect(described.stdout).not.toMatch(/Sleep.*pending/);
  });
});
