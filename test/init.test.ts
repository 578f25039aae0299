/**
 * `restate-dev init` as a user meets it: the built CLI scaffolds projects into
 * a temporary directory, refuses what it should, and a generated project
 * installs with npm and passes its own test (which starts `restate-dev up`).
 */
import { afterAll, describe, expect, it } from "vitest";
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CLI, REPO } from "./helpers/runtime.js";
import { killAllCommands, runCommand, type CommandResult } from "./helpers/commands.js";

const work = mkdtempSync(join(tmpdir(), "restate-dev-init-"));
const CHECKOUT = realpathSync(REPO);
const rootPkg = readJson(join(REPO, "package.json"));

afterAll(() => {
  killAllCommands();
  rmSync(work, { recursive: true, force: true });
});

function init(...args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, [CLI, "init", ...args], { cwd: work });
}

/** vitest colours its summary when it thinks a terminal is watching. */
function plain(s: string): string {
  return s.replace(/\x1b\[[0-9;]*m/g, "");
}

function readJson(file: string): any {
  return JSON.parse(readFileSync(file, "utf8"));
}

function sourcesOf(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

describe("restate-dev init", () => {
  it("scaffolds the starter template, depending on this checkout with file:", async () => {
    const dir = join(work, "proj");
    const r = await init(dir, "--template", "starter");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);

    const files = ["package.json", "tsconfig.json", "vitest.config.ts", "README.md", ".gitignore", "src/index.ts", "src/greeter.ts", "src/counter.ts", "src/signup.ts", "test/services.test.ts"];
    for (const f of files) expect(existsSync(join(dir, f)), f).toBe(true);
    expect(existsSync(join(dir, "gitignore"))).toBe(false);

    const pkg = readJson(join(dir, "package.json"));
    expect(pkg).toMatchObject({
      name: "proj",
      type: "module",
      scripts: { dev: "restate-dev up", test: "vitest run" },
      dependencies: { "@restatedev/restate-sdk": "^1.17.2" },
    });
    expect(pkg.devDependencies).toEqual({
      "restate-dev": `file:${CHECKOUT}`,
      typescript: rootPkg.devDependencies.typescript,
      vitest: rootPkg.devDependencies.vitest,
      "@types/node": rootPkg.devDependencies["@types/node"],
    });
    expect(readJson(join(dir, "tsconfig.json")).compilerOptions.strict).toBe(true);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toMatch(/^node_modules\/$[\s\S]*^\.restate-dev\/$/m);

    const readme = readFileSync(join(dir, "README.md"), "utf8");
    expect(readme).toMatch(/^# proj$/m);
    for (const s of ["npm install", "npm run dev", "curl -X POST localhost:8080/greeter/greet", "curl -X POST localhost:8080/counter/", "signup/", "npm test"]) expect(readme).toContain(s);
    expect(readme).not.toContain("{{");

    const index = readFileSync(join(dir, "src/index.ts"), "utf8");
    expect(index).toContain('from "@restatedev/restate-sdk"');
    expect(index).toMatch(/\.bind\(greeter\)\.bind\(counter\)\.bind\(signup\)/);

    // The next steps: cd, install, test, run, and a curl line.
    expect(r.stdout).toMatch(/^ {2}cd proj$/m);
    expect(r.stdout).toMatch(/^ {2}npm install$[\s\S]*^ {2}npm test\b[\s\S]*^ {2}npm run dev\b/m);
    expect(r.stdout).toContain(`curl -X POST localhost:8080/greeter/greet -H 'content-type: application/json' -d '"Ada"'`);
  });

  it("scaffolds the shop template with the shop's sources as they are", async () => {
    const dir = join(work, "my-shop");
    const r = await init(dir, "--template", "shop");
    expect(r.code).toBe(0);
    expect(sourcesOf(join(dir, "src"))).toEqual(sourcesOf(join(REPO, "templates", "shop", "src")));
    expect(existsSync(join(dir, "test", "shop.test.ts"))).toBe(true);
    expect(existsSync(join(dir, ".restate-dev"))).toBe(false);
    expect(readJson(join(dir, "package.json"))).toMatchObject({ name: "my-shop", devDependencies: { "restate-dev": `file:${CHECKOUT}` } });
    expect(r.stdout).toContain("curl -X POST localhost:8080/cart/u1/addItem");
  });

  it("uses the current directory's name when no directory is given", async () => {
    const dir = join(work, "here");
    mkdirSync(join(dir, ".git"), { recursive: true }); // a fresh git repository counts as empty
    const r = await runCommand(process.execPath, [CLI, "init"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(readJson(join(dir, "package.json")).name).toBe("here");
    expect(r.stdout).not.toMatch(/^ {2}cd /m);
  });

  it("refuses a directory that is not empty, unless --force", async () => {
    const dir = join(work, "busy");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    const refused = await init(dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`error: ${dir} is not empty (notes.txt)`);
    expect(refused.stderr).toMatch(/hint: .*--force/);
    expect(readdirSync(dir)).toEqual(["notes.txt"]);

    const forced = await init(dir, "--force");
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("mine");
    expect(readJson(join(dir, "package.json")).name).toBe("busy");
  });

  it("rejects an unknown template, naming the available ones", async () => {
    const r = await init(join(work, "nope"), "--template", "nope");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: there is no template named 'nope'\n  hint: the templates are: starter (default), shop; for example --template shop\n");
    expect(existsSync(join(work, "nope"))).toBe(false);
  });

  it("explains a directory it cannot create, without hanging (Node's recursive mkdir loops under /proc)", async () => {
    const r = await init("/proc/restate-dev-nope/app");
    expect(r.code).toBe(2);
    expect(plain(r.stderr)).toMatch(/cannot write the project into \/proc\/restate-dev-nope\/app/);
    expect(plain(r.stderr)).toMatch(/hint: pass a directory you can write to/);
  });

  it("rejects a directory name that cannot be an npm package name", async () => {
    const upper = await init(join(work, "My Project"));
    expect(upper.code).toBe(2);
    expect(upper.stderr).toContain("error: 'My Project' cannot be the project's name: npm package names cannot contain capital letters");
    expect(upper.stderr).toContain("hint: the name comes from the directory; choose another, e.g. restate-dev init");
    expect(upper.stderr).toContain("my-project");
    expect(existsSync(join(work, "My Project"))).toBe(false);

    const underscore = await init(join(work, "_private"));
    expect(underscore.code).toBe(2);
    expect(underscore.stderr).toContain("cannot start with '.' or '_'");

    // npm cannot install a dependency named like the project itself.
    const clash = await init(join(work, "restate-dev"));
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain("the project depends on 'restate-dev'");
    expect(clash.stderr).not.toContain("internal error");
  });

  it("from an installed package: depends on its version; the package ships the templates", async () => {
    const pack = await runCommand("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: REPO });
    expect(pack.code, pack.stderr).toBe(0);
    const shipped: string[] = JSON.parse(pack.stdout)[0].files.map((f: { path: string }) => f.path);
    for (const f of ["templates/starter/package.json", "templates/starter/gitignore", "templates/starter/test/services.test.ts", "templates/shop/src/cart.ts", "templates/shop/test/shop.test.ts"]) {
      expect(shipped).toContain(f);
    }
    expect(shipped.filter((f) => /\/(\.restate-dev|node_modules)\//.test(f))).toEqual([]);

    // Lay the package out as npm would install it, its dependencies borrowed from this checkout.
    const installed = join(work, "installed", "node_modules", "restate-dev");
    for (const f of shipped) {
      mkdirSync(dirname(join(installed, f)), { recursive: true });
      copyFileSync(join(REPO, f), join(installed, f));
    }
    symlinkSync(join(REPO, "node_modules"), join(installed, "node_modules"));
    const r = await runCommand(process.execPath, [join(installed, "bin", "restate-dev.js"), "init", join(work, "from-npm")]);
    expect(r.code, r.stderr).toBe(0);
    expect(readJson(join(work, "from-npm", "package.json")).devDependencies["restate-dev"]).toBe(`^${rootPkg.version}`);
  });

  it("--help shows examples and the templates", async () => {
    const r = await init("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("restate-dev init my-app");
    expect(r.stdout).toMatch(/^ {2}starter +\(default\) /m);
    expect(r.stdout).toMatch(/^ {2}shop +/m);
  });

  it(
    "makes a project that installs with npm and passes its own test and type-check",
    async () => {
      const dir = join(work, "app");
      expect((await init(dir)).code).toBe(0);
      const npm = (args: string[], cwd: string, timeoutMs: number) => runCommand("npm", args, { cwd, timeoutMs });
      const show = (r: CommandResult) => `exit ${r.code}${r.timedOut ? " (timed out)" : ""} after ${r.ms} ms\n${r.stdout}\n${r.stderr}`;

      // --ignore-scripts: npm would run this checkout's `prepare` (a rebuild of dist/)
      // through the link, under the other test files that run the CLI meanwhile.
      const install = await npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], dir, 240_000);
      expect(install.code, show(install)).toBe(0);
      // The dependency on this checkout is a link: the project runs this restate-dev.
      expect(lstatSync(join(dir, "node_modules", "restate-dev")).isSymbolicLink()).toBe(true);
      expect(realpathSync(join(dir, "node_modules", "restate-dev"))).toBe(CHECKOUT);

      const test = await npm(["test"], dir, 120_000);
      expect(test.code, show(test)).toBe(0);
      expect(plain(test.stdout)).toMatch(/Tests +4 passed/);

      // The same code type-checks against the real @restatedev/restate-sdk.
      const typecheck = await npm(["run", "typecheck"], dir, 120_000);
      expect(typecheck.code, show(typecheck)).toBe(0);

      // The shop template too, on the same (identical) dependencies.
      const shop = join(work, "shop-app");
      expect((await init(shop, "--template", "shop")).code).toBe(0);
      symlinkSync(join(dir, "node_modules"), join(shop, "node_modules"));
      const shopTest = await npm(["test"], shop, 120_000);
      expect(shopTest.code, show(shopTest)).toBe(0);
      expect(plain(shopTest.stdout)).toMatch(/Tests +4 passed/);
      const shopTypecheck = await npm(["run", "typecheck"], shop, 120_000);
      expect(shopTypecheck.code, show(shopTypecheck)).toBe(0);
    },
    10 * 60_000,
  );
});
