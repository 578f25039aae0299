/** The CLI as a user meets it: up's errors, invoke's output and exit codes. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:net";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { CLI, startUp, type UpProcess } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
const greeter = restate.service({
  name: "greeter",
  handlers: {
    async headers(ctx: restate.Context) {
      return [ctx.request().headers.get("x-foo"), ctx.request().headers.get("x-bar")];
    },
    async greet(ctx: restate.Context, name: string) {
      if (name === "nobody") throw new restate.TerminalError("who?", { errorCode: 404 });
      return "Hello, " + name + "!";
    },
  },
});
const counter = restate.object({
  name: "counter",
  handlers: {
    async add(ctx: restate.ObjectContext, n: number) {
      const v = ((await ctx.get<number>("v")) ?? 0) + n;
      ctx.set("v", v);
      return { value: v };
    },
  },
});
restate.serve({ services: [greeter, counter] });
`,
};

function run(args: string[], opts: { cwd?: string; input?: string } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd, input: opts.input, encoding: "utf8", timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
let up: UpProcess;
beforeAll(async () => {
  dir = makeProject(PROJECT);
  up = await startUp(dir);
});
afterAll(async () => {
  await up?.stop();
  cleanupProjects();
});

describe("restate-dev invoke", () => {
  it("prints the result as pretty JSON and the invocation id, finding the runtime from the project directory", () => {
    const r = run(["invoke", "counter/c1/add", "2"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{\n  "value": 2\n}\n');
    expect(r.stderr).toMatch(/^invocation: inv_1\w+$/m);
  });

  it("takes the key as --key and the input from stdin", () => {
    const r = run(["invoke", "counter/add", "--key", "c1", "@-"], { cwd: dir, input: "3" });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ value: 5 });
  });

  it("exits 1 with the error code and message when the invocation fails", () => {
    const r = run(["invoke", "greeter/greet", '"nobody"'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed: \[404\] who\?/);
  });

  it("--send prints the acceptance", () => {
    const r = run(["invoke", "greeter/greet", '"later"', "--send", "--ingress-url", up.ingressUrl]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "Accepted" });
  });

  it("rejects bad input with a hint and exit 2, without a stack trace", () => {
    const r = run(["invoke", "greeter/greet", "{not json"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: the input is not valid JSON/);
    expect(r.stderr).toMatch(/hint:/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(run(["invoke", "justone"], { cwd: dir }).stderr).toMatch(/is not a handler target/);
  });

  it("--header repeats and leaves the input alone", () => {
    const r = run(["invoke", "counter/h1/add", "--header", "x-foo=bar", "4"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ value: 4 });
    const h = run(["invoke", "greeter/headers", "--header", "x-foo=1", "--header", "x-bar=2"], { cwd: dir });
    expect(h.code, h.stderr).toBe(0);
    expect(JSON.parse(h.stdout)).toEqual(["1", "2"]);
  });

  it("a target the ingress refuses is exit 2 with what to do: a missing key, a key too many, an unknown service", () => {
    const noKey = run(["invoke", "counter/add", "2"], { cwd: dir });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("error: 'counter' is a virtual object or workflow: the target needs a key");
    expect(noKey.stderr).toContain("hint: call it as counter/<key>/add, or pass --key <key>");
    const extraKey = run(["invoke", "greeter/k1/greet", '"x"'], { cwd: dir });
    expect(extraKey.code).toBe(2);
    expect(extraKey.stderr).toContain("'greeter' is a service: it has no keys");
    const unknown = run(["invoke", "nope/greet", '"x"'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/error: service 'nope' not found/);
    expect(unknown.stderr).toMatch(/hint: 'restate-dev invoke' without a target lists the handlers/);
    const handler = run(["invoke", "greeter/nope", '"x"', "--json"], { cwd: dir });
    expect(handler.code).toBe(2);
    expect(JSON.parse(handler.stdout)).toMatchObject({ status: 404 });
  });

  it("says how to start the runtime when none runs", () => {
    const r = run(["invoke", "greeter/greet", '"x"', "--ingress-url", "http://127.0.0.1:1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot reach the ingress at http:\/\/127.0.0.1:1/);
    expect(r.stderr).toMatch(/hint: start the runtime with 'restate-dev up'/);
  });
});

describe("restate-dev up", () => {
  it("refuses a second up on the same directory", () => {
    const r = run(["up", dir, "--ingress-port", "0", "--admin-port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`another restate-dev runtime \\(pid ${up.proc.pid}\\) is already running`));
  });

  it("says which port is taken and which flag to use", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    const other = makeProject(PROJECT);
    const r = run(["up", other, "--ingress-port", String(port), "--admin-port", "0"]);
    blocker.close();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    expect(r.stderr).toMatch(/--ingress-port/);
  });

  it("explains a missing entry file", () => {
    const empty = makeProject({ "README.md": "nothing here" });
    const r = run(["up", empty, "--ingress-port", "0", "--admin-port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no entry file in .*; tried src\/index.ts/);
    expect(r.stderr).toMatch(/hint: create src\/index.ts/);
  });

  it("shows a build error with file:line", () => {
    const broken = makeProject({ "src/index.ts": "const x: number = ;\n" });
    const r = run(["up", broken, "--ingress-port", "0", "--admin-port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/src\/index.ts:1:\d+: error:/);
  });

  it("explains an entry that binds no services", () => {
    const none = makeProject({ "src/index.ts": "export const x = 1;\n" });
    const r = run(["up", none, "--ingress-port", "0", "--admin-port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bound no services/);
  });

  it("--help lists the options with examples", () => {
    const r = run(["up", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--ingress-port/);
    expect(r.stdout).toMatch(/Examples:/);
  });
});
