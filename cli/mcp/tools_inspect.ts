/**
 * The tools that only read: services, invocations, journals, state, SQL, the
 * journal mismatch and diff views, the reload journal check, and the docs.
 * Without a running runtime they answer from the project's database file
 * (except list_services' options and journal_check, which live in the runtime).
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { seg, type AdminClient } from "../admin_client.js";
import { UserError } from "../../runtime/errors.js";
import type { InvocationDetail, InvocationSummary, KeyState, ServiceView } from "../admin_types.js";
import { readDocs } from "./docs.js";
import { capLines, clipValue, describeText, LIST_BUDGET, diffText, journalText, mismatchText, oneLine, PAYLOAD_BUDGET, resultText, size, summaryLine, valueCall, VALUE_BUDGET } from "./render.js";
import { check, defineTool, fetchInvocation, idArg, offlineNote, requireId, type ToolContext } from "./tool_kit.js";

const READ = { readOnlyHint: true, openWorldHint: false } as const;
const STATUSES = "pending, scheduled, ready, running, suspended, backing-off, paused, completed";
/** Rows and characters of one query_sql answer. */
const SQL_ROWS = 100;
const SQL_BUDGET = 16_000;
const SQL_CELL = 300;
/** Invocations scanned to find the failed ones among the completed. */
const MAX_SCAN = 10_000;
/** The most of one value a get_value answer shows; `offset` pages through longer ones. */
const FULL_BUDGET = 50_000;

