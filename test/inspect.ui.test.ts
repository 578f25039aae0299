/**
 * The inspector's screens, rendered by ink-testing-library at a fixed size and
 * driven by key presses, over fixture data shaped like the admin API's answers.
 */
import { describe, expect, it, vi, afterEach } from "vitest";
// Colours on, so the NO_COLOR test can tell them apart (chalk reads this when it loads).
vi.hoisted(() => {
  process.env.FORCE_COLOR = "1";
});
import { createElement } from "react";
import { render, cleanup } from "ink-testing-library";
import { Inspector, type InspectorProps } from "../cli/ui/inspector/Inspector.js";
import type { BackendResponse, InspectorBackend, Method } from "../cli/ui/inspector/backend.js";
import type { DeploymentView, InvocationDetail, InvocationSummary, JournalEntryView, ServiceView } from "../cli/ui/inspector/types.js";

afterEach(() => cleanup());

// ---------------------------------------------------------------- fixtures

const NOW = Date.parse("2026-01-02T03:04:05.000Z");
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const id = (name: string) => `inv_1${name.padEnd(34, "0")}`;

const IDS = {
  running: id("running"),
  mismatch: id("mismatch"),
  cart: id("cart"),
  killed: id("killed"),
  paused: id("paused"),
  child: id("child"),
  stepper: id("stepper"),
  restart: id("restart"),
};

function summary(over: Partial<InvocationSummary> & Pick<InvocationSummary, "id" | "service" | "handler" | "status">): InvocationSummary {
  const key = over.key ?? null;
  return {
    target: key !== null ? `${over.service}/${key}/${over.handler}` : `${over.service}/${over.handler}`,
    key,
    service_type: key !== null ? "virtual_object" : "service",
    handler_type: key !== null ? "exclusive" : null,
    completion_result: null,
    completion_failure: null,
    idempotency_key: null,
    invoked_by: "ingress",
    invoked_by_id: null,
    restarted_from: null,
    retry_count: 0,
    next_retry_at: null,
    last_failure: null,
    created_at: ago(30),
    modified_at: ago(1),
    completed_at: null,
    ...over,
  };
}

const MISMATCH_MESSAGE =
  "Journal mismatch at entry 1: the journal holds Run 'reserve', but the code now does Run 'charge'. The handler's code changed since this invocation ran, or it is not deterministic (Date.now(), Math.random() or I/O outside ctx.run). Restore the old code path, or restart or kill the invocation.";

const LIST: InvocationSummary[] = [
  summary({ id: IDS.running, service: "trips", handler: "book", status: "running", created_at: ago(5) }),
  summary({
    id: IDS.mismatch,
    service: "orders",
    handler: "place",
    status: "backing-off",
    retry_count: 3,
    next_retry_at: new Date(NOW + 2000).toISOString(),
    last_failure: { code: 570, message: MISMATCH_MESSAGE, relatedIndex: 1, relatedType: "Run", relatedName: "charge" },
    created_at: ago(12),
  }),
  summary({ id: IDS.cart, service: "cart", handler: "add", key: "u1", status: "completed", completion_result: "success", created_at: ago(60), completed_at: ago(59) }),
  summary({ id: IDS.killed, service: "hotel", handler: "reserve", status: "completed", completion_result: "failure", completion_failure: { code: 409, message: "killed" }, created_at: ago(90), completed_at: ago(80) }),
  summary({ id: IDS.paused, service: "trips", handler: "flaky", status: "paused", retry_count: 70, last_failure: { code: 500, message: "still broken" }, created_at: ago(3600) }),
  summary({ id: IDS.stepper, service: "trips", handler: "stepper", status: "completed", completion_result: "success", created_at: ago(7200), completed_at: ago(7199) }),
];

function entry(e: Partial<JournalEntryView> & Pick<JournalEntryView, "index" | "type">): JournalEntryView {
  return { name: null, completed: true, created_at: ago(4), completed_at: ago(4), ...e };
}

function detail(s: InvocationSummary, over: Partial<InvocationDetail>): InvocationDetail {
  return { ...s, invoked_by_target: null, suspended_waiting_for: null, headers: [{ name: "content-type", value: "application/json" }], input: "t1", journal: [], attempts: [], ...over };
}

