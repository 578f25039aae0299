/** The admin API end to end: services, invocations, state, keys, SQL introspection and operator actions. */
import { beforeAll, describe, expect, it } from "vitest";
import { tableFromIPC } from "apache-arrow";
import { call, eventually, type UpProcess, runForFile } from "./helpers/runtime.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";

const counter = restate.object({
  name: "counter",
  handlers: {
    async add(ctx: restate.ObjectContext, n: number) {
      const v = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", v);
      return v;
    },
    async hold(ctx: restate.ObjectContext, ms: number) {
      await ctx.run("wait", () => new Promise((r) => setTimeout(r, ms)));
      return "held";
    },
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => ctx.get<number>("count")),
  },
});

const greeter = restate.service({
  name: "greeter",
  handlers: {
    async greet(ctx: restate.Context, name: string) {
      return ctx.run("compose", () => "hello " + name);
    },
    async viaCounter(ctx: restate.Context, key: string) {
      return ctx.objectClient(counter, key).add(10);
    },
    async refuse(ctx: restate.Context) {
      throw new restate.TerminalError("not allowed", { errorCode: 422 });
    },
    async sleepy(ctx: restate.Context) {
      await ctx.sleep(60_000);
      return "woke";
    },
    flaky: restate.handlers.handler(
      { retryPolicy: { initialInterval: 300, maxInterval: 1000 } },
      async (ctx: restate.Context) => {
        await ctx.run("before", () => "ok");
        throw new Error("database unavailable");
      },
    ),
    secret: restate.handlers.handler({ ingressPrivate: true, description: "internal only" }, async () => "s"),
  },
});