export function registerInspectTools(server: McpServer, ctx: ToolContext): void {
  const read = <T>(body: (admin: AdminClient) => Promise<T>) => ctx.backend.admin("read", undefined, body);

  defineTool(
    server,
    ctx,
    "list_services",
    {
      title: "List services",
      description:
        "The services, virtual objects and workflows the project binds, with their handlers and how to address each one for invoke " +
        "(service/handler, or object/key/handler). Without a running runtime: the services and handlers the database has seen invoked.",
      input: {},
      mutates: false,
      annotations: READ,
    },
    () =>
      read(async (admin) => {
        if (admin.mode === "offline") return offlineServices(admin);
        const services = (check(await admin.send("GET", "/services"), "").json as { services: Array<ServiceView & { public?: boolean; handlers: Array<{ name: string; ty?: string; public?: boolean }> }> }).services;
        if (services.length === 0) return "no services are registered: does the project's entry file bind any (restate.endpoint().bind(...).listen() or restate.serve())?";
        const out: string[] = [];
        for (const s of services) {
          const keyed = s.ty !== "Service";
          out.push(`${s.name} (${s.ty}${s.public === false ? ", private: not reachable from the ingress" : ""}): invoke as ${keyed ? `${s.name}/<key>/<handler>` : `${s.name}/<handler>`}`);
          for (const h of s.handlers) out.push(`  ${h.name}${h.ty ? ` (${h.ty.toLowerCase()})` : ""}${h.public === false ? " private" : ""}`);
        }
        return out.join("\n");
      }),
  );

  defineTool(
    server,
    ctx,
    "list_invocations",
    {
      title: "List invocations",
      description:
        "Invocations, newest first, one line each: id | target | status | failed attempts | created | last error. " +
        "Filter by service, handler, object/workflow key and status. Use it to find the invocation that fails, then describe_invocation.",
      input: {
        service: z.string().optional().describe("only this service, virtual object or workflow"),
        handler: z.string().optional().describe("only this handler"),
        key: z.string().optional().describe("only this virtual object or workflow key"),
        status: z
          .union([z.string(), z.array(z.string())])
          .optional()
          .describe(`only these statuses (a list, or comma-separated): ${STATUSES}, or failed (completed with a failure); one that fails and is retried is backing-off, one out of retries paused`),
        limit: z.number().int().min(1).max(1000).optional().describe("at most this many (default 50)"),
      },
      mutates: false,
      annotations: READ,
    },
    (args) =>
      read(async (admin) => {
        const q = new URLSearchParams();
        if (args.service) q.set("service", args.service);
        if (args.handler) q.set("handler", args.handler);
        if (args.key !== undefined) q.set("key", args.key);
        const asked = (Array.isArray(args.status) ? args.status : args.status ? [args.status] : []).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
        // The lines say "failed" for an invocation that completed with a failure: take the word as a filter too.
        const onlyFailed = asked.includes("failed") && !asked.includes("completed");
        const statuses = [...new Set(asked.map((s) => (s === "failed" ? "completed" : s)))];
        if (statuses.length) q.set("status", statuses.join(","));
        const limit = args.limit ?? 50;
        q.set("limit", String(onlyFailed ? MAX_SCAN : limit));
        let rows = (check(await admin.send("GET", `/invocations?${q}`), `the statuses are ${STATUSES}, and failed`).json as { invocations: InvocationSummary[] }).invocations;
        if (onlyFailed) rows = rows.filter((r) => r.status !== "completed" || r.completion_result === "failure").slice(0, limit);
        if (rows.length === 0) return `no invocations${q.size > 1 ? " match these filters" : " yet"}${offlineNote(admin)}`;
        const more = rows.length === limit ? `\n(the newest ${limit}; pass a larger limit or filters to see others)` : "";
        const lines = capLines(rows.map(summaryLine), LIST_BUDGET, (first, last) => `[${last - first + 1} more in between left out, to keep this short: narrow the filters or lower the limit]`);
        return lines.join("\n") + more + offlineNote(admin);
      }),
  );

  defineTool(
    server,
    ctx,
    "describe_invocation",
    {
      title: "Describe an invocation",
      description:
        "Why an invocation is where it is: status, failed attempts, the last failure with the journal entry it happened at and a stack excerpt, " +
        "its caller and the calls it made (the call tree, with each child's status), and a one-line journal summary. Start here when a handler fails.",
      input: { id: idArg },
      mutates: false,
      annotations: READ,
    },
    (args) =>
      read(async (admin) => {
        const inv = await fetchInvocation(admin, args.id);
        const children = new Map<string, InvocationSummary>();
        const ids = inv.journal.map((e) => e.target?.invocationId).filter((x): x is string => !!x).slice(0, 20);
        await Promise.all(
          ids.map(async (child) => {
            const res = await admin.send("GET", `/invocations/${seg(child)}`);
            if (res.ok) children.set(child, res.json as InvocationSummary);
          }),
        );
        return describeText(inv, children) + offlineNote(admin);
      }),
  );

  defineTool(
    server,
    ctx,
    "get_journal",
    {
      title: "Get an invocation's journal",
      description:
        "Every journal entry of an invocation, in order, one line each: index, type (Run, Call, OneWayCall, Sleep, GetState, SetState, Awakeable, …), name, " +
        "the decoded payload and result (cut to a few hundred characters: get_value returns one whole), and whether it is still pending. " +
        "Entry #0 is the input; the restart tools take these indexes.",
      input: { id: idArg },
      mutates: false,
      annotations: READ,
    },
    (args) => read(async (admin) => journalText(await fetchInvocation(admin, args.id)) + offlineNote(admin)),
  );

  defineTool(
    server,
    ctx,
    "get_value",
    {
      title: "Get a whole payload",
      description:
        "One value in full, where other tools cut it: an invocation's input (entry 0), a journal entry's payload and result (entry N), " +
        "or its output (entry \"output\"), given id and entry; or a state value, given service, key and name. " +
        `Shows up to ${FULL_BUDGET / 1000}k characters of the value's JSON; offset pages through a longer one.`,
      input: {
        id: z.string().optional().describe("the invocation (with entry)"),
        entry: z.union([z.number().int().min(0), z.literal("output")]).optional().describe('the journal entry index (0 = the input), or "output"'),
        service: z.string().optional().describe("the virtual object or workflow (with key and name)"),
        key: z.string().optional().describe("its key"),
        name: z.string().optional().describe("the state name"),
        offset: z.number().int().min(0).optional().describe(`start at this character of the value's JSON text (default 0), for values over ${FULL_BUDGET / 1000}k characters`),
      },
      mutates: false,
      annotations: READ,
    },
    (args) =>
      read(async (admin) => {
        if (args.id !== undefined) {
          if (args.entry === undefined) throw new UserError("BAD_ARGS", "get_value with an id needs entry too", 'for example {"id":"inv_1…","entry":2}; entry 0 is the input, "output" the result');
          const inv = await fetchInvocation(admin, args.id);
          return entryValue(inv, args.entry, args.offset ?? 0) + offlineNote(admin);
        }
        if (args.service === undefined || args.key === undefined || args.name === undefined) {
          throw new UserError("BAD_ARGS", "get_value needs either id and entry, or service, key and name", 'for example {"id":"inv_1…","entry":2} or {"service":"cart","key":"u1","name":"items"}');
        }
        const state = await readState(admin, args.service, args.key);
        if (!(args.name in state.state)) {
          throw new UserError("NOT_FOUND", `${args.service}/${args.key} has no state named '${args.name}'`, `its state names: ${Object.keys(state.state).join(", ") || "(none)"}`);
        }
        return full(state.state[args.name], `${args.service}/${args.key} ${args.name}`, args.offset ?? 0) + offlineNote(admin);
      }),
  );

  defineTool(
    server,
    ctx,
    "get_state",
    {
      title: "Get the state of a key",
      description: "The state of one virtual object or workflow key: each name with its value (values cut to a few hundred characters: get_value returns one whole).",
      input: {
        service: z.string().describe("the virtual object or workflow"),
        key: z.string().describe("the key"),
      },
      mutates: false,
      annotations: READ,
    },
    (args) =>
      read(async (admin) => {
        const state = await readState(admin, args.service, args.key);
        const names = Object.keys(state.state);
        if (names.length === 0) return `${args.service}/${args.key} has no state${offlineNote(admin)}`;
        const lines = names.map((n) => {
          const enc = state.encodings?.[n];
          return `${n} = ${clipValue(state.state[n], PAYLOAD_BUDGET, valueCall({ service: args.service, key: args.key, name: n }))}${enc ? ` (${enc})` : ""}`;
        });
        const shown = capLines(lines, LIST_BUDGET, (first, last) => `[${last - first + 1} more names left out: query_sql ${JSON.stringify({ query: `SELECT key FROM state WHERE service_name = '${args.service}' AND service_key = '${args.key}'` })} lists them]`);
        return `${args.service}/${args.key}: ${names.length} state entr${names.length === 1 ? "y" : "ies"}\n${shown.join("\n")}${offlineNote(admin)}`;
      }),
  );

  defineTool(
    server,
    ctx,
    "query_sql",
    {
      title: "Query with SQL",
      description:
        "Read-only SQL (SQLite dialect) over views named and shaped like Restate's introspection tables: sys_invocation (id, target, target_service_name, " +
        "target_service_key, target_handler_name, status, retry_count, last_failure, created_at, …), sys_journal (id, index, entry_type, name, completed, entry_json), " +
        "sys_journal_events, state (service_name, service_key, key, value_utf8), sys_inbox, sys_keyed_service_status, sys_idempotency, sys_promise, sys_service. " +
        `Answers at most ${SQL_ROWS} rows as JSON lines; long values are cut (substr(col, start, n) reads one in pieces).`,
      input: { query: z.string().describe("one SELECT statement, e.g. SELECT id, target, status FROM sys_invocation WHERE status <> 'completed'") },
      mutates: false,
      annotations: READ,
    },
    (args) =>
      read(async (admin) => {
        const res = check(await admin.send("POST", "/query", { query: args.query }), "only reading statements work; the tables are listed in this tool's description");
        const { rows, columns } = res.json as { rows: Array<Record<string, unknown>>; columns?: string[] };
        const out = [`${rows.length} row${rows.length === 1 ? "" : "s"}${columns ? `; columns: ${columns.join(", ")}` : ""}`];
        let used = out[0]!.length;
        let shown = 0;
        for (const row of rows.slice(0, SQL_ROWS)) {
          const cut: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(row)) cut[k] = typeof v === "string" && v.length > SQL_CELL ? `${v.slice(0, SQL_CELL)}… [${size(v.length)}]` : v;
          const line = JSON.stringify(cut);
          if (used + line.length > SQL_BUDGET) break;
          out.push(line);
          used += line.length + 1;
          shown++;
        }
        if (shown < rows.length) out.push(`(${rows.length - shown} more rows not shown: add a WHERE, LIMIT/OFFSET, or select fewer columns)`);
        return out.join("\n") + offlineNote(admin);
      }),
  );

  defineTool(
    server,
    ctx,
    "journal_mismatch",
    {
      title: "Show a journal mismatch",
      description:
        "For an invocation failing with code 570 (the code no longer follows its journal when replayed, typically after an edit): what the journal holds " +
        "at the diverging entry and what the code now does there, side by side with the entries around it, and the ways out.",
      input: { id: idArg },
      mutates: false,
      annotations: READ,
    },
    (args) => read(async (admin) => mismatchText(await fetchInvocation(admin, args.id)) + offlineNote(admin)),
  );

  defineTool(
    server,
    ctx,
    "diff_journals",
    {
      title: "Diff two journals",
      description:
        "Two invocations' journals side by side by entry index (0 = the input, then each entry, then the output), differing rows marked ≠: " +
        "a restarted invocation against its original, or any two runs of a handler (one that failed against one that worked).",
      input: {
        id: idArg,
        other: z.string().optional().describe("the invocation to compare with (default: the one `id` was restarted from)"),
      },
      mutates: false,
      annotations: READ,
    },
    (args) =>
      read(async (admin) => {
        const left = await fetchInvocation(admin, args.id);
        const otherId = args.other ?? left.restarted_from;
        if (!otherId) throw new UserError("BAD_ARGS", `${left.id} was not restarted from another invocation, so there is nothing to compare it with by default`, "pass other: the id of the invocation to compare it with");
        const right = await fetchInvocation(admin, requireId(otherId, "other"));
        // The original on the left when comparing a restart.
        return (args.other === undefined ? diffText(right, left) : diffText(left, right)) + offlineNote(admin);
      }),
  );

  defineTool(
    server,
    ctx,
    "journal_check",
    {
      title: "Reload journal check",
      description:
        "What the last hot reload's journal check found: every in-flight invocation (sleeping, suspended, backing off) was replayed against the new code, " +
        "and those that would diverge from their journal are listed with the entry; they stay on the build they started on and finish there. Needs the running runtime.",
      input: {},
      mutates: false,
      annotations: READ,
    },
    () =>
      ctx.backend.admin("live", "the journal check runs in the runtime at each reload", async (admin) => {
        const res = await admin.send("GET", "/journal-check");
        const c = check(res, "this runtime may predate the journal check route: restart 'restate-dev up'").json as {
          checked_at: string | null;
          changed_files: string[];
          findings: Array<{ invocationId: string; target: string; status: string; mismatch?: { index: number; journaled: string; attempted: string }; inconclusive?: string; stays?: string }>;
        };
        if (c.checked_at === null) return "no reload since the runtime started, so no journal check has run (it runs when a source file changes)";
        const head = `last reload: ${c.checked_at}, after a change to ${c.changed_files.join(", ") || "?"}`;
        if (c.findings.length === 0) return `${head}\nevery in-flight invocation follows its journal on the new code`;
        const lines = c.findings.map((f) => {
          const found = f.mismatch
            ? `${f.invocationId} ${f.target} (${f.status}) would diverge at entry #${f.mismatch.index}: the journal holds ${f.mismatch.journaled}, the code now does ${f.mismatch.attempted}`
            : `${f.invocationId} ${f.target} (${f.status}) could not be checked: ${f.inconclusive ?? "?"}`;
          if (f.stays) {
            return `${found}\n  it stays on ${f.stays}, the build it started on, and finishes on that code; to move it to the new code anyway: restate-dev invocations resume ${f.invocationId} --deployment latest`;
          }
          return f.mismatch
            ? `${found}\n  undo the change, or kill_invocation {"id":"${f.invocationId}"} then restart_invocation {"id":"${f.invocationId}"${f.mismatch.index > 1 ? `,"from":${f.mismatch.index - 1}` : ""}}`
            : found;
        });
        return `${head}\n${lines.join("\n")}`;
      }),
  );

  defineTool(
    server,
    ctx,
    "read_docs",
    {
      title: "Read restate-dev's docs",
      description:
        "restate-dev's documentation (its README): without a topic, the list of sections; with one, the section of that name or the sections that mention it most " +
        "(e.g. 'How it behaves', 'retries', 'determinism', 'restart', 'Testing your services'). The same sections are MCP resources restate-dev://docs/<slug>.",
      input: { topic: z.string().optional().describe("a section title or slug, or words to look for") },
      mutates: false,
      annotations: READ,
    },
    async (args) => readDocs(args.topic),
  );
}