const find = (i: string) => LIST.find((x) => x.id === i)!;

const DETAILS: Record<string, InvocationDetail> = {
  [IDS.running]: detail(find(IDS.running), {
    // A reload kept it on the build it started on.
    pinned_deployment_id: "dp_1old",
    input: { trip: "t1" },
    journal: [
      entry({ index: 1, type: "Run", name: "flight", result: { value: { flight: "LH1", seat: "12A" } } }),
      entry({ index: 2, type: "Call", name: "hotel/reserve", completed: false, completed_at: null, value: "t1", target: { service: "hotel", handler: "reserve", invocationId: IDS.child } }),
    ],
  }),
  [IDS.child]: detail(summary({ id: IDS.child, service: "hotel", handler: "reserve", status: "suspended", invoked_by: "service", invoked_by_id: IDS.running }), {
    invoked_by_target: "trips/book",
    suspended_waiting_for: [1],
    journal: [entry({ index: 1, type: "Sleep", completed: false, completed_at: null, wake_up_at: new Date(NOW + 30_000).toISOString() })],
  }),
  [IDS.mismatch]: detail(find(IDS.mismatch), {
    input: null,
    journal: [entry({ index: 1, type: "Run", name: "reserve", result: { value: { sku: "p1", qty: 2 } } })],
    attempts: [1, 2, 3].map((n) => ({
      attempt: n,
      at: ago(10 - n),
      code: 570,
      message: MISMATCH_MESSAGE,
      stack: null,
      related_entry_index: 1,
      related_entry_type: "Run",
      related_entry_name: "charge",
    })),
  }),
  [IDS.cart]: detail(find(IDS.cart), {
    input: "apple",
    journal: [entry({ index: 1, type: "GetState", name: "items", result: { value: [] } }), entry({ index: 2, type: "SetState", name: "items", value: ["apple"] })],
    result: { value: 1 },
  }),
  [IDS.stepper]: detail(find(IDS.stepper), {
    journal: [
      entry({ index: 1, type: "Run", name: "one", result: { value: 1 } }),
      entry({ index: 2, type: "Run", name: "two", result: { value: { n: 2 } } }),
      entry({ index: 3, type: "Run", name: "three", result: { value: 3 } }),
    ],
    result: { value: 6 },
  }),
  [IDS.restart]: detail(summary({ id: IDS.restart, service: "trips", handler: "stepper", status: "completed", completion_result: "success", restarted_from: IDS.stepper }), {
    journal: [
      entry({ index: 1, type: "Run", name: "one", result: { value: 1 } }),
      entry({ index: 2, type: "Run", name: "two", result: { value: { n: 20 } } }),
      entry({ index: 3, type: "Run", name: "three", result: { value: 3 } }),
    ],
    result: { value: 24 },
  }),
};

const DEPLOYMENTS: DeploymentView[] = [
  { id: "dp_1new", uri: "restate-dev://build/2", created_at: ago(10), services: [], latest: true, bundle_kept: true, pinned_invocations: [] },
  { id: "dp_1old", uri: "restate-dev://build/1", created_at: ago(60), services: [], latest: false, bundle_kept: true, pinned_invocations: [IDS.running] },
];

const SERVICES: ServiceView[] = [
  { name: "cart", ty: "VirtualObject", handlers: [{ name: "add", ty: "Exclusive" }] },
  { name: "trips", ty: "Service", handlers: [{ name: "book" }, { name: "flaky" }, { name: "stepper" }] },
];

interface Call {
  method: Method;
  path: string;
  body?: unknown;
}

