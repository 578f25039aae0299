/**
 * Flow control (Restate 1.7 with its three experimental-enable-* options; always
 * on in restate-dev): scopes as namespaces for state and idempotency keys, limit
 * keys, scope and limit key as the handler sees them, the syntax errors, and
 * the concurrency-limit rules with their admin API and pattern semantics.
 * The same assertions on both targets.
 */
import { describe, expect, it } from "vitest";
import { rpc } from "@restatedev/restate-sdk-clients";
import type { counter, who, work } from "./fixtures/flow/src/index.js";
import { call, eventually, sleep } from "../test/helpers/runtime.js";
import { selectedTargets, useTarget, type ProjectSpec } from "./harness/targets.js";

const FLOW: ProjectSpec = { source: "compat/fixtures/flow", flowControl: true };
const COUNTER = { name: "counter" } as typeof counter;
const WORK = { name: "work" } as typeof work;
const WHO = { name: "who" } as typeof who;

type Held = { start: number; end: number; scope: string | null; limitKey: string | null };

describe.each(selectedTargets())("flow control on %s", (kind) => {
  const t = useTarget(kind, FLOW);

  async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: any }> {
    const res = await fetch(`${t.adminUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", accept: "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  }
  const sql = async (query: string) => (await admin("POST", "/query", { query })).json.rows as any[];

  /** Two calls of work/hold at once; true when they ran at the same time. */
  async function overlap(first: () => Promise<Held>, second: () => Promise<Held>): Promise<boolean> {
    const [a, b] = await Promise.all([first(), sleep(50).then(second)]);
    const [x, y] = a.start <= b.start ? [a, b] : [b, a];
    return y.start < x.end;
  }
  const hold = (scope: string, limitKey?: string) => () => {
    const client = t.ingress.scope(scope).serviceClient(WORK);
    return (limitKey ? client.hold(1200, rpc.opts<number, Held>({ limitKey })) : client.hold(1200)) as Promise<Held>;
  };

  it("state is per scope: unscoped, t1 and t2 are three objects", async () => {
    await t.ingress.objectClient(COUNTER, "k").add(1);
    await t.ingress.scope("t1").objectClient(COUNTER, "k").add(10);
    await t.ingress.scope("t1").objectClient(COUNTER, "k").add(10);
    await t.ingress.scope("t2").objectClient(COUNTER, "k").add(100);
    expect(await t.ingress.objectClient(COUNTER, "k").get()).toBe(1);
    expect(await t.ingress.scope("t1").objectClient(COUNTER, "k").get()).toBe(20);
    expect(await t.ingress.scope("t2").objectClient(COUNTER, "k").get()).toBe(100);
    // Sorted here: NULL sorts first in SQLite and last in DataFusion (see README, known differences).
    const rows = await sql("SELECT scope, service_key, key, value_utf8 FROM state WHERE service_name = 'counter' AND service_key = 'k' AND key = 'count'");
    rows.sort((a, b) => (a.scope ?? "").localeCompare(b.scope ?? ""));
    expect(rows).toEqual([
      { service_key: "k", key: "count", value_utf8: "1" },
      { scope: "t1", service_key: "k", key: "count", value_utf8: "20" },
      { scope: "t2", service_key: "k", key: "count", value_utf8: "100" },
    ]);
  });

  it("the handler sees its scope and limit key; sys_invocation shows them", async () => {
    await t.ingress.scope("t1").objectClient(COUNTER, "seen").add(1, rpc.opts({ limitKey: "tenant1/user42" }));
    expect(await t.ingress.scope("t1").objectClient(COUNTER, "seen").seen()).toEqual({ scope: "t1", limitKey: "tenant1/user42" });
    await t.ingress.objectClient(COUNTER, "seen").add(1);
    expect(await t.ingress.objectClient(COUNTER, "seen").seen()).toEqual({ scope: null, limitKey: null });
    const rows = await sql("SELECT target, scope, limit_key FROM sys_invocation WHERE target = 'counter/seen/add' ORDER BY created_at");
    expect(rows).toEqual([{ target: "counter/seen/add", scope: "t1", limit_key: "tenant1/user42" }, { target: "counter/seen/add" }]);
  });

  it("idempotency keys are per scope", async () => {
    const send = (path: string) => call(t.ingressUrl, path, 1, { headers: { "idempotency-key": "ik1" } });
    const a = await send("/restate/scope/t1/call/counter/idem/add");
    const b = await send("/restate/scope/t1/call/counter/idem/add");
    const c = await send("/restate/scope/t2/call/counter/idem/add");
    const d = await send("/counter/idem/add");
    expect([a.status, b.status, c.status, d.status]).toEqual([200, 200, 200, 200]);
    expect(b.headers.get("x-restate-id")).toBe(a.headers.get("x-restate-id"));
    expect([a.json, b.json, c.json, d.json]).toEqual([1, 1, 1, 1]);
    const ids = new Set([a, c, d].map((r) => r.headers.get("x-restate-id")));
    expect(ids.size).toBe(3);
  });

  it("a scoped send answers 202; the scoped URLs of sdk-clients and curl agree", async () => {
    const r = await call(t.ingressUrl, "/restate/scope/t3/send/counter/sent/add", 5);
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ invocationId: expect.stringMatching(/^inv_1/), status: "Accepted" });
    await eventually(async () => ((await t.ingress.scope("t3").objectClient(COUNTER, "sent").get()) === 5 ? true : undefined), 10_000, "the send ran in t3");
    expect(await t.ingress.objectClient(COUNTER, "sent").get()).toBe(0);
  });

  it("ctx.scope(s) calls into s; a plain call from a scoped handler is unscoped (no inheritance)", async () => {
    expect(await t.ingress.serviceClient(WORK).fan({ scope: "t3", key: "fan", n: 5 })).toBe(5);
    expect(await t.ingress.scope("t3").objectClient(COUNTER, "fan").get()).toBe(5);
    expect(await t.ingress.scope("t3").objectClient(COUNTER, "fan").seen()).toEqual({ scope: "t3", limitKey: null });
    expect(await t.ingress.objectClient(COUNTER, "fan").get()).toBe(0);

    expect(await t.ingress.scope("t8").serviceClient(WORK).plain({ key: "inh", n: 3 })).toBe(3);
    expect(await t.ingress.objectClient(COUNTER, "inh").get()).toBe(3);
    expect(await t.ingress.objectClient(COUNTER, "inh").seen()).toEqual({ scope: null, limitKey: null });
    expect(await t.ingress.scope("t8").objectClient(COUNTER, "inh").get()).toBe(0);

    expect(await t.ingress.serviceClient(WORK).withLimitKey({ scope: "t4", limitKey: "a/b" })).toEqual({ scope: "t4", limitKey: "a/b" });
    expect(await t.ingress.scope("t4").serviceClient(WHO).whoami()).toEqual({ scope: "t4", limitKey: null });
  });

  it("answers 400 for a bad scope, a bad path and a limit key without a scope", async () => {
    const err = async (path: string, headers: Record<string, string> = {}) => {
      const r = await call(t.ingressUrl, path, 1, { headers });
      return { status: r.status, message: r.json?.message, source: r.json?.source };
    };
    expect(await err("/restate/scope/bad%20scope/call/counter/k/add")).toEqual({
      status: 400,
      message: "bad scope value: value contains characters outside the allowed set [a-zA-Z0-9_.-]",
      source: "ingress",
    });
    expect(await err(`/restate/scope/${"a".repeat(37)}/call/counter/k/add`)).toEqual({
      status: 400,
      message: "bad scope value: value too long: 37 bytes (max 36)",
      source: "ingress",
    });
    expect(await err("/counter/k/add", { "x-restate-limit-key": "a" })).toEqual({ status: 400, message: "limit-key requires a scope to be set", source: "ingress" });
    const bad = await err("/restate/scope/t1/counter/k/add");
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/^bad path, expected \/restate\/call\/:service\/:handler, .*\/restate\/scope\/:scope\/call\/:service\/:handler/);
  });

  it("rules: PUT with preconditions and versions, bulk-delete, sys_rules", async () => {
    const created = await admin("PUT", "/limits/rules", [{ pattern: "v1", limits: { concurrency: 1 }, description: "d", precondition: { type: "does_not_exist" } }]);
    expect(created.status).toBe(200);
    const [rule] = created.json;
    expect(rule).toEqual({ pattern: "v1", limits: { concurrency: 1 }, description: "d", disabled: false, version: expect.any(Number), last_modified_millis_since_epoch: expect.any(Number) });
    const again = await admin("PUT", "/limits/rules", [{ pattern: "v1", limits: { concurrency: 1 }, precondition: { type: "does_not_exist" } }]);
    expect(again.status).toBe(409);
    const disabled = await admin("PUT", "/limits/rules", [{ pattern: "v1", limits: { concurrency: 1 }, disabled: true, precondition: { type: "matches", version: rule.version } }]);
    expect(disabled.json[0]).toMatchObject({ pattern: "v1", disabled: true, version: rule.version + 1 });
    const stale = await admin("PUT", "/limits/rules", [{ pattern: "zz", limits: {}, precondition: { type: "matches", version: 99 } }]);
    expect(stale.status).toBe(409);
    expect(stale.json.message).toBe("rule precondition Matches(v99) for pattern zz failed (actual version: None)");
    const zero = await admin("PUT", "/limits/rules", [{ pattern: "v0", limits: { concurrency: 0 } }]);
    expect(zero.status).toBeGreaterThanOrEqual(400);
    expect(zero.status).toBeLessThan(500);
    expect(zero.text).toContain("expected a nonzero u32");
    const unlimited = await admin("PUT", "/limits/rules", [{ pattern: "v2", limits: {} }]);
    expect(unlimited.json[0]).toMatchObject({ pattern: "v2", limits: {}, disabled: false });
    expect(await sql("SELECT pattern, concurrency, description, disabled, version FROM sys_rules WHERE pattern IN ('v1', 'v2') ORDER BY pattern")).toEqual([
      { pattern: "v1", concurrency: 1, disabled: true, version: rule.version + 1 },
      { pattern: "v2", disabled: false, version: unlimited.json[0].version },
    ]);
    const deleted = await admin("POST", "/limits/rules/bulk-delete", [{ pattern: "v1", expected_version: rule.version + 1 }, { pattern: "v2" }]);
    expect(deleted.json).toEqual(["v1", "v2"]);
    expect((await admin("POST", "/limits/rules/bulk-delete", [{ pattern: "nope" }])).status).toBe(200);
    expect(await sql("SELECT pattern FROM sys_rules WHERE pattern IN ('v1', 'v2')")).toEqual([]);
  });

  it("a scope rule caps the whole scope; waiting invocations are pending", async () => {
    expect(await overlap(hold("free"), hold("free"))).toBe(true);
    expect((await admin("PUT", "/limits/rules", [{ pattern: "c1", limits: { concurrency: 1 } }])).status).toBe(200);
    await sleep(600);
    expect(await overlap(hold("c1"), hold("c1"))).toBe(false);
    expect(await overlap(hold("c1", "x"), hold("c1", "y"))).toBe(false);

    for (let i = 0; i < 3; i++) expect((await call(t.ingressUrl, "/restate/scope/c1/send/work/hold", 1500)).status).toBe(202);
    const statuses = await eventually(async () => {
      const rows = await sql("SELECT status, count(*) AS n FROM sys_invocation WHERE scope = 'c1' AND status <> 'completed' GROUP BY status ORDER BY status");
      return rows.length === 2 ? rows : undefined;
    }, 5000, "one running and two pending");
    expect(statuses).toEqual([{ status: "pending", n: 2 }, { status: "running", n: 1 }]);
  });

  it("pattern levels: * gives each limit key its own budget; a level-1 rule caps its sub-keys", async () => {
    expect((await admin("PUT", "/limits/rules", [{ pattern: "lim/*", limits: { concurrency: 1 } }, { pattern: "l2/a", limits: { concurrency: 1 } }])).status).toBe(200);
    await sleep(600);
    expect(await overlap(hold("lim", "a"), hold("lim", "a"))).toBe(false);
    expect(await overlap(hold("lim", "a"), hold("lim", "b"))).toBe(true);
    expect(await overlap(hold("lim"), hold("lim"))).toBe(true);
    expect(await overlap(hold("l2", "a"), hold("l2", "b"))).toBe(true);
    expect(await overlap(hold("l2", "a/x"), hold("l2", "a/y"))).toBe(false);
  });
});
