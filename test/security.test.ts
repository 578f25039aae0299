/**
 * A web page cannot drive the runtime: Host and Origin checks on both ports,
 * JSON-only admin bodies, and the paths that must keep working (clients that
 * are not browsers, pages on loopback origins, origins the user allows).
 * Requests are made as a browser or a DNS-rebinding page would make them.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { call, CLI, runForFile, startUp, type UpProcess } from "./helpers/runtime.js";
import { rawRequest } from "./helpers/raw_http.js";
import { makeProject } from "./helpers/project.js";
import { guard } from "../runtime/ingress/guard.js";
import type { HttpRequest } from "../runtime/ingress/http.js";
import { RestateTestEnvironment } from "../testing/index.js";
import * as restate from "../sdk/index.js";

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
const greeter = restate.service({
  name: "greeter",
  handlers: { async greet(ctx: restate.Context, name?: string) { return "hello " + (name ?? "nobody"); } },
});
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
restate.serve({ services: [greeter, counter] });
`,
};

const EVIL = "http://evil.example";
const JSON_TYPE = { "content-type": "application/json" };
const UNKNOWN_ID = "inv_1" + "0".repeat(33);

let up: UpProcess;
runForFile(PROJECT, (started) => (up = started));

let opened: UpProcess;
runForFile(PROJECT, (started) => (opened = started), {
  args: ["--allow-host", "myapp.test", "--allow-host", "192.168.1.20:8080", "--allow-origin", "https://app.example.com", "--admin-allow-origin", "https://ops.example.com"],
});

const port = (url: string) => new URL(url).port;
const greeterInvocations = async (admin: string) =>
  ((await call(admin, "/query", { query: "SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = 'greeter'" }, { headers: { accept: "application/json" } })).json.rows[0].n as number);
const countOf = async (key: string) => (await call(up.adminUrl, `/services/counter/state/${key}`, undefined, { method: "GET" })).json.state?.count;

describe("Host: a DNS-rebinding page is refused on both ports", () => {
  it("a foreign Host gets 403 with Restate's error shape and says how to allow it", async () => {
    const ingress = await rawRequest(`${up.ingressUrl}/greeter/greet`, { method: "POST", headers: { host: `evil.example:${port(up.ingressUrl)}`, ...JSON_TYPE }, body: '"x"' });
    expect(ingress.status).toBe(403);
    expect(ingress.headers["x-restate-error-source"]).toBe("ingress");
    expect(ingress.json).toEqual({ code: 403, message: expect.stringContaining("--allow-host evil.example"), source: "ingress" });

    const admin = await rawRequest(`${up.adminUrl}/invocations`, { headers: { host: `evil.example:${port(up.adminUrl)}` } });
    expect(admin.status).toBe(403);
    expect(admin.json).toEqual({ message: expect.stringContaining("--allow-host evil.example"), restate_code: null });
  });

  it("names that only look like loopback are foreign", async () => {
    for (const host of ["localhost.evil.example", "127.0.0.1.nip.io", "evil.example", "127.0.0.256", "[::2]", "localhost:abc"]) {
      const r = await rawRequest(`${up.adminUrl}/health`, { headers: { host } });
      expect(`${host} ${r.status}`).toBe(`${host} 403`);
    }
  });

  it("loopback names and addresses pass, with any port or none", async () => {
    for (const host of ["localhost", "localhost:1234", "LOCALHOST:9070", "app.localhost:3000", "127.0.0.1", "127.1.2.3:80", "[::1]", "[::1]:9070"]) {
      expect((await rawRequest(`${up.ingressUrl}/restate/health`, { headers: { host } })).status, host).toBe(200);
      expect((await rawRequest(`${up.adminUrl}/health`, { headers: { host } })).status, host).toBe(200);
    }
  });
});

describe("Origin and Sec-Fetch-Site: a page on another site is refused", () => {
  it("cannot invoke a handler with a simple request: text/plain, form, multipart, empty body, GET, /send", async () => {
    const before = await greeterInvocations(up.adminUrl);
    const attempts: Array<{ path: string; method?: string; type?: string; body?: string }> = [
      { path: "/greeter/greet", type: "text/plain", body: '"x"' },
      { path: "/greeter/greet", type: "application/x-www-form-urlencoded", body: "a=b" },
      { path: "/greeter/greet", type: "multipart/form-data; boundary=x", body: "--x--\r\n" },
      { path: "/greeter/greet", type: "text/plain" },
      { path: "/greeter/greet/send", type: "text/plain" },
      { path: "/greeter/greet", method: "GET" },
      { path: "/counter/k1/add", ...{ type: "application/json", body: "1" } },
    ];
    for (const a of attempts) {
      const r = await rawRequest(up.ingressUrl + a.path, {
        method: a.method ?? "POST",
        headers: { origin: EVIL, ...(a.type ? { "content-type": a.type } : {}) },
        ...(a.body !== undefined ? { body: a.body } : {}),
      });
      expect(r.status, JSON.stringify(a)).toBe(403);
      expect(r.json.message).toContain(`--allow-origin ${EVIL}`);
      expect(r.headers["access-control-allow-origin"]).toBeUndefined();
    }
    expect(await greeterInvocations(up.adminUrl)).toBe(before);
    expect(await countOf("k1")).toBeUndefined();
  });

  it("cannot write state, kill invocations or run SQL on the admin API", async () => {
    await call(up.ingressUrl, "/counter/victim/add", 5);
    const writes = [
      { method: "POST", path: "/services/counter/state", type: "text/plain", body: JSON.stringify({ object_key: "victim", new_state: {} }) },
      { method: "POST", path: "/services/counter/state", type: "application/json", body: JSON.stringify({ object_key: "victim", new_state: {} }) },
      { method: "POST", path: "/query", type: "text/plain", body: JSON.stringify({ query: "SELECT 1" }) },
      { method: "PATCH", path: `/invocations/${UNKNOWN_ID}/kill` },
      { method: "GET", path: "/invocations" },
    ];
    for (const w of writes) {
      const r = await rawRequest(up.adminUrl + w.path, { method: w.method, headers: { origin: EVIL, ...(w.type ? { "content-type": w.type } : {}) }, ...(w.body ? { body: w.body } : {}) });
      expect(r.status, `${w.method} ${w.path}`).toBe(403);
      expect(r.json).toEqual({ message: expect.stringContaining(`--admin-allow-origin ${EVIL}`), restate_code: null });
    }
    expect(await countOf("victim")).toBe(5);
  });

  it("a request the browser marks cross-site or same-site (an <img>, a link, a form) without an allowed Origin is refused", async () => {
    const before = await greeterInvocations(up.adminUrl);
    for (const site of ["cross-site", "same-site"]) {
      const r = await rawRequest(`${up.ingressUrl}/greeter/greet`, { headers: { "sec-fetch-site": site, "sec-fetch-mode": "no-cors", "sec-fetch-dest": "image" } });
      expect(r.status, site).toBe(403);
      expect(r.json.message).toContain(`Sec-Fetch-Site: ${site}`);
      expect((await rawRequest(`${up.adminUrl}/invocations`, { headers: { "sec-fetch-site": site } })).status).toBe(403);
    }
    expect(await greeterInvocations(up.adminUrl)).toBe(before);
    // Typed into the address bar (none) or from the runtime's own origin (same-origin): allowed.
    for (const site of ["none", "same-origin"]) {
      expect((await rawRequest(`${up.ingressUrl}/greeter/greet`, { headers: { "sec-fetch-site": site } })).status, site).toBe(200);
    }
  });

  it("a browser that sends no Sec-Fetch-Site still names the page in Referer: a foreign one is refused", async () => {
    expect((await rawRequest(`${up.ingressUrl}/greeter/greet`, { headers: { referer: `${EVIL}/page.html` } })).status).toBe(403);
    expect((await rawRequest(`${up.ingressUrl}/greeter/greet`, { headers: { referer: "http://localhost:3000/app" } })).status).toBe(200);
  });

  it("a page from a file or a sandbox (Origin: null) is refused", async () => {
    const r = await rawRequest(`${up.ingressUrl}/greeter/greet`, { method: "POST", headers: { origin: "null", ...JSON_TYPE }, body: '"x"' });
    expect(r.status).toBe(403);
    expect(r.json.message).toContain("Serve the page from http://localhost");
  });

  it("a preflight from a foreign origin is refused and grants nothing", async () => {
    const r = await rawRequest(`${up.ingressUrl}/greeter/greet`, {
      method: "OPTIONS",
      headers: { origin: EVIL, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(r.status).toBe(403);
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("pages on loopback origins", () => {
  it("a frontend on http://localhost:3000 calls the ingress with JSON: the preflight is answered and the answer is readable", async () => {
    const pre = await rawRequest(`${up.ingressUrl}/greeter/greet`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:3000", "access-control-request-method": "POST", "access-control-request-headers": "content-type, idempotency-key", "sec-fetch-site": "same-site" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    expect(String(pre.headers["access-control-allow-methods"])).toContain("POST");
    expect(pre.headers["access-control-allow-headers"]).toBe("content-type, idempotency-key");
    expect(pre.headers["access-control-max-age"]).toBeDefined();

    const r = await rawRequest(`${up.ingressUrl}/greeter/greet`, { method: "POST", headers: { origin: "http://localhost:3000", "sec-fetch-site": "same-site", ...JSON_TYPE }, body: '"web"' });
    expect(r.status).toBe(200);
    expect(r.json).toBe("hello web");
    expect(r.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    expect(String(r.headers["access-control-expose-headers"])).toContain("x-restate-id");
    expect(String(r.headers.vary)).toContain("origin");
  });

  it("other loopback origins work too, on both ports", async () => {
    for (const origin of ["http://127.0.0.1:5173", "http://[::1]:8000", "https://app.localhost", "http://localhost"]) {
      const r = await rawRequest(`${up.ingressUrl}/greeter/greet`, { method: "POST", headers: { origin, ...JSON_TYPE }, body: '"x"' });
      expect(r.status, origin).toBe(200);
      const a = await rawRequest(`${up.adminUrl}/invocations?limit=1`, { headers: { origin, "sec-fetch-site": "cross-site" } });
      expect(a.status, origin).toBe(200);
      expect(a.headers["access-control-allow-origin"]).toBe(origin);
    }
  });
});

describe("mutating admin routes take only JSON bodies", () => {
  it("form, text and multipart bodies are refused with 415, even without an Origin, and nothing changes", async () => {
    await call(up.ingressUrl, "/counter/forms/add", 3);
    const body = JSON.stringify({ object_key: "forms", new_state: {} });
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", undefined]) {
      const r = await rawRequest(`${up.adminUrl}/services/counter/state`, { method: "POST", headers: type ? { "content-type": type } : {}, body });
      expect(r.status, String(type)).toBe(415);
      expect(r.json).toEqual({ message: expect.stringContaining("application/json"), restate_code: null });
      expect((await rawRequest(`${up.adminUrl}/query`, { method: "POST", headers: type ? { "content-type": type } : {}, body: '{"query":"SELECT 1"}' })).status).toBe(415);
    }
    expect(await countOf("forms")).toBe(3);
  });

  it("JSON bodies, with or without a charset, and bodiless actions still work", async () => {
    const r = await rawRequest(`${up.adminUrl}/services/counter/state/forms/count`, { method: "PUT", headers: { "content-type": "application/json; charset=utf-8" }, body: "7" });
    expect(r.status).toBe(202);
    expect(await countOf("forms")).toBe(7);
    // PATCH without a body reaches the route (404: the id is unknown), not the content-type check.
    expect((await rawRequest(`${up.adminUrl}/invocations/${UNKNOWN_ID}/kill`, { method: "PATCH" })).status).toBe(404);
  });
});

describe("clients that are not browsers work unchanged", () => {
  it("curl-like requests and Node's fetch, without an Origin", async () => {
    expect((await call(up.ingressUrl, "/greeter/greet", JSON.stringify("node"))).json).toBe("hello node");
    expect((await call(up.adminUrl, "/query", { query: "SELECT 1 AS one" }, { headers: { accept: "application/json" } })).json.rows).toEqual([{ one: 1 }]);
    const res = await fetch(`${up.ingressUrl}/restate/health`);
    expect(res.status).toBe(200);
  });

  it("the CLI talks to both ports", () => {
    const dir = makeProject({});
    const r = spawnSync(process.execPath, [CLI, "invoke", "greeter/greet", '"cli"', "--ingress-url", up.ingressUrl, "--admin-url", up.adminUrl], { cwd: dir, encoding: "utf8" });
    expect(r.stdout + r.stderr).toContain("hello cli");
    const s = spawnSync(process.execPath, [CLI, "sql", "SELECT 2 AS two", "--json", "--admin-url", up.adminUrl], { cwd: dir, encoding: "utf8" });
    expect(JSON.parse(s.stdout)).toEqual([{ two: 2 }]);
  });

  it("the testing kit's ingress has the same checks", async () => {
    const hello = restate.service({ name: "hello", handlers: { async hi(_ctx: restate.Context) { return "hi"; } } });
    const env = await RestateTestEnvironment.start({ services: [hello] });
    try {
      expect((await call(env.ingressUrl, "/hello/hi", "")).status).toBe(200);
      expect((await rawRequest(`${env.ingressUrl}/hello/hi`, { method: "POST", headers: { origin: EVIL, "content-type": "text/plain" } })).status).toBe(403);
      expect((await rawRequest(`${env.ingressUrl}/hello/hi`, { method: "POST", headers: { host: "evil.example" } })).status).toBe(403);
    } finally {
      await env.stop();
    }
  });
});

describe("opening up: --allow-host, --allow-origin, --admin-allow-origin", () => {
  it("an allowed host name passes on both ports (with any port, or the one given); others are still refused", async () => {
    for (const host of ["myapp.test", `myapp.test:${port(opened.ingressUrl)}`, "192.168.1.20:8080"]) {
      expect((await rawRequest(`${opened.ingressUrl}/restate/health`, { headers: { host } })).status, host).toBe(200);
      expect((await rawRequest(`${opened.adminUrl}/health`, { headers: { host } })).status, host).toBe(200);
    }
    expect((await rawRequest(`${opened.adminUrl}/health`, { headers: { host: "192.168.1.20:9999" } })).status).toBe(403);
    expect((await rawRequest(`${opened.adminUrl}/health`, { headers: { host: "evil.example" } })).status).toBe(403);
  });

  it("an allowed origin calls the ingress, with CORS and Private Network Access answered; the admin API has its own list", async () => {
    const app = "https://app.example.com";
    const pre = await rawRequest(`${opened.ingressUrl}/greeter/greet`, {
      method: "OPTIONS",
      headers: { origin: app, "access-control-request-method": "POST", "access-control-request-headers": "content-type", "access-control-request-private-network": "true" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe(app);
    expect(pre.headers["access-control-allow-private-network"]).toBe("true");
    const r = await rawRequest(`${opened.ingressUrl}/greeter/greet`, { method: "POST", headers: { origin: app, "sec-fetch-site": "cross-site", ...JSON_TYPE }, body: '"app"' });
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBe(app);

    expect((await rawRequest(`${opened.adminUrl}/invocations`, { headers: { origin: app } })).status).toBe(403);
    const ops = await rawRequest(`${opened.adminUrl}/invocations?limit=1`, { headers: { origin: "https://ops.example.com" } });
    expect(ops.status).toBe(200);
    expect(ops.headers["access-control-allow-origin"]).toBe("https://ops.example.com");
    expect((await rawRequest(`${opened.ingressUrl}/greeter/greet`, { method: "POST", headers: { origin: EVIL, ...JSON_TYPE }, body: '"x"' })).status).toBe(403);
  });

  it("--host listens on another address, and runtime.json's URLs work there", async () => {
    const other = await startUp(makeProject(PROJECT), { args: ["--host", "127.0.0.2"] });
    try {
      expect(other.ingressUrl).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
      expect((await call(other.ingressUrl, "/greeter/greet", JSON.stringify("there"))).json).toBe("hello there");
      expect((await call(other.adminUrl, "/query", { query: "SELECT 1 AS one" }, { headers: { accept: "application/json" } })).json.rows).toEqual([{ one: 1 }]);
    } finally {
      await other.stop();
    }
  });

  it("a malformed --allow-origin or --allow-host stops up at once with a hint", () => {
    const dir = makeProject(PROJECT);
    for (const [flag, value] of [
      ["--allow-origin", "app.example.com"],
      ["--admin-allow-origin", "https://ops.example.com/path"],
      ["--allow-host", "http://myapp.test"],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, "up", dir, "--ingress-port", "0", "--admin-port", "0", flag, value], { encoding: "utf8", timeout: 20_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${flag} takes`);
      expect(r.stderr).toContain("hint:");
    }
  });
});

describe("guard() as a Handler, without a port", () => {
  const ok = () => ({ status: 200, headers: { "x-a": "1" }, body: "ok" });
  const req = (headers: Record<string, string>, method = "GET"): HttpRequest => ({ method, path: "/x", query: new URLSearchParams(), headers, body: new Uint8Array(0) });
  const error = (status: number, message: string) => ({ status, body: message });

  it("'*' allows any origin and any host only when written out", async () => {
    const open = guard(ok, { allowOrigins: ["*"], allowHosts: ["*"], originFlag: "--allow-origin", error });
    const shut = guard(ok, { originFlag: "--allow-origin", error });
    const foreign = { host: "anything.example", origin: "https://anything.example" };
    expect((await open(req(foreign))).status).toBe(200);
    expect((await open(req(foreign))).headers?.["access-control-allow-origin"]).toBe("https://anything.example");
    expect((await shut(req(foreign))).status).toBe(403);
  });

  it("allowed origins match as browsers send them: case, default port and trailing slash do not matter", async () => {
    const g = guard(ok, { allowOrigins: ["HTTPS://App.Example.com:443/", "chrome-extension://abcdef"], originFlag: "--allow-origin", error });
    for (const origin of ["https://app.example.com", "chrome-extension://abcdef"]) expect((await g(req({ host: "localhost", origin }))).status, origin).toBe(200);
    for (const origin of ["http://app.example.com", "https://app.example.com:8443", "https://evil.app.example.com"]) expect((await g(req({ host: "localhost", origin }))).status, origin).toBe(403);
  });

  it("a request without a Host header is refused", async () => {
    expect((await guard(ok, { originFlag: "--allow-origin", error })(req({}))).status).toBe(403);
  });
});
