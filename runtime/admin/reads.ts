/**
 * What the admin API's REST routes read, on their own read-only connection to
 * the runtime's SQLite file (committed state; the engine's connection is never
 * used here). Each query is a short indexed lookup, so it runs in-process.
 */
import Database from "better-sqlite3";
import type { Statement } from "better-sqlite3";
import type { EntryRow } from "../storage/codec.js";
import type { AttemptFailure, InvocationRow } from "../storage/queries.js";

export interface ListFilter {
  service?: string;
  handler?: string;
  key?: string;
  statuses?: string[];
  scope?: string;
  limit: number;
}

/** A listed invocation: no input, and the result only when it is a failure. */
/** With the earliest wake-up time of its uncompleted sleeps, if any (what a "running" invocation is doing). */
export type ListedInvocation = Omit<InvocationRow, "input" | "headers"> & { sleeping_until: number | null };

const SLEEPING_UNTIL = `(SELECT MIN(json_extract(j.params, '$.wakeUpAt')) FROM journal j
  WHERE j.invocation_id = invocations.id AND j.type = 'Sleep' AND j.result_kind IS NULL) AS sleeping_until`;

/** Newest first; `only` narrows it further (to what a partial index covers). */
const LIST_SQL = (from: string, only: string) => `SELECT id, service, handler, key, service_type, handler_type, status, idempotency_key, seed, invoked_by_id,
            invoked_by_index, inbox_seq, retry_count, next_retry_at, scheduled_at, last_failure, result_kind,
            CASE WHEN result_kind = 'failure' THEN result END AS result, created_at, modified_at, running_at, completed_at,
            cancel_seq, cancel_observed_index, restarted_from, suspended_waiting, completion_expires_at, journal_expires_at,
            scope, limit_key, deployment_id, ${SLEEPING_UNTIL}
          FROM ${from}
          WHERE (@service IS NULL OR service = @service)
            AND (@handler IS NULL OR handler = @handler)
            AND (@key IS NULL OR key = @key)
            AND (@statuses IS NULL OR status IN (SELECT value FROM json_each(@statuses)))
            AND (@scope IS NULL OR scope = @scope)
            ${only}
          ORDER BY created_at DESC, rowid DESC
          LIMIT @limit`;

export class AdminReads {
  private db: Database.Database | undefined;
  private statements: Record<string, Statement> | undefined;

  constructor(private readonly dbFile: string) {}

  invocation(id: string): (InvocationRow & { sleeping_until: number | null }) | undefined {
    return this.st("invocation").get(id) as (InvocationRow & { sleeping_until: number | null }) | undefined;
  }

  journal(id: string): EntryRow[] {
    return this.st("journal").all(id) as EntryRow[];
  }

  failures(id: string): AttemptFailure[] {
    return this.st("failures").all(id) as AttemptFailure[];
  }

  list(f: ListFilter): ListedInvocation[] {
    const unfinished = f.statuses !== undefined && f.statuses.length > 0 && !f.statuses.includes("completed");
    return this.st(unfinished ? "listUnfinished" : "list").all({
      service: f.service ?? null,
      handler: f.handler ?? null,
      key: f.key ?? null,
      statuses: f.statuses ? JSON.stringify(f.statuses) : null,
      scope: f.scope ?? null,
      limit: f.limit,
    }) as ListedInvocation[];
  }

  /** Targets of the given invocations, to describe who invoked whom. */
  target(id: string): { service: string; handler: string; key: string | null } | undefined {
    return this.st("target").get(id) as { service: string; handler: string; key: string | null } | undefined;
  }

  state(service: string, key: string): Array<{ name: string; value: Buffer }> {
    return this.st("state").all(service, key) as Array<{ name: string; value: Buffer }>;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
    this.statements = undefined;
  }

  private st(name: string): Statement {
    if (!this.statements) {
      const db = new Database(this.dbFile, { readonly: true, fileMustExist: true });
      db.pragma("busy_timeout = 5000");
      const p = (sql: string) => db.prepare(sql);
      this.statements = {
        invocation: p(`SELECT *, ${SLEEPING_UNTIL} FROM invocations WHERE id = ?`),
        journal: p(`SELECT * FROM journal WHERE invocation_id = ? ORDER BY idx`),
        failures: p(`SELECT * FROM attempt_failures WHERE invocation_id = ? ORDER BY attempt`),
        target: p(`SELECT service, handler, key FROM invocations WHERE id = ?`),
        state: p(`SELECT name, value FROM state WHERE service = ? AND key = ? ORDER BY name`),
        list: p(LIST_SQL("invocations", "")),
        // Only unfinished ones (the inspector, the dashboard): the partial index, not a walk over all history.
        // (Named: with the ORDER BY, the planner would otherwise walk the created_at index over every row.)
        listUnfinished: p(LIST_SQL("invocations INDEXED BY invocations_unfinished", "AND status <> 'completed'")),
      };
      this.db = db;
    }
    return this.statements[name]!;
  }
}
