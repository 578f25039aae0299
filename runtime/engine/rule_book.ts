/**
 * The rule book of concurrency limits (Restate 1.7's `PUT /limits/rules`):
 * patterns `scope[/level1[/level2]]` where `*` matches any value at its level,
 * each with an optional concurrency cap. Kept in memory for matching and in
 * the `limit_rules` table; every change goes through group commit, so whoever
 * acknowledges it waits for `commit.durable()`.
 *
 * Versions as Restate numbers them: the book has a version bumped by every
 * batch; a new rule starts at the book's new version, a changed rule's version
 * goes up by one.
 */
import type { Db } from "../storage/db.js";
import type { GroupCommit } from "../storage/commit.js";

export interface LimitRule {
  pattern: string;
  /** Undefined: unlimited. */
  concurrency: number | undefined;
  description: string | undefined;
  disabled: boolean;
  version: number;
  lastModified: number;
}

export type Precondition = { type: "none" } | { type: "does_not_exist" } | { type: "matches"; version: number };

export interface RuleUpsert {
  pattern: string;
  concurrency: number | undefined;
  description: string | undefined;
  disabled: boolean;
  precondition: Precondition;
}

export interface RuleDelete {
  pattern: string;
  expectedVersion: number | undefined;
}

/** A batch refused as a whole; nothing of it was applied. */
export class RuleConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuleConflict";
  }
}

const LEVEL = /^(\*|[A-Za-z0-9_.-]{1,36})$/;

/** Why a pattern is not one, or undefined: 1–3 levels of `[A-Za-z0-9_.-]{1,36}` or `*`. */
export function patternError(pattern: string): string | undefined {
  const levels = pattern.split("/");
  if (levels.length > 3) return `pattern '${pattern}' has ${levels.length} levels; a pattern is scope[/limit-key-level-1[/level-2]]`;
  for (const l of levels) {
    if (!LEVEL.test(l)) return `pattern '${pattern}': each level is '*' or 1–36 characters of [a-zA-Z0-9_.-]`;
  }
  return undefined;
}

interface Row {
  pattern: string;
  concurrency: number | null;
  description: string | null;
  disabled: number;
  version: number;
  last_modified: number;
}

export class RuleBook {
  private readonly rules = new Map<string, LimitRule>();
  private bookVersion: number;
  private readonly listeners: Array<() => void> = [];

  constructor(
    private readonly db: Db,
    private readonly commit: GroupCommit,
    private readonly now: () => number,
  ) {
    for (const r of db.prepare("SELECT pattern, concurrency, description, disabled, version, last_modified FROM limit_rules").all() as Row[]) {
      this.rules.set(r.pattern, {
        pattern: r.pattern,
        concurrency: r.concurrency ?? undefined,
        description: r.description ?? undefined,
        disabled: r.disabled === 1,
        version: r.version,
        lastModified: r.last_modified,
      });
    }
    this.bookVersion = (db.prepare("SELECT version FROM rule_book WHERE id = 1").get() as { version: number } | undefined)?.version ?? 0;
  }

  /** Called after every change (the flow controller re-checks waiting invocations). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  all(): LimitRule[] {
    return [...this.rules.values()].sort((a, b) => (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
  }

  get(pattern: string): LimitRule | undefined {
    return this.rules.get(pattern);
  }

  /** Applies the batch atomically, or throws RuleConflict and applies nothing. */
  upsert(batch: RuleUpsert[]): LimitRule[] {
    for (const u of batch) {
      const existing = this.rules.get(u.pattern);
      const p = u.precondition;
      const failed = (p.type === "does_not_exist" && existing) || (p.type === "matches" && existing?.version !== p.version);
      if (failed) {
        const pre = p.type === "matches" ? `Matches(v${p.version})` : "DoesNotExist";
        throw new RuleConflict(`rule precondition ${pre} for pattern ${u.pattern} failed (actual version: ${existing ? `Some(v${existing.version})` : "None"})`);
      }
    }
    const version = this.bookVersion + 1;
    const at = this.now();
    const stored = batch.map((u) => {
      const existing = this.rules.get(u.pattern);
      const rule: LimitRule = {
        pattern: u.pattern,
        concurrency: u.concurrency,
        description: u.description,
        disabled: u.disabled,
        version: existing ? existing.version + 1 : version,
        lastModified: at,
      };
      this.rules.set(u.pattern, rule);
      return rule;
    });
    this.bookVersion = version;
    const put = this.db.prepare(
      "INSERT OR REPLACE INTO limit_rules (pattern, concurrency, description, disabled, version, last_modified) VALUES (?, ?, ?, ?, ?, ?)",
    );
    const book = this.db.prepare("UPDATE rule_book SET version = ? WHERE id = 1");
    this.commit.enqueue(() => {
      for (const r of stored) put.run(r.pattern, r.concurrency ?? null, r.description ?? null, r.disabled ? 1 : 0, r.version, r.lastModified);
      book.run(version);
    });
    this.changed();
    return stored;
  }

  /** Deletes the patterns (absent ones without an expected version are no-ops); returns those removed. */
  delete(batch: RuleDelete[]): string[] {
    for (const d of batch) {
      const existing = this.rules.get(d.pattern);
      if (d.expectedVersion !== undefined && existing?.version !== d.expectedVersion) {
        throw new RuleConflict(
          `rule precondition Matches(v${d.expectedVersion}) for pattern ${d.pattern} failed (actual version: ${existing ? `Some(v${existing.version})` : "None"})`,
        );
      }
    }
    const removed = batch.map((d) => d.pattern).filter((p) => this.rules.delete(p));
    if (removed.length === 0) return [];
    this.bookVersion += 1;
    const version = this.bookVersion;
    const del = this.db.prepare("DELETE FROM limit_rules WHERE pattern = ?");
    const book = this.db.prepare("UPDATE rule_book SET version = ? WHERE id = 1");
    this.commit.enqueue(() => {
      for (const p of removed) del.run(p);
      book.run(version);
    });
    this.changed();
    return removed;
  }

  /**
   * The enabled rules with a cap that cover an invocation in `scope` with
   * `limitKey`, each with the budget key it counts against: `*` gives every
   * value it matches its own budget. A scope rule (one level) covers the whole
   * scope; a deeper rule only invocations whose limit key has those levels.
   */
  budgetsFor(scope: string, limitKey: string | undefined): Array<{ rule: LimitRule; budget: string }> {
    const levels = [scope, ...(limitKey ? limitKey.split("/") : [])];
    const out: Array<{ rule: LimitRule; budget: string }> = [];
    for (const rule of this.rules.values()) {
      if (rule.disabled || rule.concurrency === undefined) continue;
      const pattern = rule.pattern.split("/");
      if (pattern.length > levels.length) continue;
      if (!pattern.every((p, i) => p === "*" || p === levels[i])) continue;
      out.push({ rule, budget: `${rule.pattern}\u0000${levels.slice(0, pattern.length).join("/")}` });
    }
    return out;
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
