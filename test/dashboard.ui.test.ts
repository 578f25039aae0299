/**
 * The `up` dashboard: a failed invocation reads "failed" (not "completed"), and
 * the service list follows a reload that adds a handler (the panel polls the
 * admin API of a real runtime).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createElement } from "react";
import { cleanup, render } from "ink-testing-library";
import { DashboardPanel, type ListedInvocation } from "../cli/ui/dashboard.js";
import { cleanupProjects, makeProject, writeFiles } from "./helpers/project.js";
import { eventually, startUp, type UpProcess } from "./helpers/runtime.js";

afterEach(() => cleanup());

const NOW = Date.parse("2026-01-02T03:04:05.000Z");
const row = (over: Partial<ListedInvocation> & Pick<ListedInvocation, "id" | "status">): ListedInvocation => ({
  target: "payments/charge",
  retry_count: 0,
  created_at: new Date(NOW - 5000).toISOString(),
  last_failure: null,
  completion_result: null,
  ...over,
});

describe("dashboard panel", () => {
  it("shows a failed invocation as failed, with its error, and a sleeping one with its wake-up", () => {
    const info = { ingressUrl: "http://127.0.0.1:8080", adminUrl: "http://127.0.0.1:9070", services: [] };
    const rows = [
      row({ id: "inv_1failed000000000000000000000000000", status: "completed", completion_result: "failure", completion_failure: { code: 400, message: "card declined" } }),
      row({ id: "inv_1ok00000000000000000000000000000000", status: "completed", completion_result: "success" }),
      row({ id: "inv_1nap0000000000000000000000000000000", status: "running", sleeping_until: new Date(NOW + 90_000).toISOString() }),
    ];
    const { lastFrame } = render(createElement(DashboardPanel, { info, inspectable: false, rows, services: [], now: NOW, width: 120 }));
    const lines = lastFrame()!.split("\n");
    const failed = lines.find((l) => l.includes("inv_1failed"))!;
    expect(failed).toMatch(/failed\s+payments\/charge/);
    expect(failed).not.toContain("completed");
    expect(failed).toContain("[400] card declined");
    expect(lines.find((l) => l.includes("inv_1ok"))).toMatch(/completed\s+payments\/charge/);
    expect(lines.find((l) => l.includes("inv_1nap"))).toContain("sleeping, wakes up in 1m");
  });

  it("shows the newest build, older builds invocations still run on, and which rows run on them", () => {
    const info = { ingressUrl: "http://127.0.0.1:8080", adminUrl: "http://127.0.0.1:9070", services: [] };
    const pinned = "inv_1pinned00000000000000000000000000";
    const builds = [
      { id: "dp_1new", uri: "restate-dev://build/3", created_at: "", services: [], latest: true, bundle_kept: true, pinned_invocations: [] },
      { id: "dp_1gone", uri: "restate-dev://build/2", created_at: "", services: [], latest: false, bundle_kept: false, pinned_invocations: [] },
      { id: "dp_1old", uri: "restate-dev://build/1", created_at: "", services: [], latest: false, bundle_kept: true, pinned_invocations: [pinned] },
    ];
    const rows = [row({ id: pinned, status: "running", pinned_deployment_id: "dp_1old" }), row({ id: "inv_1new0000000000000000000000000000000", status: "running", pinned_deployment_id: "dp_1new" })];
    const { lastFrame } = render(createElement(DashboardPanel, { info, inspectable: false, rows, services: [], builds, now: NOW, width: 160 }));
    const frame = lastFrame()!;
    expect(frame).toContain("build 3 dp_1new (newest)");
    expect(frame).toContain(`build 1 dp_1old (older): 1 invocation (${pinned}), on the code it started with`);
    expect(frame).not.toContain("dp_1gone");
    const lines = frame.split("\n");
    expect(lines.find((l) => l.includes("inv_1pinned") && !l.includes("dp_1old"))).toContain("on build 1 (older)");
    expect(lines.find((l) => l.includes("inv_1new"))).not.toContain("older");
  });
});

describe("dashboard on a running runtime", () => {
  const source = (extra: string) => ({
    "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
const greeter = restate.service({ name: "greeter", handlers: { async hello(ctx: restate.Context) { return "hi"; }${extra} } });
restate.serve({ services: [greeter] });
`,
  });
  let dir: string;
  let up: UpProcess;
  beforeAll(async () => {
    dir = makeProject(source(""));
    up = await startUp(dir);
  });
  afterAll(async () => {
    await up?.stop();
    cleanupProjects();
  });

  it("refreshes the service list after a reload adds a handler", async () => {
    const { DashboardLive } = await import("../cli/ui/dashboard.js");
    const info = { ingressUrl: up.ingressUrl, adminUrl: up.adminUrl, services: [{ name: "greeter", ty: "Service", handlers: [{ name: "hello" }] }] };
    const { lastFrame } = render(createElement(DashboardLive, { info, inspectable: false }));
    await eventually(() => (lastFrame()?.includes("greeter(hello)") ? true : undefined));
    writeFiles(dir, source(`, async goodbye(ctx: restate.Context) { return "bye"; }`));
    await eventually(() => (lastFrame()?.includes("greeter(hello,goodbye)") ? true : undefined), 15_000, "the new handler on the dashboard");
  });
});
