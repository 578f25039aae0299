/**
 * `restate-dev build --target restate` itself: its checks, options and output.
 * (That the output serves a real Restate server is what every other file's
 * `restate` target shows.)
 */
import { execFile, spawn } from "node:child_process";
import { connect as connectHttp2 } from "node:http2";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { CLI } from "../test/helpers/runtime.js";
import { writeFiles } from "../test/helpers/project.js";
import { REPO } from "./harness/targets.js";

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>, { withSdk = true } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "restate-compat-build-"));
  dirs.push(dir);
  writeFiles(dir, files);
  if (withSdk) symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

async function build(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, "build", ...args], { cwd });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const SERVICE = `
import * as restate from "restate-dev/sdk";
const hello = restate.service({ name: "hello", handlers: { async hi(ctx: restate.Context) { return "hi"; } } });
restate.serve({ services: [hello] });
`;

describe("restate-dev build", () => {
  it("writes <dir>/dist/index.mjs with the real SDK, the polyfill first, and says how to register it", async () => {
    const dir = project({ "src/index.ts": SERVICE });
    const r = await build(["--target", "restate", dir], REPO);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^built .*dist\/index\.mjs \(.* @restatedev\/restate-sdk 1\.17\.\d+\) in \d+ ms/);
    expect(r.stdout).toContain("npx @restatedev/restate deployments register http://localhost:9080");
    const out = readFileSync(join(dir, "dist", "index.mjs"), "utf8");
    expect(existsSync(join(dir, "dist", "index.mjs.map"))).toBe(true);
    const polyfill = out.indexOf("withResolvers");
    expect(polyfill).toBeGreaterThan(0);
    expect(polyfill).toBeLessThan(out.indexOf("node_modules/@restatedev/restate-sdk/"));
    // restate-dev/sdk became the real SDK: restate-dev's own SDK is not in the bundle.
    expect(out).not.toContain("restate-dev's SDK serves handlers only inside the restate-dev runtime");
    expect(out).toContain("restate-sdk-typescript");
  });

  it("HOST binds the program to one address (the SDK's listen() binds every interface)", async () => {
    for (const source of [SERVICE, SERVICE.replace("restate.serve({ services: [hello] });", "restate.endpoint().bind(hello).listen(9080);")]) {
      const dir = project({ "src/index.ts": source });
      expect((await build(["--target", "restate"], dir)).code).toBe(0);
      const child = spawn(process.execPath, [join(dir, "dist", "index.mjs")], { env: { ...process.env, HOST: "127.0.0.1", PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
      try {
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        const port = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`not listening:\n${out}`)), 10_000);
          const check = () => {
            const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
            if (m) {
              clearTimeout(timer);
              resolve(Number(m[1]));
            } else setTimeout(check, 25);
          };
          check();
        });
        // It answers there, over HTTP/2 cleartext as Restate calls it.
        const status = await new Promise<number>((resolve, reject) => {
          const session = connectHttp2(`http://127.0.0.1:${port}`);
          session.on("error", reject);
          const req = session.request({ ":path": "/discover", accept: "application/vnd.restate.endpointmanifest.v3+json" });
          req.on("response", (h) => {
            resolve(Number(h[":status"]));
            session.close();
          });
          req.on("error", reject);
          req.end();
        });
        expect(status).toBeLessThan(500);
      } finally {
        child.kill("SIGKILL");
      }
    }
  });

  it("--out and --entry are relative to the project", async () => {
    const dir = project({ "src/main.ts": SERVICE });
    const r = await build(["--target", "restate", "--out", "build/out", "--entry", "src/main.ts"], dir);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, "build", "out", "index.mjs"))).toBe(true);
  });

  it("without the real SDK installed: exit 2 and what to install", async () => {
    const dir = project({ "src/index.ts": SERVICE }, { withSdk: false });
    const r = await build(["--target", "restate"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("@restatedev/restate-sdk is not installed");
    expect(r.stderr).toContain("hint: npm install @restatedev/restate-sdk");
  });

  it("checks --target", async () => {
    const dir = project({ "src/index.ts": SERVICE });
    const missing = await build([], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--target restate");
    const unknown = await build(["--target", "lambda"], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown build target 'lambda'");
  });

  it("a compile error: exit 2 with the location", async () => {
    const dir = project({ "src/index.ts": "export const x: number = ;\n" });
    const r = await build(["--target", "restate"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/src\/index\.ts:1:\d+: error: /);
  });
});
