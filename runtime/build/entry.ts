/**
 * Which file of a project binds its services: `--entry`, else the first
 * conventional name that exists (src/index.*, then src/app.* as Restate's
 * create-app template has it, then index.* / app.* at the root), else what
 * package.json's `main` names: itself when it is a source, or mapped back from a
 * build folder to its source (dist/app.js → src/app.ts).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, normalize, resolve, sep } from "node:path";
import { UserError } from "../errors.js";

const SOURCE_EXTENSIONS = [".ts", ".mts", ".cts", ".tsx", ".js", ".mjs", ".cjs"];

export const ENTRY_CANDIDATES = [
  "src/index.ts",
  "src/index.mts",
  "src/index.js",
  "src/index.mjs",
  "src/app.ts",
  "src/app.mts",
  "src/app.js",
  "src/app.mjs",
  "index.ts",
  "index.js",
  "app.ts",
  "app.js",
];

/** Folders compilers write to, and where their sources usually are. */
const BUILD_FOLDERS = ["dist", "build", "lib", "out"];

const isFile = (f: string) => existsSync(f) && statSync(f).isFile();

/** The project's entry file: the one given, or the first that discovery finds. */
export function findEntry(projectDir: string, entry?: string): string {
  if (entry) {
    const file = resolve(projectDir, entry);
    if (!isFile(file)) throw new UserError("ENTRY_NOT_FOUND", `entry file ${file} does not exist`, "pass an existing file with --entry");
    return file;
  }
  const tried: string[] = [];
  for (const c of ENTRY_CANDIDATES) {
    tried.push(c);
    if (isFile(join(projectDir, c))) return join(projectDir, c);
  }
  const main = packageMain(projectDir);
  if (main !== undefined) {
    for (const c of sourcesOfMain(main)) {
      tried.push(`${c} (from package.json "main": "${main}")`);
      if (isFile(join(projectDir, c))) return join(projectDir, c);
    }
  }
  throw new UserError(
    "ENTRY_NOT_FOUND",
    `no entry file in ${projectDir}; tried ${tried.join(", ")}`,
    "create src/index.ts (or src/app.ts) that binds your services, point package.json \"main\" at it, or pass --entry <file>",
  );
}

function packageMain(projectDir: string): string | undefined {
  const file = join(projectDir, "package.json");
  if (!isFile(file)) return undefined;
  try {
    const main = (JSON.parse(readFileSync(file, "utf8")) as { main?: unknown }).main;
    return typeof main === "string" && main.trim() ? main.trim() : undefined;
  } catch {
    return undefined; // a broken package.json is npm's to report
  }
}

/** Where the source of `main` may be, most likely first, relative to the project. */
export function sourcesOfMain(main: string): string[] {
  const rel = normalize(main).split(sep).join("/").replace(/^\.\//, "");
  if (rel.startsWith("../") || rel.startsWith("/")) return [];
  const out: string[] = [];
  const add = (p: string) => !out.includes(p) && out.push(p);
  const stem = rel.replace(/\.(c|m)?js$/, "");
  const parts = stem.split("/");
  const inBuild = parts.length > 1 && BUILD_FOLDERS.includes(parts[0]!);
  // A source named directly (src/main.ts, index.js) comes first.
  if (!inBuild) add(rel);
  const bases = inBuild ? [`src/${parts.slice(1).join("/")}`, parts.slice(1).join("/")] : [stem];
  for (const b of bases) for (const ext of SOURCE_EXTENSIONS) add(b + ext);
  return out;
}
