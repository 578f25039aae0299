/**
 * `restate-dev inspect` in a real pseudo-terminal (tmux, 100×30) against a
 * real runtime: open an invocation, see its journal, cancel it (confirming),
 * see its status change, quit and find the terminal as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeProject } from "./helpers/project.js";
import { CLI, call, describeInvocation, eventually, startUp, type UpProcess } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";

const trips = restate.service({
  name: "trips",
  handlers: {
    async book(ctx: restate.Context, trip: string) {
      const flight = await ctx.run("reserve-flight", () => ({ flight: "LH" + trip }));
      await ctx.sleep(120_000);
      return flight;
    },
  },
});

restate.serve({ services: [trips] });
`,
};

const tmuxVersion = spawnSync("tmux", ["-V"], { encoding: "utf8" });
const hasTmux = tmuxVersion.status === 0;
if (!hasTmux) console.warn("skipping the inspect end-to-end test: tmux is not installed (apt-get install tmux)");

// A tmux server of our own (its own socket), so the test never touches the user's sessions and kills all it started.
let socketDir = "";
let SOCKET = "";
const SESSION = "inspect";
const tmux = (...args: string[]) => {
  const r = spawnSync("tmux", ["-S", SOCKET, ...args], { encoding: "utf8", env: { ...process.env, TMUX: "" } });
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
};
const screen = () => tmux("capture-pane", "-p", "-t", SESSION);
const keys = async (...ks: string[]) => {
  for (const k of ks) {
    tmux("send-keys", "-t", SESSION, k);
    await new Promise((r) => setTimeout(r, 120)); // one key at a time, as typed
  }
};
const until = (check: (s: string) => boolean, what: string, timeoutMs = 10_000) =>
  eventually(() => {
    const s = screen();
    return check(s) ? s : undefined;
  }, timeoutMs, `${what}; the screen shows:\n${screen()}`);

describe.skipIf(!hasTmux)("restate-dev inspect in a terminal", () => {
  let up: UpProcess;
  let dir: string;

  beforeAll(async () => {
    socketDir = mkdtempSync(join(tmpdir(), "restate-dev-tmux-"));
    SOCKET = join(socketDir, "tmux.sock");
    dir = makeProject(PROJECT);
    up = await startUp(dir);
  });

  afterAll(async () => {
    if (SOCKET) spawnSync("tmux", ["-S", SOCKET, "kill-server"], { env: { ...process.env, TMUX: "" } });
    if (socketDir) rmSync(socketDir, { recursive: true, force: true });
    await up?.stop();
  });

  it("opens an invocation, shows its journal, cancels it after asking, shows it failed, and quits cleanly", async () => {
    const sent = await call(up.ingressUrl, "/trips/book/send", JSON.stringify("42"));
    const id = sent.json.invocationId as string;
    await eventually(async () => ((await describeInvocation(up.adminUrl, id)).journal.length >= 2 ? true : undefined), 10_000, "the sleep to be journaled");

    const command = `cd '${dir}' && env -u CI -u CONTINUOUS_INTEGRATION '${process.execPath}' '${CLI}' inspect --admin-url ${up.adminUrl} --ingress-url ${up.ingressUrl}; echo "inspect exited $?"; sleep 600`;
    tmux("new-session", "-d", "-s", SESSION, "-x", "100", "-y", "30", command);

    let s = await until((s) => s.includes("trips/book"), "the list");
    expect(s).toMatch(/1 invocation\s+(▶ running|‖ suspended) 1/);
    expect(s).toMatch(/› (▶ running|‖ suspended)\s+inv_1\S+\s+trips\/book/);

    await keys("Enter");
    s = await until((s) => s.includes("reserve-flight") && s.includes("Sleep"), "the journal");
    expect(s).toContain(id);
    expect(s).toMatch(/1 Run\s+reserve-flight\s+\S+ ✓ completed/);
    expect(s).toMatch(/2 Sleep\s+.*… waiting/);

    await keys("Down");
    await until((s) => s.includes('"flight": "LH42"'), "the Run entry's result");

    // Resizing redraws at the new size (80×24, then back), without crashing or leaving debris.
    tmux("resize-window", "-t", SESSION, "-x", "80", "-y", "24");
    s = await until((s) => s.split("\n").length <= 25 && /reserve-flight/.test(s) && !s.split("\n").some((l) => l.length > 80), "the redraw at 80×24");
    expect(s.split("\n").filter((l) => l.includes("restate-dev inspect") || l.includes("invocation  ")).length).toBeLessThanOrEqual(1);
    tmux("resize-window", "-t", SESSION, "-x", "100", "-y", "30");
    await until((s) => s.includes("? keys  q quit") && s.includes('"flight": "LH42"'), "the redraw at 100×30");

    await keys("c");
    await until((s) => s.includes("y/N cancel"), "the confirmation");
    expect((await describeInvocation(up.adminUrl, id)).status).not.toBe("completed");
    await keys("y");
    // The header's counts redraw before the journal pane: wait for both.
    s = await until((s) => s.includes("cancel requested for") && s.includes("✗ failed") && s.includes("[409] Cancelled"), "the cancellation");
    const after = await describeInvocation(up.adminUrl, id);
    expect(after.status).toBe("completed");
    expect(after.completion_failure).toEqual({ code: 409, message: "Cancelled" });

    await keys("q");
    s = await until((s) => s.includes("inspect exited 0"), "inspect to quit");
    // The alternate screen is gone: nothing of the inspector is left on the terminal.
    expect(s).not.toContain("restate-dev inspect");
    expect(s).not.toContain("trips/book");
  });
});
