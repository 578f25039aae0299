/**
 * POST /query (and `restate-dev sql`) cannot be wedged: every statement has a
 * time limit and a result-size limit, only statements that read run, a query
 * never waits without bound behind another, and the runtime's own work
 * (ingress calls, journal commits) goes on while a runaway query runs.
 */
import { describe, expect, it } from "vitest";
import { call, runForFile, sleep, type UpProcess } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
const greeter = restate.service({
  name: "greeter",
  handlers: {
    async greet(ctx: restate.Context, name: string) {
      const n = await ctx.run("step", () => name.length);
      return "hello " + name + " " + n;
    },
  },
});
restate.serve({ services: [greeter] });
`,
};

// Query processes run niced: on a loaded machine a big (legitimate) allocation takes a while.
const TIMEOUT_S = 5;
const RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

let up: UpProcess;
runForFile(PROJECT, (started) => (up = started), { args: ["--query-timeout", `${TIMEOUT_S}s`] });

// JSON answers (without the Accept header, fetch's */* gets Arrow, as from Restate).
const query = (sql: string) => call(up.adminUrl, "/query", { query: sql }, { headers: { accept: "application/json" } });
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
}

describe("time and size limits", () => {
  it("a statement running past the time limit is stopped, and the error names the limit", async () => {
    const { value: r, ms } = await timed(() => query(RUNAWAY));
    expect(r.status).toBe(400);
    expect(r.json.message).toContain(`did not finish within ${TIMEOUT_S} s`);
    expect(r.json.message).toContain("--query-timeout");
    expect(ms).toBeGreaterThan(TIMEOUT_S * 1000 - 100);
    expect(ms).toBeLessThan(TIMEOUT_S * 1000 + 4000);
    expect((await query("SELECT 1 AS one")).json.rows).toEqual([{ one: 1 }]);
  });

  it("many blob rows are refused as soon as the result passes the limit, not after they are all in memory", async () => {
    // 120 rows of 10 MB: the query, which used to take the query process to 4 GB.
    const { value: r, ms } = await timed(() => query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 120) SELECT zeroblob(10000000) FROM c"));
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/result is larger than 32 MB.*after \d row/);
    expect(ms).toBeLessThan(TIMEOUT_S * 1000);
  });

  it("one wide row of huge values is refused too", async () => {
    const r = await query("SELECT zeroblob(300000000) AS a, zeroblob(300000000) AS b, zeroblob(300000000) AS c");
    expect(r.status).toBe(400);
    expect(r.json.message).toContain("result is larger than 32 MB");
    expect((await query("SELECT 2 AS two")).json.rows).toEqual([{ two: 2 }]);
  });
});

describe("only statements that read", () => {
  it("every PRAGMA that changes something, ATTACH, VACUUM INTO and writes through CTEs or temp tables are refused, whatever the spelling", async () => {
    for (const sql of [
      "PRAGMA locking_mode(EXCLUSIVE)",
      "PRAGMA locking_mode = EXCLUSIVE",
      "pragma /* hi */ main.locking_mode ( 'exclusive' )",
      `PRAGMA "locking_mode" = 'EXCLUSIVE'`,
      "EXPLAIN PRAGMA locking_mode = EXCLUSIVE",
      "PRAGMA query_only = OFF",
      "PRAGMA journal_mode",
      "PRAGMA wal_checkpoint(TRUNCATE)",
      "ATTACH DATABASE '/tmp/restate-dev-attack.db' AS x",
      "VACUUM INTO '/tmp/restate-dev-attack.db'",
      "BEGIN EXCLUSIVE",
      "CREATE TEMP TABLE t (a)",
      "INSERT INTO temp.sys_service VALUES ('evil', 'service', 1) RETURNING *",
      "WITH x AS (SELECT 1) INSERT INTO temp.sys_service SELECT 'evil', 'service', 1, 1, NULL FROM x RETURNING *",
      "WITH x AS (SELECT 1) DELETE FROM invocations",
      "-- comment\n  DELETE FROM invocations",
    ]) {
      const r = await query(sql);
      expect(r.status, sql).toBe(400);
      expect(r.json.message, sql).toContain("only runs statements that read");
    }
    // None of them took effect: reads see the real services, and the engine still commits.
    expect((await query("SELECT name FROM sys_service")).json.rows).toEqual([{ name: "greeter" }]);
    const { value, ms } = await timed(() => call(up.ingressUrl, "/greeter/greet", JSON.stringify("after")));
    expect(value.json).toBe("hello after 5");
    expect(ms).toBeLessThan(2000);
  });

  it("schema PRAGMAs, EXPLAIN and the table-valued pragma functions still answer", async () => {
    expect((await query("PRAGMA table_info(sys_invocation)")).json.rows.length).toBeGreaterThan(5);
    expect((await query("PRAGMA main.index_list('invocations')")).status).toBe(200);
    expect((await query("SELECT name FROM pragma_table_info('sys_journal') WHERE name = 'index'")).json.rows).toEqual([{ name: "index" }]);
    expect((await query("EXPLAIN QUERY PLAN SELECT * FROM sys_invocation")).status).toBe(200);
    expect((await query("VALUES (1, 2)")).status).toBe(200);
  });
});

describe("no query waits without bound, and the runtime's work goes on", () => {
  it("a query is answered at once while another runs away (parallel readers)", async () => {
    const runaway = query(RUNAWAY);
    await sleep(300);
    const { value, ms } = await timed(() => query("SELECT 1 AS one"));
    expect(value.json.rows).toEqual([{ one: 1 }]);
    expect(ms).toBeLessThan(TIMEOUT_S * 1000 - 300);
    expect((await runaway).status).toBe(400);
  });

  it("when every query process is busy and the queue is full, the answer is 503 with Retry-After", async () => {
    // 2 run away, 4 wait behind them: the 7th is turned away at once.
    const runaways = [query(RUNAWAY), query(RUNAWAY)];
    await sleep(300);
    const waiting = Array.from({ length: 4 }, (_, i) => query(`SELECT ${i} AS i`));
    await sleep(100);
    const { value: busy, ms } = await timed(() => query("SELECT 1"));
    expect(busy.status).toBe(503);
    const retryAfter = Number(busy.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(TIMEOUT_S);
    expect(busy.json.message).toContain("busy");
    expect(ms).toBeLessThan(1000);
    // The waiting ones run as soon as the runaways are stopped.
    for (const r of await Promise.all(runaways)) expect(r.status).toBe(400);
    expect((await Promise.all(waiting)).map((r) => r.json.rows)).toEqual([[{ i: 0 }], [{ i: 1 }], [{ i: 2 }], [{ i: 3 }]]);
  });

  it("ingress calls (with journal commits) keep their latency while two runaway queries run", async () => {
    const sample = async (n: number, until = Infinity) => {
      const ms: number[] = [];
      for (let i = 0; i < n && performance.now() < until; i++) {
        const t = await timed(() => call(up.ingressUrl, "/greeter/greet", JSON.stringify(`n${i}`)));
        expect(t.value.status).toBe(200);
        ms.push(t.ms);
      }
      return ms.sort((a, b) => a - b);
    };
    const baseline = await sample(20);
    const runaways = [query(RUNAWAY), query(RUNAWAY)];
    await sleep(200);
    const during = await sample(40, performance.now() + (TIMEOUT_S * 1000 - 400));
    await Promise.all(runaways);
    const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
    console.log(
      `ingress call latency: baseline median ${median(baseline).toFixed(1)} ms, max ${baseline.at(-1)!.toFixed(1)} ms; ` +
        `during two runaway queries median ${median(during).toFixed(1)} ms, max ${during.at(-1)!.toFixed(1)} ms (${during.length} calls)`,
    );
    expect(during.length).toBeGreaterThanOrEqual(5);
    expect(median(during)).toBeLessThan(300);
    expect(during.at(-1)!).toBeLessThan(2000);
  });
});
