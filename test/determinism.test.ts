/**
 * Code that changed between attempts is caught by the journal check (Restate's
 * 570). `up` keeps such an invocation on the build it started on (see
 * reload-pinning.test.ts); moved to the new code by hand, it meets the mismatch.
 */
import { afterAll, describe, expect, it } from "vitest";
import { cleanupProjects, makeProject, writeFiles } from "./helpers/project.js";
import { call, describeInvocation, eventually, startUp } from "./helpers/runtime.js";

const version = (firstStep: string) => ({
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";

const orders = restate.service({
  name: "orders",
  handlers: {
    async place(ctx: restate.Context) {
      await ctx.run("${firstStep}", () => "done");
      // Never succeeds, so the invocation is still retrying when the code changes.
      throw new Error("downstream unavailable");
    },
  },
  options: { retryPolicy: { initialInterval: 200, maxInterval: 200 } },
});

restate.serve({ services: [orders] });
`,
});

afterAll(cleanupProjects);

describe("journal mismatch", () => {
  it("fails the attempt with code 570, naming the entry, what the journal holds and what the code did", async () => {
    const dir = makeProject(version("reserve"));
    let up = await startUp(dir);
    const sent = await call(up.ingressUrl, "/orders/place/send");
    const id = sent.json.invocationId as string;
    await eventually(async () => ((await describeInvocation(up.adminUrl, id)).journal.length === 1 ? true : undefined));
    await up.stop();

    writeFiles(dir, version("charge"));
    up = await startUp(dir);
    expect(up.output()).toContain(`${id} orders/place stays on dp_`);
    expect((await call(up.adminUrl, `/invocations/${id}/resume?deployment=latest`, undefined, { method: "PATCH" })).status).toBe(200);
    const inv = await eventually(async () => {
      const d = await describeInvocation(up.adminUrl, id);
      return d.last_failure?.code === 570 ? d : undefined;
    });
    expect(inv.status).toBe("backing-off");
    expect(inv.last_failure.relatedIndex).toBe(1);
    expect(inv.last_failure.message).toContain("Journal mismatch at entry 1");
    expect(inv.last_failure.message).toContain("the journal holds Run 'reserve'");
    expect(inv.last_failure.message).toContain("the code now does Run 'charge'");
    // The mismatching step did not run: the journal still holds only the old step.
    expect(inv.journal.map((e: any) => e.name)).toEqual(["reserve"]);
    expect(up.output()).toMatch(/attempt \d+ failed at entry 1 \(Run 'charge'\): \[570\] Journal mismatch/);
    await up.stop();
  });
});
