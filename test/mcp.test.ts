/**
 * restate-dev's MCP server, driven by the MCP SDK's own Client: `restate-dev mcp`
 * over stdio (a child process, from the project and from another directory)
 * and `/mcp` on a running `up`'s admin port over Streamable HTTP; then, after
 * the runtime stops, the read tools over the database file it left.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { cleanupProjects, makeProject, writeFiles } from "./helpers/project.js";
import { CLI, call, eventually, startUp, type UpProcess } from "./helpers/runtime.js";

const source = (step: string) => ({
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
  },
});

const worker = restate.service({
  name: "worker",
  handlers: {
    async steps(ctx: restate.Context, name: string) {
      const a = await ctx.run("one", () => 1);
      const b = await ctx.run("two", () => 2);
      const c = await ctx.run("three", () => a + b);
      return { name, a, b, c };
    },
    async big(ctx: restate.Context, n: number) {
      return await ctx.run("make", () => "x".repeat(n));
    },
    async many(ctx: restate.Context, n: number) {
      for (let i = 1; i <= n; i++) await ctx.run("step-" + i, () => "y".repeat(300));
      return n;
    },
    async sleepy(ctx: restate.Context) {
      await ctx.sleep(600_000);
      return "woke";
    },
    async drift(ctx: restate.Context) {
      await ctx.run("${step}", () => "done");
      await ctx.sleep(1500);
      return "drifted";
    },
  },
});

restate.serve({ services: [counter, worker] });
`,
});

const ALL_TOOLS = [
  "cancel_invocation",
  "describe_invocation",
  "diff_journals",
  "get_journal",
  "get_state",
  "get_value",
  "invoke",
  "journal_check",
  "journal_mismatch",
  "kill_invocation",
  "list_invocations",
  "list_services",
  "query_sql",
  "read_docs",
  "restart_invocation",
  "set_state",
];
const MUTATING = ["cancel_invocation", "invoke", "kill_invocation", "restart_invocation", "set_state"];

let dir: string;
let up: UpProcess;
const clients: Client[] = [];

async function stdioClient(args: string[], cwd: string): Promise<Client> {
  const client = new Client({ name: "restate-dev-test", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, "mcp", ...args], cwd, stderr: "pipe" }));
  clients.push(client);
  return client;
}

async function httpClient(url: string): Promise<Client> {
  const client = new Client({ name: "restate-dev-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  clients.push(client);
  return client;
}

/** Calls a tool; returns its text and whether it was an MCP tool error. */
async function tool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ text: string; isError: boolean }> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
  return { text, isError: r.isError === true };
}

async function ok(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const r = await tool(client, name, args);
  if (r.isError) throw new Error(`${name} failed: ${r.text}`);
  return r.text;
}

const idIn = (text: string) => /inv_[0-9A-Za-z]+/.exec(text)?.[0] ?? "";

let stdio: Client;

beforeAll(async () => {
  dir = join(makeProject({}), "deeper", "app");
  mkdirSync(dir, { recursive: true });
  writeFiles(dir, source("shout"));
  up = await startUp(dir);
  // From another directory, pointed at the project with --dir.
  stdio = await stdioClient(["--dir", dir], makeProject({}));
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await up?.stop();
  cleanupProjects();
});