/** A backend answering from the fixtures and recording what it was asked. */
function fixtureBackend(opts: { mode?: "live" | "offline"; list?: InvocationSummary[] } = {}) {
  const calls: Call[] = [];
  const ok = (json: unknown, status = 200): BackendResponse => ({ status, ok: true, text: JSON.stringify(json), json });
  const backend: InspectorBackend & { calls: Call[] } = {
    mode: opts.mode ?? "live",
    location: "http://127.0.0.1:9070",
    calls,
    async admin(method, path, body) {
      calls.push({ method, path, ...(body !== undefined ? { body } : {}) });
      const url = new URL(path, "http://x");
      const p = decodeURIComponent(url.pathname);
      if (method === "GET" && p === "/invocations") {
        const list = opts.list ?? LIST;
        const svc = url.searchParams.get("service");
        const h = url.searchParams.get("handler");
        return ok({ invocations: list.filter((i) => (!svc || i.service === svc) && (!h || i.handler === h)) });
      }
      if (method === "GET" && p.startsWith("/invocations/")) {
        const d = DETAILS[p.slice("/invocations/".length)];
        return d ? ok(d) : { status: 404, ok: false, text: "", json: { message: "not found" } };
      }
      if (method === "GET" && p === "/services") return ok({ services: SERVICES });
      if (method === "GET" && p === "/deployments") return ok({ deployments: DEPLOYMENTS });
      if (method === "GET" && p === "/services/cart/state/u1") return ok({ service: "cart", key: "u1", state: { items: ["apple"], count: 1 } });
      if (method === "GET" && p === "/services/cart/keys/u1") return ok({ service: "cart", key: "u1", lock_holder: null, inbox: [] });
      if (method === "PATCH" && p.endsWith("/restart-as-new")) return ok({ new_invocation_id: IDS.restart });
      if (method === "PATCH" || method === "PUT" || method === "DELETE") return { status: 202, ok: true, text: "", json: undefined };
      return { status: 404, ok: false, text: "", json: { message: `no fixture for ${method} ${path}` } };
    },
    async ingress(path, body) {
      calls.push({ method: "POST", path: `ingress:${path}`, body });
      return ok({ invocationId: IDS.cart, status: "Accepted" }, 202);
    },
  };
  return backend;
}

// ---------------------------------------------------------------- helpers

