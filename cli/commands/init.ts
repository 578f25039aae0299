/**
 * `restate-dev init [dir]`: scaffolds a project from a template.
 *
 * A template is a directory templates/<name>/ holding a complete project as plain
 * files. Copying it changes three things: `gitignore` becomes `.gitignore` (npm
 * leaves .gitignore files out of published packages), `{{name}}` in text files
 * becomes the project's name, and package.json gets the project's name and a
 * `restate-dev` devDependency on the running restate-dev (`file:` to this checkout
 * when it is not an installed package, so a project works before any publish).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../../runtime/errors.js";

export interface InitOptions {
  template?: string;
  force?: boolean;
}

export interface Template {
  name: string;
  description: string;
  dir: string;
}

export const DEFAULT_TEMPLATE = "starter";

/** Never copied: what running or installing a template in place leaves behind. */
const SKIPPED = new Set(["node_modules", ".restate-dev", "dist", "package-lock.json", ".gitignore"]);
/** Renamed on copy. */
const RENAMED: Record<string, string> = { gitignore: ".gitignore" };
const TEXT_FILES = new Set([".ts", ".mts", ".js", ".mjs", ".json", ".md", ".txt", ""]);
/** Entries a directory may hold and still count as empty. */
const IGNORED_IN_TARGET = new Set([".git", ".DS_Store"]);

export function init(dirArg: string | undefined, opts: InitOptions): void {
  const dir = resolve(dirArg ?? ".");
  const template = findTemplate(opts.template ?? DEFAULT_TEMPLATE);
  const name = basename(dir);
  const pkg = readJson(join(template.dir, "package.json"));
  const problem = packageNameProblem(name, Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }));
  if (problem) {
    const better = suggestName(name);
    throw new UserError(
      "BAD_PROJECT_NAME",
      `'${name}' cannot be the project's name: ${problem}`,
      `the name comes from the directory; choose another, e.g. restate-dev init ${shellQuote(join(dirArg ? dirname(dirArg) : ".", better))}`,
    );
  }
  if (dir === template.dir || dir.startsWith(template.dir + sep)) {
    throw new UserError("BAD_DIRECTORY", `${dir} is inside the template itself`, "pass a directory outside restate-dev's templates/");
  }
  checkTarget(dir, opts.force ?? false);

  let written: string[];
  try {
    written = copyTemplate(template, dir, name);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!["EACCES", "EPERM", "EROFS", "ENOTDIR", "ENOSPC", "ENOENT"].includes(code ?? "")) throw e;
    throw new UserError("CANNOT_WRITE", `cannot write the project into ${dir}: ${(e as Error).message}`, "pass a directory you can write to");
  }
  const out = (line = "") => process.stdout.write(line + "\n");
  out(`Created ${name} from the '${template.name}' template in ${dir}:`);
  for (const f of written) out(`  ${f}`);
  out();
  out("Next steps:");
  const cd = relative(process.cwd(), dir);
  if (cd) out(`  cd ${shellQuote(cd)}`);
  out("  npm install");
  out("  npm test         # starts the runtime on free ports and calls the handlers");
  out("  npm run dev      # serves Restate's ingress on localhost:8080 until Ctrl-C");
  const curl = exampleCurl(join(dir, "README.md"));
  if (curl) {
    out();
    out("and in another terminal:");
    out(`  ${curl}`);
  }
  out();
  out("README.md has more to try, and how to deploy the same code on Restate.");
}

/** restate-dev's own package directory: where templates/ and package.json are. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file) && readJson(file).name === "restate-dev") return realpathSync(dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find restate-dev's package.json above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The templates in templates/, the default one first. */
export function listTemplates(): Template[] {
  const root = join(packageRoot(), "templates");
  const found: Template[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const dir = join(root, entry.name);
    if (!entry.isDirectory() || !existsSync(join(dir, "package.json"))) continue;
    found.push({ name: entry.name, description: String(readJson(join(dir, "package.json")).description ?? ""), dir });
  }
  const rank = (t: Template) => (t.name === DEFAULT_TEMPLATE ? "" : t.name);
  return found.sort((a, b) => rank(a).localeCompare(rank(b)));
}

/** The "Templates:" paragraph of `init --help`. */
export function templatesHelp(): string {
  const templates = listTemplates();
  const width = Math.max(...templates.map((t) => t.name.length));
  const lines = templates.map((t) => `  ${t.name.padEnd(width)}  ${t.name === DEFAULT_TEMPLATE ? "(default) " : ""}${t.description}`);
  return `Templates:\n${lines.join("\n")}`;
}