describe("tools over stdio, against a running up", () => {
  it("lists every tool with its arguments, schemas and annotations", async () => {
    const { tools } = await stdio.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS);
    const byName = new Map(tools.map((t) => [t.name, t]));
    const props = (n: string) => Object.keys((byName.get(n)!.inputSchema.properties ?? {}) as object).sort();
    expect(props("list_services")).toEqual([]);
    expect(props("list_invocations")).toEqual(["handler", "key", "limit", "service", "status"]);
    expect(props("describe_invocation")).toEqual(["id"]);
    expect(props("get_journal")).toEqual(["id"]);
    expect(props("get_state")).toEqual(["key", "service"]);
    expect(props("set_state")).toEqual(["key", "name", "service", "value"]);
    expect(props("invoke")).toEqual(["delay", "idempotencyKey", "input", "send", "target"]);
    expect(byName.get("invoke")!.inputSchema.required).toEqual(["target"]);
    expect(props("cancel_invocation")).toEqual(["id"]);
    expect(props("kill_invocation")).toEqual(["id"]);
    expect(props("restart_invocation")).toEqual(["from", "id", "overrides"]);
    expect(props("query_sql")).toEqual(["query"]);
    for (const t of tools) {
      expect(t.description!.length, t.name).toBeGreaterThan(60);
      expect(t.annotations?.readOnlyHint, t.name).toBe(!MUTATING.includes(t.name));
    }
    for (const n of ["kill_invocation", "cancel_invocation", "set_state"]) expect(byName.get(n)!.annotations?.destructiveHint, n).toBe(true);
    expect(byName.get("invoke")!.annotations?.destructiveHint).toBe(false);
  });

  it("list_services shows how to address each handler", async () => {
    const text = await ok(stdio, "list_services");
    expect(text).toContain("counter (VirtualObject): invoke as counter/<key>/<handler>");
    expect(text).toContain("worker (Service): invoke as worker/<handler>");
    expect(text).toMatch(/^ {2}steps/m);
  });

  it("invoke calls a handler and returns its output and invocation id; errors say what to do", async () => {
    const five = await ok(stdio, "invoke", { target: "counter/c1/add", input: "5" });
    expect(five).toMatch(/^counter\/c1\/add returned 5\ninvocation inv_/);
    expect(await ok(stdio, "invoke", { target: "counter/c1/add", input: 2 })).toMatch(/returned 7/);
    const steps = await ok(stdio, "invoke", { target: "worker/steps", input: '"ada"' });
    expect(steps).toContain('returned {"name":"ada","a":1,"b":2,"c":3}');

    const badJson = await tool(stdio, "invoke", { target: "counter/c1/add", input: "{oops" });
    expect(badJson.isError).toBe(true);
    expect(badJson.text).toContain("error (BAD_JSON): input is not valid JSON");
    expect(badJson.text).toContain("hint:");

    const badTarget = await tool(stdio, "invoke", { target: "counter" });
    expect(badTarget).toMatchObject({ isError: true });
    expect(badTarget.text).toContain("error (BAD_TARGET): 'counter' is not a handler target");
    expect(badTarget.text).toContain("list_services");

    const unknown = await tool(stdio, "invoke", { target: "ghost/run", input: "{}" });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/the ingress refused ghost\/run: \[404\]/);

    const delayed = await tool(stdio, "invoke", { target: "worker/sleepy", delay: "1h" });
    expect(delayed.isError).toBe(true);
    expect(delayed.text).toContain('add "send": true');
  });

  it("invoke with send enqueues; describe_invocation and get_journal show status, entries and payloads", async () => {
    const sent = await ok(stdio, "invoke", { target: "worker/steps", input: '"bob"', send: true, idempotencyKey: "bob-1" });
    expect(sent).toMatch(/^sent to worker\/steps \(Accepted\): invocation inv_/);
    const id = idIn(sent);
    const journal = await eventually(async () => {
      const j = await ok(stdio, "get_journal", { id });
      return j.includes("completed:") || /output = /.test(j) ? j : undefined;
    });
    expect(journal).toContain(`${id} worker/steps completed: 3 journal entries`);
    expect(journal).toContain('#0 Input | "bob"');
    expect(journal).toMatch(/#1 Run 'one' \| = 1/);
    expect(journal).toMatch(/#3 Run 'three' \| = 3/);
    expect(journal).toContain('output = {"name":"bob","a":1,"b":2,"c":3}');

    const described = await ok(stdio, "describe_invocation", { id });
    expect(described).toContain("status: completed");
    expect(described).toContain("idempotency key: bob-1");
    expect(described).toContain("call tree:");
    expect(described).toContain("invoked by: ingress");
  });

  it("cuts big payloads and says how to get them whole (get_value)", async () => {
    const big = await ok(stdio, "invoke", { target: "worker/big", input: 100_000 });
    expect(big.length).toBeLessThan(3_000);
    expect(big).toMatch(/\[truncated: 97\.7 KB in all; get_value \{"id":"inv_[^"]+","entry":"output"\} returns it whole\]/);
    const id = idIn(big);
    const journal = await ok(stdio, "get_journal", { id });
    expect(journal.length).toBeLessThan(3_000);
    expect(journal).toContain(`get_value {"id":"${id}","entry":1}`);
    // 100,002 characters of JSON: three pages.
    const pages: string[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page = await ok(stdio, "get_value", { id, entry: 1, offset });
      expect(page.length).toBeLessThan(51_000);
      pages.push(page.split("\n")[1]!);
      offset = /"offset": (\d+) continues/.exec(page)?.[1] !== undefined ? Number(/"offset": (\d+) continues/.exec(page)![1]) : undefined;
    }
    expect(pages).toHaveLength(3);
    expect(pages.join("")).toBe(JSON.stringify("x".repeat(100_000)));
    expect((await ok(stdio, "get_value", { id, entry: 0 })).endsWith("\n100000")).toBe(true);
    const missing = await tool(stdio, "get_value", { id, entry: 9 });
    expect(missing).toMatchObject({ isError: true });
    expect(missing.text).toContain("has no journal entry #9");
  });

  it("keeps a long journal short, saying how to list what it left out", async () => {
    const id = idIn(await ok(stdio, "invoke", { target: "worker/many", input: 300 }));
    const journal = await ok(stdio, "get_journal", { id });
    expect(journal.length).toBeLessThan(26_000);
    expect(journal).toContain("#1 Run 'step-1'");
    expect(journal).toContain("#300 Run 'step-300'");
    const gap = /\[entries #(\d+)\.\.#(\d+) left out \(\d+, to keep this short\): query_sql (\{.+\}) lists them\]/.exec(journal);
    expect(gap).not.toBeNull();
    const rows = await ok(stdio, "query_sql", JSON.parse(gap![3]!));
    expect(rows.split("\n")[0]).toBe(`${Number(gap![2]) - Number(gap![1]) + 1} rows; columns: index, entry_type, name, entry_json`);
    expect((await ok(stdio, "describe_invocation", { id })).length).toBeLessThan(12_000);
  });

  it("get_state and set_state read and write a key's state", async () => {
    expect(await ok(stdio, "get_state", { service: "counter", key: "c1" })).toBe("counter/c1: 1 state entry\ncount = 7");
    expect(await ok(stdio, "set_state", { service: "counter", key: "c1", name: "count", value: "40" })).toBe("set counter/c1 count = 40");
    expect(await ok(stdio, "set_state", { service: "counter", key: "c1", name: "note", value: { a: [1, 2] } })).toContain('{"a":[1,2]}');
    expect(await ok(stdio, "invoke", { target: "counter/c1/add", input: "2" })).toContain("returned 42");
    expect(await ok(stdio, "get_state", { service: "counter", key: "c1" })).toContain('count = 42\nnote = {"a":[1,2]}');
    expect(await ok(stdio, "get_value", { service: "counter", key: "c1", name: "note" })).toContain('{"a":[1,2]}');
    const bad = await tool(stdio, "set_state", { service: "counter", key: "c1", name: "count", value: "forty" });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain("value is not valid JSON");
    expect(bad.text).toContain(`'"abc"'`);
  });

  it("list_invocations filters by service, handler, key, status and limit", async () => {
    const all = await ok(stdio, "list_invocations", { service: "counter", key: "c1" });
    expect(all.split("\n").filter((l) => l.startsWith("inv_"))).toHaveLength(3);
    expect(all).toMatch(/^inv_\S+ \| counter\/c1\/add \| completed \| created /m);
    const one = await ok(stdio, "list_invocations", { service: "worker", handler: "steps", status: ["completed"], limit: 1 });
    expect(one.split("\n")[0]).toMatch(/worker\/steps \| completed/);
    expect(one).toContain("the newest 1");
    expect(await ok(stdio, "list_invocations", { service: "worker", status: "paused,backing-off" })).toBe("no invocations match these filters");
    const bad = await tool(stdio, "list_invocations", { status: "stuck" });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain("unknown status 'stuck'");
  });

  it("unknown and malformed ids are tool errors with the runtime's message and a hint", async () => {
    for (const name of ["get_journal", "kill_invocation", "cancel_invocation", "restart_invocation", "journal_mismatch"]) {
      const r = await tool(stdio, name, { id: "nope" });
      expect(r, name).toMatchObject({ isError: true });
      expect(r.text, name).toContain("error (BAD_ID): id 'nope' is not an invocation id");
    }
    const listed = (await ok(stdio, "list_invocations", { service: "counter", limit: 1 })).split(" | ")[0]!;
    // A well-formed id the runtime does not know: the last character changed.
    const ghost = listed.slice(0, -1) + (listed.endsWith("a") ? "b" : "a");
    const r = await tool(stdio, "get_journal", { id: ghost });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(`error (NOT_FOUND): The requested invocation '${ghost}' does not exist`);
    expect(r.text).toContain("hint: list_invocations");
    const k = await tool(stdio, "kill_invocation", { id: ghost });
    expect(k.isError).toBe(true);
    expect(k.text).toContain("NOT_FOUND");
  });

  it("cancel_invocation and kill_invocation end unfinished invocations", async () => {
    const a = idIn(await ok(stdio, "invoke", { target: "worker/sleepy", send: true }));
    const b = idIn(await ok(stdio, "invoke", { target: "worker/sleepy", send: true }));
    expect(await ok(stdio, "cancel_invocation", { id: a })).toContain(`cancel requested for ${a}`);
    expect(await ok(stdio, "kill_invocation", { id: b })).toContain(`killed ${b}`);
    await eventually(async () => ((await ok(stdio, "describe_invocation", { id: a })).includes("output: failed [409]") ? true : undefined));
    expect(await ok(stdio, "describe_invocation", { id: b })).toMatch(/output: failed \[409\] killed/i);
    const again = await tool(stdio, "kill_invocation", { id: b });
    expect(again.isError).toBe(true);
    expect(again.text).toContain("describe_invocation");
    const failed = await ok(stdio, "list_invocations", { status: "failed" });
    expect(failed).toMatch(/worker\/sleepy \| failed \| .*\[409\]/);
    expect(failed).not.toMatch(/\| completed \|/);
  });

  it("restart_invocation runs a completed invocation again, reusing entries with overrides; diff_journals compares the two", async () => {
    const first = await ok(stdio, "invoke", { target: "worker/steps", input: '"cy"' });
    const id = idIn(first);
    const restarted = await ok(stdio, "restart_invocation", { id, from: 2, overrides: { "2": "20" } });
    expect(restarted).toMatch(new RegExp(`^restarted ${id} as inv_\\S+, reusing entries 1..2 with #2 replaced`));
    const newId = idIn(restarted.replace(id, ""));
    const journal = await eventually(async () => {
      const j = await ok(stdio, "get_journal", { id: newId });
      return j.includes("output =") ? j : undefined;
    });
    expect(journal).toContain('output = {"name":"cy","a":1,"b":20,"c":21}');
    const diff = await ok(stdio, "diff_journals", { id: newId });
    expect(diff).toContain(`left  ${id} worker/steps completed`);
    expect(diff).toMatch(/^= #1 Run one = 1$/m);
    expect(diff).toMatch(/^≠ #2 left: Run two = 2 \|\| right: Run two = 20$/m);
    expect(diff).toMatch(/^≠ output /m);
    expect(await ok(stdio, "diff_journals", { id, other: newId })).toContain(`right ${newId}`);

    const noFrom = await tool(stdio, "restart_invocation", { id, overrides: { "1": 5 } });
    expect(noFrom.isError).toBe(true);
    expect(noFrom.text).toContain("needs from");
    const sleeping = idIn(await ok(stdio, "invoke", { target: "worker/sleepy", send: true }));
    const running = await tool(stdio, "restart_invocation", { id: sleeping });
    expect(running.isError).toBe(true);
    expect(running.text).toContain(`cannot restart ${sleeping}: it has not completed`);
    expect(running.text).toContain(`hint: kill it first with kill_invocation {"id":"${sleeping}"}`);
    await ok(stdio, "kill_invocation", { id: sleeping });
  });

  it("query_sql answers read-only SQL as JSON lines and refuses writes", async () => {
    const text = await ok(stdio, "query_sql", { query: "SELECT target, status FROM sys_invocation WHERE target_service_name = 'counter' ORDER BY created_at" });
    expect(text.split("\n")[0]).toBe("3 rows; columns: target, status");
    expect(text).toContain('{"target":"counter/c1/add","status":"completed"}');
    const write = await tool(stdio, "query_sql", { query: "DELETE FROM sys_invocation" });
    expect(write.isError).toBe(true);
    expect(write.text).toMatch(/DELETE statements are not run here/);
    // A statement that reads but is malformed gets SQLite's own message.
    const bad = await tool(stdio, "query_sql", { query: "SELECT FROM nonsense WHERE" });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/error \(ADMIN_ERROR\): .*syntax/);
  });

  it("read_docs and the docs resources give the README's sections", async () => {
    expect(await ok(stdio, "read_docs")).toContain('- Hot reload (read_docs {"topic":"hot-reload"}');
    const reload = await ok(stdio, "read_docs", { topic: "Hot reload" });
    expect(reload.startsWith("## Hot reload")).toBe(true);
    expect(reload).toContain("stays on the build it started on");
    expect(await ok(stdio, "read_docs", { topic: "determinism" })).toContain("570");
    const { resources } = await stdio.listResources();
    expect(resources.map((r) => r.uri)).toContain("restate-dev://docs/how-it-behaves");
    const read = await stdio.readResource({ uri: "restate-dev://docs/how-it-behaves" });
    expect((read.contents[0] as { text: string }).text).toContain("## How it behaves");
  });
});

describe("a journal mismatch after a hot reload", () => {
  it("journal_check lists what the reload found; journal_mismatch shows the 570 side by side", async () => {
    const id = idIn(await ok(stdio, "invoke", { target: "worker/drift", send: true }));
    await eventually(async () => ((await ok(stdio, "get_journal", { id })).includes("#1 Run 'shout'") ? true : undefined));
    expect(await ok(stdio, "journal_check")).toContain("no reload since the runtime started");
    const before = up.output().match(/reloaded after a change/g)?.length ?? 0;
    writeFiles(dir, source("whisper"));
    await eventually(() => ((up.output().match(/reloaded after a change/g)?.length ?? 0) > before ? true : undefined), 15_000, "a reload").catch((e) => { console.log(up.output()); throw e; });
    const check = await ok(stdio, "journal_check");
    expect(check).toMatch(/^last reload: \S+, after a change to src\/index\.ts/);
    expect(check).toContain(`${id} worker/drift (`);
    expect(check).toContain("would diverge at entry #1: the journal holds Run 'shout', the code now does Run 'whisper'");
    expect(check).toMatch(/it stays on dp_\w+, the build it started on, and finishes on that code/);
    expect(check).toContain(`restate-dev invocations resume ${id} --deployment latest`);

    // Moved to the new code by hand, it fails with the mismatch.
    expect((await fetch(`${up.adminUrl}/invocations/${id}/resume?deployment=latest`, { method: "PATCH" })).status).toBe(200);

    const mismatch = await eventually(async () => {
      const m = await ok(stdio, "journal_mismatch", { id });
      return m.includes("fails with a journal mismatch") ? m : undefined;
    }, 15_000, "the 570");
    expect(mismatch).toContain(`${id} worker/drift fails with a journal mismatch (570) at entry #1`);
    expect(mismatch).toMatch(/the journal holds: {2}#1 Run 'shout'/);
    expect(mismatch).toContain("the code now does:  #1 Run 'whisper'");
    expect(mismatch).toContain(`kill_invocation {"id":"${id}"}`);
    expect(await ok(stdio, "describe_invocation", { id })).toContain(`journal_mismatch {"id":"${id}"}`);
    expect(await ok(stdio, "journal_mismatch", { id: idIn(await ok(stdio, "invoke", { target: "worker/steps", input: '"z"' })) })).toContain("is not failing with a journal mismatch");
    await ok(stdio, "kill_invocation", { id });
  }, 40_000);
});

describe("--read-only, and the project's own directory", () => {
  it("offers only the reading tools; a mutating one is a tool error", async () => {
    const ro = await stdioClient(["--read-only"], dir);
    const { tools } = await ro.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS.filter((t) => !MUTATING.includes(t)));
    const r = await tool(ro, "set_state", { service: "counter", key: "c1", name: "count", value: "1" });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("set_state not found");
    expect(await ok(ro, "get_state", { service: "counter", key: "c1" })).toContain("count = 42");
  });
});

describe("/mcp on the admin port (Streamable HTTP)", () => {
  it("serves the same tools", async () => {
    const http = await httpClient(`${up.adminUrl}/mcp`);
    expect((await http.listTools()).tools.map((t) => t.name).sort()).toEqual(ALL_TOOLS);
    const added = await ok(http, "invoke", { target: "counter/h1/add", input: "3" });
    expect(added).toContain("returned 3");
    expect(await ok(http, "get_journal", { id: idIn(added) })).toContain("#1 GetState 'count'");
    expect(await ok(http, "get_state", { service: "counter", key: "h1" })).toContain("count = 3");
    const bad = await tool(http, "invoke", { target: "a/b/c/d" });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain("BAD_TARGET");
  });

  it("every tool answers over HTTP too, errors included", async () => {
    const http = await httpClient(`${up.adminUrl}/mcp`);
    expect(await ok(http, "list_services")).toContain("worker (Service)");
    const steps = await ok(http, "invoke", { target: "worker/steps", input: '"hh"' });
    const id = idIn(steps);
    expect(await ok(http, "list_invocations", { service: "worker", handler: "steps", limit: 1 })).toContain(id);
    expect(await ok(http, "describe_invocation", { id })).toContain("status: completed");
    expect(await ok(http, "get_value", { id, entry: "output" })).toContain('{"name":"hh","a":1,"b":2,"c":3}');
    expect(await ok(http, "set_state", { service: "counter", key: "h2", name: "count", value: 9 })).toContain("= 9");
    expect(await ok(http, "get_state", { service: "counter", key: "h2" })).toContain("count = 9");
    const restarted = idIn((await ok(http, "restart_invocation", { id, from: 3 })).replace(id, ""));
    await eventually(async () => ((await ok(http, "get_journal", { id: restarted })).includes("output =") ? true : undefined));
    expect(await ok(http, "diff_journals", { id: restarted })).toContain("0 of 5 rows differ");
    const a = idIn(await ok(http, "invoke", { target: "worker/sleepy", send: true, delay: "1h" }));
    const b = idIn(await ok(http, "invoke", { target: "worker/sleepy", send: true }));
    expect(await ok(http, "cancel_invocation", { id: a })).toContain("cancel requested");
    expect(await ok(http, "kill_invocation", { id: b })).toContain("killed");
    expect(await ok(http, "query_sql", { query: `SELECT id FROM sys_invocation WHERE id = '${id}'` })).toContain(`{"id":"${id}"}`);
    expect(await ok(http, "journal_mismatch", { id })).toContain("is not failing with a journal mismatch");
    expect(await ok(http, "journal_check")).toContain("last reload:");
    expect(await ok(http, "read_docs", { topic: "AI assistants" })).toContain(".mcp.json");

    const ghost = id.slice(0, -1) + (id.endsWith("a") ? "b" : "a");
    const unknown = await tool(http, "describe_invocation", { id: ghost });
    expect(unknown).toMatchObject({ isError: true });
    expect(unknown.text).toContain("error (NOT_FOUND)");
    const badJson = await tool(http, "set_state", { service: "counter", key: "h2", name: "count", value: "[1," });
    expect(badJson).toMatchObject({ isError: true });
    expect(badJson.text).toContain("BAD_JSON");
  });

  it("answers GET with 405, as a stateless Streamable HTTP server", async () => {
    const r = await call(up.adminUrl, "/mcp", undefined, { method: "GET" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("POST");
  });
});

describe("the stdio process", () => {
  it("answers the calls in flight when the client closes stdin, then exits", async () => {
    const proc = spawn(process.execPath, [CLI, "mcp", "--dir", dir], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    proc.stdout.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
    const req = (id: number, name: string, args: object) => JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }) + "\n";
    proc.stdin.end(req(1, "list_invocations", { limit: 1 }) + req(2, "query_sql", { query: "SELECT count(*) AS n FROM sys_invocation" }));
    expect(await exited).toBe(0);
    const answers = out.trim().split("\n").map((l) => JSON.parse(l) as { id: number; result: CallToolResult });
    expect(answers.map((a) => a.id).sort()).toEqual([1, 2]);
    expect(answers.every((a) => a.result.isError !== true)).toBe(true);
  });
});

describe("with no runtime running", () => {
  it("the read tools answer from the project's database; the others say to start up", async () => {
    await up.stop();
    const offline = await stdioClient([], dir);
    const list = await ok(offline, "list_invocations", { service: "counter", key: "c1" });
    expect(list).toMatch(/counter\/c1\/add \| completed/);
    expect(list).toContain("(no runtime is running: read from");
    const id = idIn(list);
    expect(await ok(offline, "get_journal", { id })).toContain("#1 GetState 'count'");
    expect(await ok(offline, "get_state", { service: "counter", key: "c1" })).toContain("count = 42");
    expect(await ok(offline, "list_services")).toContain("worker (service): ");
    expect(await ok(offline, "query_sql", { query: "SELECT count(*) AS n FROM sys_invocation" })).toMatch(/\{"n":\d+\}/);
    for (const [name, args] of [
      ["invoke", { target: "counter/c1/add", input: "1" }],
      ["set_state", { service: "counter", key: "c1", name: "count", value: "1" }],
      ["kill_invocation", { id }],
      ["journal_check", {}],
    ] as const) {
      const r = await tool(offline, name, args);
      expect(r.isError, name).toBe(true);
      expect(r.text, name).toContain("error (NOT_RUNNING)");
      expect(r.text, name).toContain("restate-dev up");
    }
  }, 30_000);
});