const ESC = "\x1b";
const KEYS = { down: "\x1b[B", up: "\x1b[A", enter: "\r", tab: "\t", esc: ESC, ctrlU: "\x15" };
// eslint-disable-next-line no-control-regex
const plain = (s: string | undefined) => (s ?? "").replace(/\x1b\[[0-9;]*m/g, "");

type FixtureBackend = ReturnType<typeof fixtureBackend>;

function mount(props: Partial<Omit<InspectorProps, "backend">> & { backend?: FixtureBackend }, size = { columns: 100, rows: 30 }) {
  const backend = props.backend ?? fixtureBackend();
  const app = render(createElement(Inspector, { backend, size, now: NOW, pollMs: 50, theme: { colour: true }, ...props }));
  const frame = () => plain(app.lastFrame());
  const until = async (check: (f: string) => boolean, what: string) => {
    const deadline = Date.now() + 5000;
    while (!check(frame())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen shows:\n${frame()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return frame();
  };
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      app.stdin.write(k);
      // ink holds a lone Esc briefly (it may start a sequence); let each key land on its own.
      await new Promise((r) => setTimeout(r, k === ESC ? 60 : 15));
    }
  };
  return { app, backend, frame, until, press };
}

const rowsOf = (frame: string) => frame.split("\n");

// ---------------------------------------------------------------- tests

describe("invocations list", () => {
  it("shows every invocation with its status, target, key, age, attempts and error, and counts per status in the header", async () => {
    const ui = mount({});
    const f = await ui.until((f) => f.includes("trips/book"), "the list");
    const header = rowsOf(f)[0]!;
    expect(header).toContain("6 invocations");
    for (const part of ["running 1", "backing-off 1", "paused 1", "completed 2", "failed 1"]) expect(header).toContain(part);
    const row = (target: string) => rowsOf(f).find((l) => l.includes(target))!;
    // The id column shows from 70 columns on (here 100): what every command takes.
    expect(row("trips/book")).toMatch(/▶ running\s+inv_1runnin… trips\/book/);
    expect(row("orders/place")).toMatch(/↻ backing-off\s+inv_1\S+\s+orders\/place\s+12s\s+×3 \[570\] Journal mismatch/);
    expect(row("cart/add")).toMatch(/✓ completed\s+inv_1\S+\s+cart\/add\s+u1\s+1m/);
    expect(row("hotel/reserve")).toMatch(/✗ failed\s+inv_1\S+\s+hotel\/reserve.*\[409\] killed/);
    expect(row("trips/flaky")).toMatch(/⏸ paused.*1h\s+×70 \[500\] still broken/);
    // The first row is selected, with a mark that reads without colour.
    expect(rowsOf(f).find((l) => l.startsWith("›"))).toContain("trips/book");
  });

  it("filters by typed text, by status and by service, and clears the filters", async () => {
    const ui = mount({});
    await ui.until((f) => f.includes("trips/book"), "the list");
    await ui.press("/", "c", "a", "r", "t");
    let f = await ui.until((f) => f.includes("1 of 6 shown"), "the text filter");
    expect(f).toContain("cart/add");
    expect(f).not.toContain("trips/book");
    expect(f).toContain("filter: cart");
    await ui.press(KEYS.enter, "0");
    await ui.until((f) => f.includes("6 shown"), "the filter to clear");

    await ui.press("s"); // all → unfinished
    f = await ui.until((f) => f.includes("status unfinished"), "the status filter");
    expect(f).toContain("3 of 6 shown");
    expect(f).not.toContain("cart/add");
    await ui.press("s"); // → running
    f = await ui.until((f) => f.includes("status running"), "the next status");
    expect(f).toContain("1 of 6 shown");

    await ui.press("0", "f"); // first service: cart
    f = await ui.until((f) => f.includes("service cart"), "the service filter");
    expect(f).toContain("1 of 6 shown");
    await ui.press("f"); // hotel
    await ui.until((f) => f.includes("service hotel"), "the next service");
    await ui.press(ESC);
    await ui.until((f) => f.includes("6 shown ·"), "Esc to clear the filters");
  });

  it("sorts by status, and keeps the selection on the same invocation", async () => {
    const ui = mount({});
    await ui.until((f) => f.includes("trips/book"), "the list");
    await ui.press(KEYS.down, KEYS.down); // cart/add
    await ui.until((f) => (rowsOf(f).find((l) => l.startsWith("›")) ?? "").includes("cart/add"), "the cursor to move");
    await ui.press("o", "o"); // newest → oldest → status
    const f = await ui.until((f) => f.includes("sort status"), "the sort");
    const order = rowsOf(f).filter((l) => /^[› ] [▶↻⏸✓✗]/.test(l)).map((l) => l.slice(2, 15).trim());
    expect(order).toEqual(["▶ running", "↻ backing-off", "⏸ paused", "✓ completed", "✓ completed", "✗ failed"]);
    expect(rowsOf(f).find((l) => l.startsWith("›"))).toContain("cart/add");
  });
});

describe("invocation detail", () => {
  it("shows the journal as a timeline and the selected entry's payload and result", async () => {
    const ui = mount({});
    await ui.until((f) => f.includes("trips/book"), "the list");
    await ui.press(KEYS.enter);
    let f = await ui.until((f) => f.includes("hotel/reserve"), "the journal");
    const rows = rowsOf(f);
    expect(rows.find((l) => /\b0 Input\b/.test(l))).toBeDefined();
    expect(rows.find((l) => /\b1 Run\s+flight\s+0ms ✓ completed/.test(l))).toBeDefined();
    expect(rows.find((l) => /\b2 Call\s+hotel\/reserve →.*… waiting/.test(l))).toBeDefined();
    // The input is selected: its payload, pretty-printed.
    expect(f).toMatch(/input\n\s+\{\n\s+"trip": "t1"\n\s+\}/);
    await ui.press(KEYS.down);
    f = await ui.until((f) => f.includes("#1 Run flight"), "the Run entry");
    expect(f).toMatch(/result\n\s+\{\n\s+"flight": "LH1",\n\s+"seat": "12A"\n\s+\}/);
    await ui.press(KEYS.down);
    f = await ui.until((f) => f.includes("#2 Call hotel/reserve"), "the Call entry");
    expect(f).toContain(`→ ${IDS.child}`);
    expect(f).toContain("result: (waiting)");
  });

  it("lists failed attempts with the entry they failed at, and shows a key's state and inbox", async () => {
    const ui = mount({ initial: { kind: "detail", id: IDS.mismatch } });
    await ui.until((f) => f.includes("journal mismatch at #1"), "the detail");
    await ui.press(KEYS.tab);
    const f = await ui.until((f) => f.includes("[attempts 3]"), "the attempts pane");
    expect(f).toMatch(/› attempt 3 \d\d:\d\d:\d\d at #1 Run 'charge' \[570\] Journal mismatch at entry 1/);
    // The timeline shows the entry the selected attempt failed at, with its count of failures.
    expect(rowsOf(f).find((l) => /\b1 Run\s+reserve/.test(l))).toMatch(/^›.*✗3\s*$/);

    const cart = mount({ initial: { kind: "detail", id: IDS.cart } });
    await cart.until((f) => f.includes("cart/u1/add"), "the cart detail");
    await cart.press(KEYS.tab, KEYS.tab, KEYS.tab);
    const s = await cart.until((f) => f.includes('items  = ["apple"]'), "the state pane");
    expect(s).toContain("cart/u1  lock free  inbox empty");
    expect(s).toContain("count  = 1");
  });

  it("shows a journal mismatch side by side: what the journal holds and what the code did", async () => {
    const ui = mount({});
    await ui.until((f) => f.includes("orders/place"), "the list");
    await ui.press(KEYS.down, KEYS.enter);
    let f = await ui.until((f) => f.includes("journal mismatch at #1"), "the mismatch banner");
    expect(f).toContain("journal holds Run 'reserve', code does Run 'charge'");
    // Opened at the entry the failure points at.
    expect(rowsOf(f).find((l) => l.startsWith("›"))).toMatch(/1 Run\s+reserve/);
    await ui.press("M");
    f = await ui.until((f) => f.includes("the code now does"), "the mismatch view");
    const lines = rowsOf(f);
    expect(lines.find((l) => l.includes("the journal holds") && l.includes("│ the code now does"))).toBeDefined();
    expect(lines.find((l) => /#1 Run 'reserve'\s+│ #1 Run 'charge'/.test(l))).toBeDefined();
    expect(f).toMatch(/"sku": "p1",\s+│/);
    expect(f).toContain("not run: the attempt stopped at this");
    // F restarts from the mismatching entry, keeping what came before it.
    await ui.press("F");
    await ui.until((f) => f.includes("y/N restart orders/place as new, running everything again?"), "the question");
  });
});

describe("call tree", () => {
  it("follows a call to its callee, shows the caller in the calls pane, and goes back up", async () => {
    const ui = mount({ initial: { kind: "detail", id: IDS.running } });
    await ui.until((f) => f.includes("hotel/reserve"), "the journal");
    await ui.press(KEYS.down, KEYS.down, KEYS.enter);
    let f = await ui.until((f) => f.includes("hotel/reserve " + IDS.child), "the callee");
    expect(f).toContain("suspended, waiting for #1");
    expect(rowsOf(f).find((l) => /\b1 Sleep\s+⏲ 30s\s+… waiting/.test(l))).toBeDefined();
    await ui.press(KEYS.tab, KEYS.tab);
    f = await ui.until((f) => f.includes("[calls 1]"), "the calls pane");
    expect(f).toMatch(new RegExp(`› called by trips/book ${IDS.running} ▶ running`));
    expect(f).toContain("└ this: hotel/reserve ‖ suspended");
    await ui.press("u");
    await ui.until((f) => f.includes("trips/book " + IDS.running), "the caller");
    // Esc walks back the way it came: the callee, the caller, the list.
    await ui.press(KEYS.esc);
    await ui.until((f) => f.includes("hotel/reserve " + IDS.child), "the callee again");
    await ui.press(KEYS.esc, KEYS.esc);
    await ui.until((f) => f.includes("Invocations"), "the list");
  });
});

describe("actions", () => {
  it("cancel asks first, then sends PATCH …/cancel and says so in the status line", async () => {
    const ui = mount({});
    await ui.until((f) => f.includes("trips/book"), "the list");
    await ui.press("c");
    await ui.until((f) => f.includes(`y/N cancel ${IDS.running.slice(0, 19)}… (trips/book)?`), "the question");
    expect(ui.backend.calls.some((c) => c.method === "PATCH")).toBe(false);
    await ui.press("n");
    await ui.until((f) => f.includes("not done"), "the refusal");
    await ui.press("c", "y");
    await ui.until((f) => f.includes("✓ cancel requested for"), "the outcome");
    expect(ui.backend.calls.filter((c) => c.method === "PATCH").map((c) => c.path)).toEqual([`/invocations/${IDS.running}/cancel`]);
  });

  it("edits an entry's result and restarts after it, then opens the new invocation", async () => {
    const ui = mount({ initial: { kind: "detail", id: IDS.stepper } });
    await ui.until((f) => f.includes("three"), "the journal");
    await ui.press(KEYS.down, KEYS.down, "e");
    await ui.until((f) => f.includes('#2 result as JSON (restarts after it): {"n":2}'), "the pre-filled prompt");
    await ui.press(KEYS.ctrlU, '{"n":', "2", "0", "}", KEYS.enter);
    await ui.until((f) => f.includes("y/N restart trips/stepper as new, keeping entries 1–2, with entry 2 replaced?"), "the question");
    await ui.press("y");
    const f = await ui.until((f) => f.includes(`✓ restarted as ${IDS.restart}`), "the outcome");
    expect(ui.backend.calls.find((c) => c.method === "PATCH")).toEqual({ method: "PATCH", path: `/invocations/${IDS.stepper}/restart-as-new?from=2`, body: { overrides: { "2": { n: 20 } } } });
    await ui.until((f) => f.includes("= 24"), "the new invocation");
    expect(f).toBeDefined();
    // d compares it with the one it restarted from, entry by entry.
    await ui.press("d");
    const d = await ui.until((f) => f.includes("rows differ"), "the diff");
    expect(d).toContain("2 of 5 rows differ");
    expect(rowsOf(d).find((l) => /≠\s+2 Run two\s+\{"n":2\}\s+Run two\s+\{"n":20\}/.test(l))).toBeDefined();
    expect(rowsOf(d).find((l) => /=\s+1 Run one/.test(l))).toBeDefined();
  });

  it("rejects a result that is not JSON, in the prompt", async () => {
    const ui = mount({ initial: { kind: "detail", id: IDS.stepper } });
    await ui.until((f) => f.includes("three"), "the journal");
    await ui.press(KEYS.down, "e", KEYS.ctrlU, "{oops", KEYS.enter);
    await ui.until((f) => f.includes("✗ not JSON"), "the error");
    expect(ui.backend.calls.some((c) => c.method === "PATCH")).toBe(false);
  });

  it("invokes a handler from the services screen with a body pre-filled from its last input", async () => {
    const ui = mount({});
    await ui.until((f) => f.includes("trips/book"), "the list");
    await ui.press("2");
    let f = await ui.until((f) => f.includes("Services") && f.includes("└ add"), "the services");
    expect(rowsOf(f).find((l) => l.includes("└ add"))).toMatch(/Exclusive\s+✓ completed 1/);
    expect(rowsOf(f).find((l) => l.includes("trips"))).toMatch(/▶ running 1\s+⏸ paused 1\s+✓ completed 1/);
    await ui.press(KEYS.down, "i");
    await ui.until((f) => f.includes("cart key: u1"), "the key prompt");
    await ui.press(KEYS.enter);
    f = await ui.until((f) => f.includes('invoke cart/u1/add with JSON: "apple"'), "the body prompt");
    await ui.press(KEYS.enter);
    await ui.until((f) => f.includes(`✓ invoked cart/u1/add → ${IDS.cart}`), "the outcome");
    expect(ui.backend.calls.find((c) => c.path.startsWith("ingress:"))).toEqual({ method: "POST", path: "ingress:/cart/u1/add/send", body: '"apple"' });
  });

  it("shows the builds, and an invocation that runs on an older one says so", async () => {
    const ui = mount({}, { columns: 140, rows: 30 });
    await ui.until((f) => f.includes("trips/book"), "the list");
    await ui.press("2");
    const f = await ui.until((f) => f.includes("Builds"), "the builds");
    expect(f).toContain("build 2 dp_1new (newest)");
    expect(f).toContain(`build 1 dp_1old (older): 1 invocation (${IDS.running}), on the code it started with`);
    await ui.press("1");
    await ui.until((f) => f.includes("trips/book"), "the list");
    await ui.press(KEYS.enter);
    const d = await ui.until((f) => f.includes("on build 1 (older)"), "the invocation's build");
    expect(rowsOf(d)[1]).toContain("on build 1 (older): finishes on the code it started with");
  });

  it("is read-only without a running runtime", async () => {
    const ui = mount({ backend: fixtureBackend({ mode: "offline" }) });
    const f = await ui.until((f) => f.includes("trips/book"), "the list");
    expect(rowsOf(f)[0]).toContain("read-only");
    await ui.press("x");
    await ui.until((f) => f.includes("read-only: no runtime is running"), "the refusal");
    expect(ui.backend.calls.every((c) => c.method === "GET")).toBe(true);
  });
});

describe("layout", () => {
  it("shows the key map on ?, and any key closes it", async () => {
    const ui = mount({});
    await ui.until((f) => f.includes("trips/book"), "the list");
    await ui.press("?");
    let f = await ui.until((f) => f.includes("keys: invocations"), "the key map");
    expect(f).toContain("cancel (asks first");
    expect(f).toContain("filter by text");
    expect(f).toMatch(/everywhere\s+\? keys/);
    await ui.press(KEYS.down);
    f = await ui.until((f) => !f.includes("keys: invocations"), "the key map to close");
    expect(f).toContain("trips/book");
  });

  it("fits 80×24 on every screen: no line wider than the terminal, one line left free", async () => {
    const ui = mount({}, { columns: 80, rows: 24 });
    const check = (f: string) => {
      const lines = rowsOf(f);
      expect(lines.length).toBeLessThanOrEqual(23);
      for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    };
    const list = await ui.until((f) => f.includes("trips/book"), "the list");
    check(list);
    // The list keeps an id column at 80 columns: ids are what the commands take.
    expect(rowsOf(list).find((l) => l.includes("STATUS"))).toMatch(/STATUS\s+ID\s+TARGET/);
    expect(rowsOf(list).find((l) => l.includes("trips/book"))).toMatch(/inv_1\S+… trips\/book/);
    // The header leaves the last column free (a mark drawn two cells wide must not wrap it).
    expect([...rowsOf(list)[0]!].length).toBeLessThanOrEqual(79);
    await ui.press(KEYS.enter);
    check(await ui.until((f) => f.includes("flight"), "the detail"));
    await ui.press("?");
    check(await ui.until((f) => f.includes("keys: invocation"), "the key map"));
    await ui.press(KEYS.esc, KEYS.esc, KEYS.down, KEYS.enter);
    check(await ui.until((f) => f.includes("journal mismatch at #1"), "the failing invocation"));
    await ui.press("M");
    check(await ui.until((f) => f.includes("the code now does"), "the mismatch view"));
    await ui.press("2");
    check(await ui.until((f) => f.includes("Services"), "the services"));
  });

  it("reads without colour (NO_COLOR): no colour codes, and statuses still in words and marks", async () => {
    const coloured = mount({});
    await coloured.until((f) => f.includes("trips/book"), "the list");
    // eslint-disable-next-line no-control-regex
    const colour = /\x1b\[(3[0-7]|9[0-7]|38;)/;
    expect(coloured.app.lastFrame()).toMatch(colour);
    const plainUi = mount({ theme: { colour: false } });
    await plainUi.until((f) => f.includes("trips/book"), "the list");
    const raw = plainUi.app.lastFrame()!;
    expect(raw).not.toMatch(colour);
    expect(plain(raw)).toContain("↻ backing-off");
    expect(plain(raw)).toContain("✗ failed");
  });
});