async function readState(admin: AdminClient, service: string, key: string): Promise<KeyState> {
  const res = await admin.send("GET", `/services/${seg(service)}/state/${seg(key)}`);
  return check(res, "list_services shows the virtual objects and workflows; only they have state").json as KeyState;
}

/** A value's JSON text whole, or the page of it from `offset`, saying where the next one starts. */
function full(value: unknown, what: string, offset: number): string {
  if (value === undefined) return `${what}: (empty)`;
  const text = JSON.stringify(value) ?? String(value);
  if (offset === 0 && text.length <= FULL_BUDGET) return `${what} (${size(text.length)}):\n${text}`;
  if (offset >= text.length) throw new UserError("BAD_ARGS", `offset ${offset} is past the end of ${what} (${text.length} characters)`, "pass an offset below its length, or none");
  const end = Math.min(text.length, offset + FULL_BUDGET);
  const next = end < text.length ? `\n[characters ${offset}..${end} of ${text.length}; the same call with "offset": ${end} continues]` : `\n[characters ${offset}..${end} of ${text.length}: the end]`;
  return `${what} (${size(text.length)}):\n${text.slice(offset, end)}${next}`;
}

function entryValue(inv: InvocationDetail, entry: number | "output", offset: number): string {
  if (entry === "output") {
    if (!inv.result) return `${inv.id} has no output yet (${inv.status})`;
    if ("failure" in inv.result || "empty" in inv.result) return `${inv.id} output: ${resultText(inv.result, VALUE_BUDGET, undefined)}`;
    return full(inv.result.value, `${inv.id} output`, offset);
  }
  if (entry === 0) return full(inv.input ?? undefined, `${inv.id} input`, offset);
  const e = inv.journal.find((x) => x.index === entry);
  if (!e) throw new UserError("NOT_FOUND", `${inv.id} has no journal entry #${entry} (it has ${inv.journal.length})`, "get_journal lists its entries");
  const parts: string[] = [];
  if (e.value !== undefined) parts.push(full(e.value, `#${entry} ${e.type} ${e.type === "Call" || e.type === "OneWayCall" ? "input" : "value"}`, offset));
  if (e.result) parts.push("failure" in e.result || "empty" in e.result ? `#${entry} result: ${resultText(e.result, VALUE_BUDGET, undefined)}` : full(e.result.value, `#${entry} ${e.type} result`, offset));
  if (e.completion) parts.push(`#${entry} completes with ${"value" in e.completion ? (JSON.stringify(e.completion.value) ?? "") : resultText(e.completion, VALUE_BUDGET, undefined)}`);
  return parts.length ? parts.join("\n") : `#${entry} ${e.type} has no payload${e.completed ? "" : " (pending)"}`;
}

/** Services as the database knows them, when no runtime runs to say. */
async function offlineServices(admin: AdminClient): Promise<string> {
  const res = check(
    await admin.send("POST", "/query", {
      query: "SELECT DISTINCT target_service_name AS service, target_service_ty AS ty, target_handler_name AS handler FROM sys_invocation ORDER BY service, handler",
    }),
    "",
  );
  const rows = (res.json as { rows: Array<{ service: string; ty: string; handler: string }> }).rows;
  if (rows.length === 0) return `no runtime is running and ${admin.location} has no invocations, so nothing is known of the services; start 'restate-dev up' to see them`;
  const byService = new Map<string, { ty: string; handlers: string[] }>();
  for (const r of rows) {
    const s = byService.get(r.service) ?? { ty: r.ty, handlers: [] };
    s.handlers.push(r.handler);
    byService.set(r.service, s);
  }
  const out = [...byService].map(([name, s]) => `${name} (${s.ty}): ${s.handlers.join(", ")}`);
  return `${out.join("\n")}\n(no runtime is running: these are the services and handlers ${oneLine(admin.location, 200)} has seen invoked; 'restate-dev up' shows all of them with their options)`;
}
