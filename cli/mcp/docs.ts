/**
 * restate-dev's README, cut into its `## ` sections, for assistants: each
 * section is an MCP resource (`restate-dev://docs/<slug>`), and the read_docs
 * tool finds sections by title or words. Read from the installed package, so
 * the docs match the running version.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface DocSection {
  slug: string;
  title: string;
  text: string;
}

export const DOCS_URI = "restate-dev://docs/";
/** At most this much text per read_docs answer. */
const DOCS_BUDGET = 16_000;

let cached: DocSection[] | undefined;

export function docSections(): DocSection[] {
  if (cached) return cached;
  const root = packageRoot();
  const readme = root && existsSync(join(root, "README.md")) ? join(root, "README.md") : undefined;
  const text = readme ? readFileSync(readme, "utf8") : "";
  const sections: DocSection[] = [];
  let current: DocSection = { slug: "overview", title: "Overview", text: "" };
  for (const line of text.split("\n")) {
    const h = /^## (.+)$/.exec(line);
    if (h) {
      if (current.text.trim()) sections.push(current);
      const title = h[1]!.trim();
      current = { slug: slugOf(title), title, text: "" };
    }
    current.text += line + "\n";
  }
  if (current.text.trim()) sections.push(current);
  cached = sections;
  return sections;
}

/** restate-dev's package directory: the first one up from this module (dist/cli/mcp or cli/mcp) with a package.json. */
export function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

function slugOf(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** read_docs: without a topic the list of sections; with one, the sections it names or that mention its words most. */
export function readDocs(topic: string | undefined): string {
  const sections = docSections();
  if (sections.length === 0) return "the README is not installed with this copy of restate-dev";
  const list = sections.map((s) => `- ${s.title} (read_docs {"topic":"${s.slug}"}, resource ${DOCS_URI}${s.slug})`).join("\n");
  if (!topic?.trim()) return `restate-dev's documentation, by section:\n${list}`;
  const want = topic.trim().toLowerCase();
  const named = sections.filter((s) => s.slug === slugOf(want) || s.title.toLowerCase() === want);
  const words = want.split(/\W+/).filter((w) => w.length > 2);
  const hits = named.length
    ? named
    : sections
        .map((s) => ({ s, score: words.reduce((n, w) => n + (s.title.toLowerCase().includes(w) ? 10 : 0) + count(s.text.toLowerCase(), w), 0) }))
        .filter((x) => x.score > 0)
        .sort((a, b) => b.score - a.score)
        .slice(0, 3)
        .map((x) => x.s);
  if (hits.length === 0) return `no section mentions '${topic}'. The sections:\n${list}`;
  let out = "";
  for (const s of hits) {
    if (out.length + s.text.length > DOCS_BUDGET) {
      out += `\n[${s.title}: cut here; read_docs {"topic":"${s.slug}"} shows it alone]\n`;
      break;
    }
    out += s.text + "\n";
  }
  return out.trimEnd();
}

function count(text: string, word: string): number {
  let n = 0;
  for (let i = text.indexOf(word); i !== -1; i = text.indexOf(word, i + word.length)) n++;
  return n;
}