restate.serve({ services: [greeter, counter] });
`,
};

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UNKNOWN_ID = "inv_1" + "0".repeat(33);

let up: UpProcess;
runForFile(PROJECT, (started) => (up = started));

const get = (path: string) => call(up.adminUrl, path, undefined, { method: "GET" });
const patch = (path: string, body?: unknown) => call(up.adminUrl, path, body, { method: "PATCH" });
const query = (sql: string) => call(up.adminUrl, "/query", { query: sql }, { headers: { accept: "application/json" } });
async function rows(sql: string): Promise<any[]> {
  const r = await query(sql);
  expect(r.status, r.text).toBe(200);
  return r.json.rows;
}
async function invoke(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<string> {
  const r = await call(up.ingressUrl, path, JSON.stringify(body ?? null), { headers });
  const id = r.headers.get("x-restate-id") ?? r.json?.invocationId;
  expect(id, `${path} → ${r.status} ${r.text}`).toMatch(/^inv_1/);
  return id;
}

describe("services", () => {
  it("lists services shaped like Restate's", async () => {
    const r = await get("/services");
    expect(r.status).toBe(200);
    expect(r.json.services.map((s: any) => [s.name, s.ty]).sort()).toEqual([
      ["counter", "VirtualObject"],
      ["greeter", "Service"],
    ]);
  });

  it("describes a service with handlers, defaults and per-handler options", async () => {
    const counter = (await get("/services/counter")).json;
    expect(counter).toMatchObject({
      name: "counter",
      ty: "VirtualObject",
      public: true,
      idempotency_retention: "1d",
      journal_retention: "1d",
      inactivity_timeout: "1m",
      abort_timeout: "10m",
      retry_policy: { initial_interval: "500ms", exponentiation_factor: 2, max_attempts: 70, max_interval: "1m", on_max_attempts: "Pause" },
    });
    expect(Object.fromEntries(counter.handlers.map((h: any) => [h.name, h.ty]))).toEqual({ add: "Exclusive", hold: "Exclusive", get: "Shared" });

    const greeter = (await get("/services/greeter")).json;
    const byName = Object.fromEntries(greeter.handlers.map((h: any) => [h.name, h]));
    expect(byName.greet).toEqual({ name: "greet", public: true, input_description: "application/json", output_description: "application/json", retry_policy: { max_attempts: null } });
    expect(byName.flaky.retry_policy).toEqual({ initial_interval: "300ms", max_attempts: null, max_interval: "1s" });
    expect(byName.secret).toMatchObject({ public: false, documentation: "internal only" });
    expect((await get("/services/greeter/handlers/secret")).json.public).toBe(false);
  });

  it("answers 404 for an unknown service, naming the known ones", async () => {
    const r = await get("/services/nope");
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ message: expect.stringContaining("The requested service 'nope' does not exist"), restate_code: null });
    expect(r.json.message).toContain("counter");
  });

  it("sys_service lists the services", async () => {
    expect(await rows("SELECT name, ty, public FROM sys_service ORDER BY name")).toEqual([
      { name: "counter", ty: "virtual_object", public: true },
      { name: "greeter", ty: "service", public: true },
    ]);
  });
});

describe("a completed invocation", () => {
  let id: string;
  beforeAll(async () => {
    id = await invoke("/greeter/greet", "bob");
  });

  it("shows in sys_invocation as Restate shows it", async () => {
    const [row] = await rows(`SELECT * FROM sys_invocation WHERE id = '${id}'`);
    expect(row).toMatchObject({
      id,
      target: "greeter/greet",
      target_service_name: "greeter",
      target_handler_name: "greet",
      target_service_ty: "service",
      invoked_by: "ingress",
      status: "completed",
      completion_result: "success",
      journal_size: 2,
    });
    for (const t of ["created_at", "modified_at", "running_at", "completed_at"]) expect(row[t]).toMatch(ISO);
    // NULL columns are left out of a row, as Restate's JSON output does.
    expect(row).not.toHaveProperty("target_service_key");
    expect(row).not.toHaveProperty("retry_count");
  });

  it("shows its journal in sys_journal, the input as entry 0", async () => {
    const journal = await rows(`SELECT index, entry_type, name, completed, entry_json FROM sys_journal WHERE id = '${id}' ORDER BY index`);
    expect(journal.map((e) => [e.index, e.entry_type, e.name, e.completed])).toEqual([
      [0, "Command: Input", "", true],
      [1, "Command: Run", "compose", true],
    ]);
    expect(JSON.parse(journal[0].entry_json).Command.Input.payload).toBe("bob");
    expect(JSON.parse(journal[1].entry_json)).toEqual({ Command: { Run: { name: "compose", result: { Success: "hello bob" } } } });
  });

  it("GET /invocations/{id} decodes input, result and journal", async () => {
    const r = await get(`/invocations/${id}`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      id,
      target: "greeter/greet",
      status: "completed",
      completion_result: "success",
      invoked_by: "ingress",
      input: "bob",
      result: { value: "hello bob" },
      attempts: [],
    });
    expect(r.json.created_at).toMatch(ISO);
    expect(r.json.journal).toEqual([
      expect.objectContaining({ index: 1, type: "Run", name: "compose", completed: true, result: { value: "hello bob" }, created_at: expect.stringMatching(ISO) }),
    ]);
  });

  it("a terminal failure shows as completion_failure", async () => {
    const failed = await invoke("/greeter/refuse");
    expect(await rows(`SELECT status, completion_result, completion_failure FROM sys_invocation WHERE id = '${failed}'`)).toEqual([
      { status: "completed", completion_result: "failure", completion_failure: "[422] not allowed" },
    ]);
    const d = (await get(`/invocations/${failed}`)).json;
    expect(d.completion_failure).toEqual({ code: 422, message: "not allowed" });
    expect(d.result).toEqual({ failure: { code: 422, message: "not allowed" } });
  });
});

describe("calls between handlers and state", () => {
  let parent: string;
  beforeAll(async () => {
    parent = await invoke("/greeter/viaCounter", "k-call");
  });

  it("the child records who invoked it; the parent's Call entry names the child", async () => {
    const [child] = await rows(`SELECT id, target, invoked_by, invoked_by_id, invoked_by_service_name, invoked_by_target FROM sys_invocation WHERE invoked_by_id = '${parent}'`);
    expect(child).toMatchObject({ target: "counter/k-call/add", invoked_by: "service", invoked_by_id: parent, invoked_by_service_name: "greeter", invoked_by_target: "greeter/viaCounter" });
    const [entry] = await rows(`SELECT entry_type, invoked_id, invoked_target, completed FROM sys_journal WHERE id = '${parent}' AND entry_type = 'Command: Call'`);
    expect(entry).toEqual({ entry_type: "Command: Call", invoked_id: child.id, invoked_target: "counter/k-call/add", completed: true });
  });

  it("state shows in the state table and on GET /services/{svc}/state/{key}", async () => {
    expect(await rows(`SELECT key, value_utf8, value FROM state WHERE service_name = 'counter' AND service_key = 'k-call'`)).toEqual([
      { key: "count", value_utf8: "10", value: "3130" },
    ]);
    const r = await get("/services/counter/state/k-call");
    expect(r.json).toEqual({ service: "counter", key: "k-call", state: { count: 10 } });
    expect((await get("/services/counter/state/never-used")).json.state).toEqual({});
  });

  it("refuses state of a plain service and of an unknown one", async () => {
    expect((await get("/services/greeter/state/x")).status).toBe(400);
    expect((await get("/services/nope/state/x")).status).toBe(404);
  });
});

describe("lock holder and inbox", () => {
  it("show the exclusive invocation that holds a key and the ones queued behind it", async () => {
    const holder = await invoke("/counter/k-lock/hold/send", 3000);
    await eventually(async () => ((await rows(`SELECT status FROM sys_invocation WHERE id = '${holder}'`))[0]?.status === "running" ? true : undefined));
    const queued = await invoke("/counter/k-lock/add/send", 1);

    await eventually(async () => ((await rows(`SELECT id FROM sys_inbox WHERE service_key = 'k-lock'`)).length === 1 ? true : undefined));
    expect(await rows(`SELECT invocation_id FROM sys_keyed_service_status WHERE service_name = 'counter' AND service_key = 'k-lock'`)).toEqual([{ invocation_id: holder }]);
    expect(await rows(`SELECT service_name, service_key, id FROM sys_inbox WHERE service_key = 'k-lock'`)).toEqual([{ service_name: "counter", service_key: "k-lock", id: queued }]);
    const [pending] = await rows(`SELECT status, inboxed_at FROM sys_invocation WHERE id = '${queued}'`);
    expect(pending.status).toBe("pending");
    expect(pending.inboxed_at).toMatch(ISO);
    expect((await get("/services/counter/keys/k-lock")).json).toEqual({ service: "counter", key: "k-lock", lock_holder: holder, inbox: [queued] });

    // Once the holder finishes, the queued call runs and the key is free.
    await eventually(async () => ((await rows(`SELECT status FROM sys_invocation WHERE id = '${queued}'`))[0]?.status === "completed" ? true : undefined), 15_000);
    expect(await rows(`SELECT * FROM sys_keyed_service_status WHERE service_key = 'k-lock'`)).toEqual([]);
    expect(await rows(`SELECT * FROM sys_inbox WHERE service_key = 'k-lock'`)).toEqual([]);
    expect((await get("/services/counter/keys/k-lock")).json).toEqual({ service: "counter", key: "k-lock", lock_holder: null, inbox: [] });
  });
});

describe("a retrying invocation", () => {
  let id: string;
  beforeAll(async () => {
    id = await invoke("/greeter/flaky/send");
  });

  it("is found with WHERE status = 'backing-off', with its last failure", async () => {
    const row = await eventually(async () => {
      const found = await rows(`SELECT id, retry_count, next_retry_at, last_failure, last_failure_error_code FROM sys_invocation WHERE status = 'backing-off'`);
      return found.find((r) => r.id === id);
    });
    expect(row.retry_count).toBeGreaterThanOrEqual(1);
    expect(row.next_retry_at).toMatch(ISO);
    expect(row.last_failure).toMatch(/^\[500\] database unavailable/);
    expect(row.last_failure_error_code).toBe("RT0007");
  });

  it("GET /invocations/{id} lists each failed attempt", async () => {
    const d = await eventually(async () => {
      const r = (await get(`/invocations/${id}`)).json;
      return r.attempts.length >= 2 ? r : undefined;
    });
    expect(d.attempts[0]).toMatchObject({ attempt: 1, code: 500, message: "database unavailable", at: expect.stringMatching(ISO) });
    expect(d.attempts[1].attempt).toBe(2);
    expect(d.last_failure).toMatchObject({ code: 500, message: "database unavailable" });
    expect(d.journal.map((e: any) => e.name)).toEqual(["before"]);
    const events = await rows(`SELECT event_type, event_json FROM sys_journal_events WHERE id = '${id}'`);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(events[0].event_json)).toMatchObject({ ty: "TransientError", error_code: 500, error_message: "database unavailable" });
  });

  it("GET /invocations filters by service, handler and status", async () => {
    const r = await get("/invocations?service=greeter&handler=flaky&status=backing-off,running,ready");
    expect(r.status).toBe(200);
    expect(r.json.invocations.map((i: any) => i.id)).toContain(id);
    expect(r.json.invocations.every((i: any) => i.target === "greeter/flaky")).toBe(true);
  });
});

describe("listing and reading invocations", () => {
  it("lists newest first, up to the limit", async () => {
    const first = await invoke("/greeter/greet", "first");
    const second = await invoke("/greeter/greet", "second");
    const r = await get("/invocations?service=greeter&handler=greet&limit=2");
    expect(r.json.invocations.map((i: any) => i.id)).toEqual([second, first]);
    expect(r.json.invocations[0]).toMatchObject({ status: "completed", completion_result: "success", created_at: expect.stringMatching(ISO) });
  });

  it("rejects a bad limit or status", async () => {
    expect((await get("/invocations?limit=0")).status).toBe(400);
    expect((await get("/invocations?status=done")).json.message).toContain("unknown status 'done'");
  });

  it("answers 400 for a malformed id and 404 for an unknown one", async () => {
    const bad = await get("/invocations/garbage");
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain("bad format");
    const unknown = await get(`/invocations/${UNKNOWN_ID}`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.message).toContain("does not exist");
  });

  it("an idempotency key shows in sys_idempotency and sys_invocation", async () => {
    const id = await invoke("/greeter/greet", "idem", { "idempotency-key": "admin-test-key" });
    expect(await rows(`SELECT service_name, service_handler, invocation_id FROM sys_idempotency WHERE idempotency_key = 'admin-test-key'`)).toEqual([
      { service_name: "greeter", service_handler: "greet", invocation_id: id },
    ]);
    expect(await rows(`SELECT idempotency_key FROM sys_invocation WHERE id = '${id}'`)).toEqual([{ idempotency_key: "admin-test-key" }]);
  });
});

describe("POST /query", () => {
  it("every introspection table answers", async () => {
    for (const t of ["sys_invocation", "sys_journal", "sys_journal_events", "state", "sys_inbox", "sys_keyed_service_status", "sys_idempotency", "sys_promise", "sys_service",
      "sys_invocation_status", "sys_deployment", "sys_rules"]) {
      const r = await query(`SELECT * FROM ${t} LIMIT 1`);
      expect(r.status, `${t}: ${r.text}`).toBe(200);
      expect(Array.isArray(r.json.rows)).toBe(true);
    }
  });

  it("answers an Arrow IPC stream unless JSON is asked for, as Restate", async () => {
    for (const accept of ["application/vnd.apache.arrow.stream", "*/*"]) {
      const res = await fetch(`${up.adminUrl}/query`, {
        method: "POST",
        headers: { "content-type": "application/json", accept },
        body: JSON.stringify({ query: "SELECT 1 AS one, 'a' AS s, 1.5 AS f, NULL AS n, x'00ff' AS b" }),
      });
      expect(res.headers.get("content-type")).toBe("application/vnd.apache.arrow.stream");
      const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
      expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(["one:Int64", "s:Utf8", "f:Float64", "n:Utf8", "b:Binary"]);
      const row = table.get(0)!.toJSON();
      expect([row.one, row.s, row.f, row.n, [...(row.b as Uint8Array)]]).toEqual([1n, "a", 1.5, null, [0, 255]]);
    }
    const json = await query("SELECT 1 AS one");
    expect(json.headers.get("content-type")).toContain("application/json");
    expect(json.json.rows).toEqual([{ one: 1 }]);
  });

  it("runs the statements Restate's CLI sends (DataFusion's dialect)", async () => {
    const count = await query("SELECT COUNT(1) FROM (SELECT\n *\n FROM sys_invocation inv\n LIMIT 50000\n )\n WHERE inv.status != 'completed'");
    expect(count.status, count.text).toBe(200);
    const columns = await query("SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_name = 'sys_journal' AND column_name IN ('version', 'entry_json', 'appended_at')");
    expect(columns.json.rows).toEqual([{ n: 3 }]);
    const like = await query("SELECT count(*) AS n FROM sys_invocation_status WHERE target LIKE 'NO-SUCH-%'");
    expect(like.json.rows).toEqual([{ n: 0 }]);
  });

  it("refuses statements that write, and nothing changes", async () => {
    const before = (await rows("SELECT count(*) AS n FROM sys_invocation"))[0].n;
    for (const sql of [
      "DELETE FROM invocations",
      "UPDATE invocations SET status = 'completed'",
      "INSERT INTO state (service, key, name, value) VALUES ('a', 'b', 'c', x'00')",
      "DROP VIEW sys_invocation",
      "CREATE TABLE evil (a)",
      "PRAGMA journal_mode = DELETE",
    ]) {
      const r = await query(sql);
      expect(r.status, sql).toBe(400);
      expect(r.json.message, sql).toContain("only runs statements that read");
    }
    expect((await rows("SELECT count(*) AS n FROM sys_invocation"))[0].n).toBe(before);
  });

  it("reports SQL errors with SQLite's message", async () => {
    const r = await query("SELECT * FROM nope");
    expect(r.status).toBe(400);
    expect(r.json.message).toContain("no such table: nope");
    expect((await query("SELECT 1; SELECT 2")).json.message).toContain("more than one statement");
    expect((await call(up.adminUrl, "/query", "not json")).status).toBe(400);
  });
});

describe("actions", () => {
  // These need nothing from the engine: the admin API rejects them itself.
  it("rejects a malformed id, an unknown action and a bad `from`", async () => {
    const bad = await patch("/invocations/garbage/cancel");
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ message: expect.stringContaining("Reason: bad format"), restate_code: null });
    expect((await patch(`/invocations/${UNKNOWN_ID}/explode`)).status).toBe(404);
    expect((await patch(`/invocations/${UNKNOWN_ID}/restart-as-new?from=abc`)).status).toBe(400);
    expect((await call(up.adminUrl, `/invocations/${UNKNOWN_ID}?mode=Bogus`, undefined, { method: "DELETE" })).status).toBe(400);
  });

  it("rejects state writes to unknown or stateless services and malformed bodies", async () => {
    expect((await call(up.adminUrl, "/services/nope/state", { object_key: "k", new_state: {} })).status).toBe(404);
    expect((await call(up.adminUrl, "/services/greeter/state", { object_key: "k", new_state: {} })).status).toBe(400);
    expect((await call(up.adminUrl, "/services/counter/state", { object_key: "k", new_state: { count: "9" } })).status).toBe(400);
    expect((await call(up.adminUrl, "/services/counter/state", { new_state: {} })).status).toBe(400);
    expect((await call(up.adminUrl, "/services/counter/state/k/count", "not json", { method: "PUT" })).status).toBe(400);
  });

  // enable when engine.cancel lands
  it("cancel: 202, the handler ends with [409] Cancelled; again → 409", async () => {
    const id = await invoke("/greeter/sleepy/send");
    await eventually(async () => ((await get(`/invocations/${id}`)).json.journal.length === 1 ? true : undefined));
    const r = await patch(`/invocations/${id}/cancel`);
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    await eventually(async () => ((await get(`/invocations/${id}`)).json.status === "completed" ? true : undefined));
    expect((await rows(`SELECT completion_failure FROM sys_invocation WHERE id = '${id}'`))[0].completion_failure).toBe("[409] Cancelled");
    const again = await patch(`/invocations/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ message: `The invocation '${id}' was already completed.`, restate_code: null });
  });

  // enable when engine.cancel lands
  it("cancel of an unknown id → 404", async () => {
    const r = await patch(`/invocations/${UNKNOWN_ID}/cancel`);
    expect(r.status).toBe(404);
    expect(r.json.message).toContain("does not exist");
  });

  // enable when engine.kill lands
  it("kill: 200, ends with [409] killed; the deprecated DELETE ?mode=Kill answers 202", async () => {
    const id = await invoke("/greeter/sleepy/send");
    const r = await patch(`/invocations/${id}/kill`);
    expect(r.status).toBe(200);
    expect(r.text).toBe("");
    await eventually(async () => ((await get(`/invocations/${id}`)).json.status === "completed" ? true : undefined));
    expect((await get(`/invocations/${id}`)).json.completion_failure).toEqual({ code: 409, message: "killed" });

    const other = await invoke("/greeter/sleepy/send");
    expect((await call(up.adminUrl, `/invocations/${other}?mode=Kill`, undefined, { method: "DELETE" })).status).toBe(202);
    await eventually(async () => ((await get(`/invocations/${other}`)).json.status === "completed" ? true : undefined));
  });

  // enable when engine.pause and engine.resume land
  it("pause a retrying invocation, then resume it", async () => {
    const id = await invoke("/greeter/flaky/send");
    await eventually(async () => ((await get(`/invocations/${id}`)).json.retry_count >= 1 ? true : undefined));
    expect([200, 202]).toContain((await patch(`/invocations/${id}/pause`)).status);
    await eventually(async () => ((await rows(`SELECT status FROM sys_invocation WHERE id = '${id}'`))[0].status === "paused" ? true : undefined));
    expect((await patch(`/invocations/${id}/resume`)).status).toBe(200);
    await eventually(async () => ((await get(`/invocations/${id}`)).json.status !== "paused" ? true : undefined));
    expect((await patch(`/invocations/${id}/kill`)).status).toBe(200);
    const done = await invoke("/greeter/greet", "done");
    const r = await patch(`/invocations/${done}/pause`);
    expect(r.status).toBe(409);
  });

  // enable when engine.purge lands
  it("purge a completed invocation: 200, then it is gone", async () => {
    const id = await invoke("/greeter/greet", "purge me");
    expect((await patch(`/invocations/${id}/purge`)).status).toBe(200);
    expect((await get(`/invocations/${id}`)).status).toBe(404);
    expect(await rows(`SELECT id FROM sys_invocation WHERE id = '${id}'`)).toEqual([]);
    expect((await patch(`/invocations/${id}/purge`)).status).toBe(404);
  });

  // enable when engine.restartAsNew lands
  it("restart-as-new: a new invocation with the same input, restarted_from the old one", async () => {
    const id = await invoke("/greeter/greet", "again");
    const r = await patch(`/invocations/${id}/restart-as-new`);
    expect(r.status).toBe(200);
    const fresh = r.json.new_invocation_id;
    expect(fresh).toMatch(/^inv_1/);
    await eventually(async () => ((await get(`/invocations/${fresh}`)).json?.status === "completed" ? true : undefined));
    expect((await get(`/invocations/${fresh}`)).json).toMatchObject({ restarted_from: id, input: "again", result: { value: "hello again" } });
    expect(await rows(`SELECT restarted_from FROM sys_invocation WHERE id = '${fresh}'`)).toEqual([{ restarted_from: id }]);

    const fromOne = await patch(`/invocations/${id}/restart-as-new?from=1`);
    expect(fromOne.status).toBe(200);
    const running = await invoke("/greeter/sleepy/send");
    expect((await patch(`/invocations/${running}/restart-as-new`)).status).toBe(409);
    expect((await patch(`/invocations/${running}/kill`)).status).toBe(200);
  });

  // enable when engine.writeState lands
  it("writes state: Restate's POST replaces it, PUT sets and DELETE clears one value or all", async () => {
    const post = await call(up.adminUrl, "/services/counter/state", { object_key: "k-edit", new_state: { count: [57], label: [34, 120, 34] } });
    expect(post.status).toBe(202);
    await eventually(async () => ((await get("/services/counter/state/k-edit")).json.state.count === 9 ? true : undefined));
    expect((await get("/services/counter/state/k-edit")).json.state).toEqual({ count: 9, label: "x" });
    expect((await call(up.ingressUrl, "/counter/k-edit/add", 1)).json).toBe(10);

    expect((await call(up.adminUrl, "/services/counter/state/k-edit/count", 41, { method: "PUT" })).status).toBe(202);
    await eventually(async () => ((await get("/services/counter/state/k-edit")).json.state.count === 41 ? true : undefined));
    expect((await call(up.adminUrl, "/services/counter/state/k-edit/label", undefined, { method: "DELETE" })).status).toBe(202);
    await eventually(async () => ((await get("/services/counter/state/k-edit")).json.state.label === undefined ? true : undefined));
    expect((await call(up.adminUrl, "/services/counter/state/k-edit", undefined, { method: "DELETE" })).status).toBe(202);
    await eventually(async () => (Object.keys((await get("/services/counter/state/k-edit")).json.state).length === 0 ? true : undefined));
  });
});
