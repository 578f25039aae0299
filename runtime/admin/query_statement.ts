/**
 * Which `POST /query` statements may be prepared at all. This has to be
 * decided from the text, before SQLite sees it: some PRAGMAs act while the
 * statement is being prepared (`PRAGMA locking_mode(EXCLUSIVE)`, also under
 * EXPLAIN and with a quoted name), so no check on the prepared statement
 * could stop them. Allowed: SELECT, WITH and VALUES statements (whether they
 * write is then checked on the prepared statement, see query_exec.ts),
 * EXPLAIN [QUERY PLAN] of those, and PRAGMAs that only describe the schema,
 * whatever their spelling. Everything else (ATTACH, VACUUM INTO, BEGIN,
 * CREATE, any other PRAGMA, …) is refused.
 */

/** PRAGMAs that read and have no side effect, whatever their argument. */
const DESCRIBING_PRAGMAS = new Set([
  "table_info",
  "table_xinfo",
  "table_list",
  "index_list",
  "index_info",
  "index_xinfo",
  "foreign_key_list",
  "collation_list",
  "function_list",
  "module_list",
  "pragma_list",
  "database_list",
  "compile_options",
]);

const READING_STATEMENTS = new Set(["select", "with", "values"]);

/** undefined when the statement may be prepared; otherwise why not. */
export function statementRefusal(sql: string): string | undefined {
  const tokens = words(sql);
  let i = 0;
  if (tokens[i] === "explain") {
    i++;
    if (tokens[i] === "query" && tokens[i + 1] === "plan") i += 2;
  }
  const first = tokens[i];
  if (first === undefined) return undefined; // SQLite itself says the statement is empty
  if (READING_STATEMENTS.has(first)) return undefined;
  if (first === "pragma") {
    // PRAGMA [schema.]name …: the name is the token after an optional "schema ."
    const name = tokens[i + 2] === "." ? tokens[i + 3] : tokens[i + 1];
    if (name !== undefined && DESCRIBING_PRAGMAS.has(name)) return undefined;
    return `PRAGMA ${name ?? ""} is not one that only describes the schema (those are ${[...DESCRIBING_PRAGMAS].join(", ")})`;
  }
  return `${first.toUpperCase()} statements are not run here`;
}

/**
 * The statement's leading tokens, lowercased, with comments dropped and
 * quoted names and strings unquoted (SQLite takes `PRAGMA "x"` and
 * `PRAGMA 'x'` for `PRAGMA x`). Enough of them to classify it.
 */
function words(sql: string): string[] {
  const out: string[] = [];
  const re = /\s+|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|"((?:[^"]|"")*)"|'((?:[^']|'')*)'|`([^`]*)`|\[([^\]]*)\]|([A-Za-z_][A-Za-z0-9_$]*)|(.)/gy;
  let m: RegExpExecArray | null;
  while (out.length < 6 && (m = re.exec(sql)) !== null) {
    if (m[0].length === 0) break;
    const quoted = m[1]?.replace(/""/g, '"') ?? m[2]?.replace(/''/g, "'") ?? m[3] ?? m[4];
    if (quoted !== undefined) out.push(quoted.toLowerCase());
    else if (m[5] !== undefined) out.push(m[5].toLowerCase());
    else if (m[6] !== undefined) out.push(m[6]);
  }
  return out;
}
