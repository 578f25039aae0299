// Starts this project's runtime as `npm run dev` does (on free ports), then calls
// the handlers over HTTP, exactly as curl or any HTTP client would.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let up: ChildProcess;
let runtime: { pid: number; ingressUrl: string };

beforeAll(async () => {
  up = spawn("npx", ["restate-dev", "up", ".", "--ingress-port", "0", "--admin-port", "0"]);
  let output = "";
  await new Promise<void>((resolve, reject) => {
    up.stdout!.on("data", (chunk) => {
      output += chunk;
      if (/^ready:/m.test(output)) resolve();
    });
    up.stderr!.on("data", (chunk) => (output += chunk));
    up.on("exit", (code) => reject(new Error(`restate-dev up exited with ${code}:\n${output}`)));
  });
  // Written by `up` once it is ready: its pid and where it listens.
  runtime = JSON.parse(readFileSync(".restate-dev/runtime.json", "utf8"));
});

afterAll(async () => {
  if (!up || up.exitCode !== null) return;
  const exited = new Promise((resolve) => up.once("exit", resolve));
  process.kill(runtime?.pid ?? up.pid!, "SIGTERM");
  await exited;
});

/** POSTs a JSON input to the ingress, like: curl -X POST localhost:8080/<path> -d '<input>' */
async function call(path: string, input?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(runtime.ingressUrl + path, {
    method: "POST",
    ...(input === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(input) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

// State lives on in .restate-dev/ between runs: the tests use fresh keys.
const key = randomUUID().slice(0, 8);

describe("greeter", () => {
  it("greets", async () => {
    const res = await call("/greeter/greet", "Ada");
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^Hello, Ada! Your lucky number is \d+\.$/);
  });

  it("fails at once with a TerminalError's status", async () => {
    const res = await call("/greeter/greet", "");
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/send a name/);
  });
});

describe("counter", () => {
  it("keeps a count per key", async () => {
    expect((await call(`/counter/${key}/add`, 2)).body).toBe(2);
    expect((await call(`/counter/${key}/add`, 3)).body).toBe(5);
    expect((await call(`/counter/${key}/get`)).body).toBe(5);
    expect((await call(`/counter/other-${key}/get`)).body).toBe(0);
  });
});

describe("signup", () => {
  it("waits for the confirmation, then completes", async () => {
    const email = `ada-${key}@example.com`;
    // Start the workflow without waiting for it (202 Accepted) ...
    expect((await call(`/signup/${email}/run/send`, { name: "Ada" })).status).toBe(202);
    // ... see it wait for the confirmation ...
    await expect.poll(async () => (await call(`/signup/${email}/status`)).body, { timeout: 5000 }).toBe("waiting for confirmation");
    // ... confirm, as the link in the email would ...
    expect((await call(`/signup/${email}/confirm`)).body).toBe("confirmed");
    // ... and wait for its result.
    const res = await fetch(`${runtime.ingressUrl}/restate/workflow/signup/${email}/attach`);
    expect(await res.json()).toMatchObject({ email, name: "Ada", confirmedAt: expect.any(String) });
    expect((await call(`/signup/${email}/status`)).body).toBe("confirmed");
  });
});
