/**
 * Which file `up` starts from: the conventional names, Restate's create-app
 * layout (src/app.ts, "main": "dist/app.js", endpoint().listen(9080)) with no
 * flags, package.json `main` mapped back from its build folder, and an error
 * that lists what was tried.
 */
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { sourcesOfMain } from "../runtime/build/entry.js";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { CLI, call, startUp } from "./helpers/runtime.js";

afterAll(() => cleanupProjects());

/** The node template of @restatedev/create-app, as `npx @restatedev/create-app` writes it. */
const CREATE_APP = {
  "package.json": JSON.stringify(
    {
      name: "restate-ts-template",
      version: "0.0.1",
      main: "dist/app.js",
      type: "commonjs",
      scripts: { build: "tsc --noEmitOnError", prebundle: "rm -rf dist", app: "node ./dist/app.js", "app-dev": "tsx watch ./src/app.ts" },
      dependencies: { "@restatedev/restate-sdk": "^1.17.0" },
    },
    null,
    2,
  ),
  "tsconfig.json": JSON.stringify({ compilerOptions: { target: "esnext", module: "nodenext", outDir: "./dist", rootDir: "./src", strict: true } }),
  "src/app.ts": `import * as restate from "@restatedev/restate-sdk";

const greeter = restate.service({
  name: "Greeter",
  handlers: {
    greet: async (ctx: restate.Context, name: string) => {
      return \`Hello \${name}!\`;
    },
  },
});

restate.endpoint().bind(greeter).listen(9080);
`,
};

describe("entry discovery", () => {
  it("runs Restate's create-app layout with no flags, from inside the project", async () => {
    const dir = makeProject(CREATE_APP, { depth: 1 });
    const up = await startUp(dir, { cwd: dir, dirArg: "" });
    try {
      expect(up.output()).toMatch(/^built src\/app\.ts in \d+ ms$/m);
      const r = await call(up.ingressUrl, "/Greeter/greet", JSON.stringify("Sarah"));
      expect(r.status).toBe(200);
      expect(r.json).toBe("Hello Sarah!");
    } finally {
      await up.stop();
    }
  });

  it("maps package.json main from its build folder back to the source", async () => {
    const dir = makeProject({
      "package.json": JSON.stringify({ name: "svc", main: "build/server.js" }),
      "src/server.ts": CREATE_APP["src/app.ts"].replace("Greeter", "Server"),
    });
    const up = await startUp(dir);
    try {
      expect(up.output()).toMatch(/^built src\/server\.ts in \d+ ms$/m);
      expect((await call(up.ingressUrl, "/Server/greet", JSON.stringify("x"))).json).toBe("Hello x!");
    } finally {
      await up.stop();
    }
  });

  it("says what it tried when nothing is found", () => {
    const dir = makeProject({ "package.json": JSON.stringify({ name: "empty", main: "dist/main.js" }) });
    const r = spawnSync(process.execPath, [CLI, "up", dir, "--ingress-port", "0", "--admin-port", "0"], { encoding: "utf8", timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("tried src/index.ts, ");
    expect(r.stderr).toContain("src/app.ts, ");
    expect(r.stderr).toContain(`src/main.ts (from package.json "main": "dist/main.js")`);
    expect(r.stderr).toMatch(/hint: create src\/index\.ts \(or src\/app\.ts\).*--entry <file>/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("maps main paths: build folders to src/ or the root, sources as they are, nothing outside the project", () => {
    expect(sourcesOfMain("dist/app.js").slice(0, 2)).toEqual(["src/app.ts", "src/app.mts"]);
    expect(sourcesOfMain("./lib/deep/x.cjs")).toContain("src/deep/x.ts");
    expect(sourcesOfMain("./lib/deep/x.cjs")).toContain("deep/x.ts");
    expect(sourcesOfMain("src/main.ts")[0]).toBe("src/main.ts");
    expect(sourcesOfMain("index.js")).toEqual(expect.arrayContaining(["index.js", "index.ts"]));
    expect(sourcesOfMain("../elsewhere/app.js")).toEqual([]);
  });
});
