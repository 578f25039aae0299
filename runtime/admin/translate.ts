/**
 * Restate's SQL engine is DataFusion; these rewrites make the statements its
 * users (and Restate's own CLI) send run on SQLite with the same meaning. Each
 * works on tokens, leaving strings, quoted identifiers and comments alone.
 *
 * - `index` (sys_journal's column) is a keyword in SQLite: a bare INDEX in a
 *   statement that only reads can only be that column, so it is quoted.
 * - A subquery in FROM without an alias: DataFusion lets the outer query use
 *   the inner table's alias (`FROM (SELECT * FROM sys_invocation inv LIMIT 50000)
 *   WHERE inv.status …`, sent by `restate invocations list`); SQLite needs the
 *   alias on the subquery, so the inner alias is repeated after it.
 * - `information_schema.columns` is the query connection's TEMP table
 *   `information_schema_columns` (query_exec.ts).
 */
const TOKEN = /'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|\b[A-Za-z_][A-Za-z0-9_$]*\b/g;

function quoteIndex(sql: string): string {
  return sql.replace(TOKEN, (t) => (t.toLowerCase() === "index" ? `"${t.toLowerCase()}"` : t));
}

/** `FROM (SELECT … FROM <table> <alias> …)` not followed by an alias → `… ) <alias>`. */
const UNALIASED_SUBQUERY = /(\bFROM\s*\(\s*SELECT\b[^()']*?\bFROM\s+[A-Za-z_][A-Za-z0-9_]*\s+(?:AS\s+)?([A-Za-z_][A-Za-z0-9_]*)\b[^()']*\))(?=\s*(?:WHERE\b|GROUP\b|ORDER\b|LIMIT\b|$|;))/gi;
const NOT_ALIASES = new Set(["where", "limit", "order", "group", "join", "left", "inner", "on", "having", "union"]);

function aliasSubqueries(sql: string): string {
  return sql.replace(UNALIASED_SUBQUERY, (all, sub: string, alias: string) => (NOT_ALIASES.has(alias.toLowerCase()) ? all : `${sub} ${alias}`));
}

const STRING_OR_SCHEMA = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|\binformation_schema\s*\.\s*columns\b/gi;

function informationSchema(sql: string): string {
  return sql.replace(STRING_OR_SCHEMA, (t) => (/^['"\-/]/.test(t) ? t : "temp.information_schema_columns"));
}

export function translate(sql: string): string {
  return informationSchema(aliasSubqueries(quoteIndex(sql)));
}
