/**
 * `restate-dev rules list|set|enable|disable|delete`: the concurrency-limit
 * rules of flow control, as `restate rules …` manages them: reads from
 * `sys_rules` (POST /query), changes with `PUT /limits/rules` and
 * `POST /limits/rules/bulk-delete`, each conditional on the version just read,
 * so a concurrent change is refused rather than overwritten.
 */
import { check, withAdmin, type AdminClient } from "../admin_client.js";
import { canAsk, confirm, note, printJson, stdoutStyle, table } from "../format.js";
import { UserError } from "../../runtime/errors.js";

interface Common {
  adminUrl?: string;
  json?: boolean;
}

interface RuleRow {
  pattern: string;
  concurrency?: number;
  description?: string;
  disabled: boolean;
  version: number;
  last_modified: string;
}

const HINT = "a pattern is scope[/limit-key-level-1[/level-2]], each level '*' or 1–36 characters of [a-zA-Z0-9_.-]; 'restate-dev rules list' shows the rules";

const connect = (opts: Common, access: "read" | "live") => ({
  access,
  why: "only the running runtime can change its rules (reading works without it: rules list)",
  ...(opts.adminUrl !== undefined ? { adminUrl: opts.adminUrl } : {}),
});

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function readRules(admin: AdminClient, pattern?: string): Promise<RuleRow[]> {
  const where = pattern === undefined ? "" : ` WHERE pattern = ${quote(pattern)}`;
  const res = check(await admin.send("POST", "/query", { query: `SELECT pattern, concurrency, description, disabled, version, last_modified FROM sys_rules${where} ORDER BY pattern` }), HINT);
  return (res.json as { rows: RuleRow[] }).rows;
}

export async function rulesList(opts: Common): Promise<number> {
  return withAdmin(connect(opts, "read"), async (admin) => {
    const rows = await readRules(admin);
    if (opts.json) {
      printJson(rows);
      return 0;
    }
    if (rows.length === 0) {
      note("no rules defined; add one with: restate-dev rules set <pattern> --concurrency <n>");
      return 0;
    }
    const style = stdoutStyle();
    process.stdout.write(
      table(
        ["PATTERN", "CONCURRENCY", "DISABLED", "VERSION", "DESCRIPTION"],
        rows.map((r) => [r.pattern, r.concurrency === undefined ? "unlimited" : String(r.concurrency), r.disabled ? "yes" : "no", `v${r.version}`, r.description ?? ""]),
        style,
      ),
    );
    return 0;
  });
}

export interface SetOptions extends Common {
  concurrency?: string;
  unlimited?: boolean;
  description?: string;
  disabled?: boolean;
}

function parseConcurrency(opts: SetOptions): number | undefined {
  if (opts.unlimited && opts.concurrency !== undefined) throw new UserError("BAD_INPUT", "--concurrency and --unlimited exclude each other", "pass one of them");
  if (opts.unlimited) return undefined;
  if (opts.concurrency === undefined) throw new UserError("BAD_INPUT", "say how many may run at once", "pass --concurrency <n> (1 or more), or --unlimited");
  const n = Number(opts.concurrency);
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) {
    throw new UserError("BAD_INPUT", `--concurrency must be a whole number of at least 1, got '${opts.concurrency}'`, "for example --concurrency 2, or --unlimited for no cap");
  }
  return n;
}

async function upsert(admin: AdminClient, pattern: string, change: (existing: RuleRow | undefined) => Record<string, unknown>): Promise<{ rule: { version: number }; created: boolean }> {
  const [existing] = await readRules(admin, pattern);
  const body = [{ pattern, ...change(existing), precondition: existing ? { type: "matches", version: existing.version } : { type: "does_not_exist" } }];
  const res = check(await admin.send("PUT", "/limits/rules", body), HINT);
  const [rule] = res.json as Array<{ version: number }>;
  return { rule: rule!, created: existing === undefined };
}

export async function rulesSet(pattern: string, opts: SetOptions): Promise<number> {
  const concurrency = parseConcurrency(opts);
  return withAdmin(connect(opts, "live"), async (admin) => {
    const { rule, created } = await upsert(admin, pattern, (existing) => {
      const description = opts.description ?? existing?.description;
      return {
        limits: concurrency === undefined ? {} : { concurrency },
        ...(description !== undefined ? { description } : {}),
        disabled: opts.disabled ?? false,
      };
    });
    if (opts.json) printJson(rule);
    else note(`${created ? "created" : "updated"} rule '${pattern}' (version v${rule.version}): ${concurrency === undefined ? "unlimited" : `at most ${concurrency} running at once`}${opts.disabled ? ", disabled" : ""}`);
    return 0;
  });
}

export async function rulesEnable(pattern: string, enable: boolean, opts: Common): Promise<number> {
  return withAdmin(connect(opts, "live"), async (admin) => {
    const [existing] = await readRules(admin, pattern);
    if (!existing) throw new UserError("NOT_FOUND", `no rule with pattern '${pattern}'`, "'restate-dev rules list' shows the rules");
    const { rule } = await upsert(admin, pattern, (r) => ({
      limits: r!.concurrency === undefined ? {} : { concurrency: r!.concurrency },
      ...(r!.description !== undefined ? { description: r!.description } : {}),
      disabled: !enable,
    }));
    if (opts.json) printJson(rule);
    else note(`rule '${pattern}' ${enable ? "enabled" : "disabled"} (version v${rule.version})`);
    return 0;
  });
}

export async function rulesDelete(pattern: string, opts: Common & { yes?: boolean }): Promise<number> {
  return withAdmin(connect(opts, "live"), async (admin) => {
    const [existing] = await readRules(admin, pattern);
    if (!existing) throw new UserError("NOT_FOUND", `no rule with pattern '${pattern}'`, "'restate-dev rules list' shows the rules");
    if (!opts.yes) {
      if (!canAsk()) throw new UserError("NOT_CONFIRMED", `refusing to delete rule '${pattern}' without confirmation (not a terminal, so there is no one to ask)`, "pass --yes (-y) to confirm");
      if (!(await confirm(`Delete rule '${pattern}'?`))) {
        process.stderr.write("nothing changed\n");
        return 0;
      }
    }
    const res = check(await admin.send("POST", "/limits/rules/bulk-delete", [{ pattern, expected_version: existing.version }]), HINT);
    if (opts.json) printJson(res.json);
    else note(`deleted rule '${pattern}'`);
    return 0;
  });
}