function findTemplate(name: string): Template {
  const templates = listTemplates();
  const found = templates.find((t) => t.name === name);
  if (!found) {
    const names = templates.map((t) => t.name + (t.name === DEFAULT_TEMPLATE ? " (default)" : ""));
    throw new UserError("UNKNOWN_TEMPLATE", `there is no template named '${name}'`, `the templates are: ${names.join(", ")}; for example --template shop`);
  }
  return found;
}

/**
 * Why `name` cannot be an npm package name (npm's rules for new packages), or
 * undefined when it can. A project named like one of its dependencies cannot
 * install it either.
 */
export function packageNameProblem(name: string, dependencies: string[] = []): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.length > 214) return "npm package names are at most 214 characters long";
  if (name.trim() !== name) return "npm package names cannot start or end with spaces";
  if (name.startsWith(".") || name.startsWith("_")) return "npm package names cannot start with '.' or '_'";
  if (name.toLowerCase() !== name) return "npm package names cannot contain capital letters";
  if (/[~'!()*]/.test(name) || encodeURIComponent(name) !== name) return "npm package names can only contain lowercase letters, digits, '-', '.' and '_'";
  if (name === "node_modules" || name === "favicon.ico") return `npm does not allow the name '${name}'`;
  if (dependencies.includes(name)) return `the project depends on '${name}', and npm cannot install a dependency named like the project`;
  return undefined;
}

function suggestName(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|-+$/g, "")
    .replace(/-{2,}/g, "-")
    .slice(0, 214);
  return s && !packageNameProblem(s) && s !== name ? s : "my-project";
}

function checkTarget(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) {
    throw new UserError("NOT_A_DIRECTORY", `${dir} exists and is not a directory`, "pass the path of a new or empty directory");
  }
  const entries = readdirSync(dir).filter((e) => !IGNORED_IN_TARGET.has(e));
  if (entries.length > 0 && !force) {
    const shown = entries.slice(0, 5).join(", ") + (entries.length > 5 ? `, … (${entries.length} entries)` : "");
    throw new UserError(
      "DIRECTORY_NOT_EMPTY",
      `${dir} is not empty (${shown})`,
      "pass a new directory, e.g. restate-dev init my-project; or add --force to write the template into it (files of the same name are replaced, others kept)",
    );
  }
}

/**
 * Creates `dir` and its missing parents one level at a time. Node's recursive
 * mkdir can loop forever where a parent exists but refuses children (/proc).
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

/** Copies the template into `dir`; returns the files written, relative to `dir`. */
function copyTemplate(template: Template, dir: string, name: string): string[] {
  const written: string[] = [];
  const walk = (from: string, to: string) => {
    makeDirs(to);
    const entries = readdirSync(from, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (SKIPPED.has(entry.name)) continue;
      const source = join(from, entry.name);
      const target = join(to, RENAMED[entry.name] ?? entry.name);
      if (entry.isDirectory()) {
        walk(source, target);
        continue;
      }
      if (!entry.isFile()) continue;
      if (from === template.dir && entry.name === "package.json") {
        writeFileSync(target, projectPackageJson(source, name));
      } else if (TEXT_FILES.has(extname(entry.name))) {
        writeFileSync(target, readFileSync(source, "utf8").replaceAll("{{name}}", name));
      } else {
        copyFileSync(source, target);
      }
      written.push(relative(dir, target).split(sep).join("/"));
    }
  };
  walk(template.dir, dir);
  return written;
}

function projectPackageJson(templateFile: string, name: string): string {
  const pkg = readJson(templateFile);
  pkg.name = name;
  pkg.devDependencies = { ...pkg.devDependencies, "restate-dev": restateDevDependency() };
  return JSON.stringify(pkg, null, 2) + "\n";
}

/**
 * How the project depends on restate-dev: on this checkout (`file:`) when the
 * running restate-dev is not an installed package, else on its version.
 */
export function restateDevDependency(): string {
  const root = packageRoot();
  if (!root.split(sep).includes("node_modules")) return `file:${root}`;
  return `^${String(readJson(join(root, "package.json")).version)}`;
}

/** The template README's first curl line, for the next steps. */
function exampleCurl(readme: string): string | undefined {
  if (!existsSync(readme)) return undefined;
  return readFileSync(readme, "utf8")
    .split("\n")
    .find((l) => l.startsWith("curl "));
}

function shellQuote(s: string): string {
  return /^[\w./@:+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

function readJson(file: string): any {
  return JSON.parse(readFileSync(file, "utf8"));
}
