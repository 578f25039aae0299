// Runs the services in-process on restate-dev's engine (nothing to start first):
// calls go through a real HTTP ingress, time is virtual (sleeps are skipped),
// and state can be read and written directly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestateTestEnvironment } from "restate-dev/testing";
import { greeter } from "../src/greeter.js";
import { counter } from "../src/counter.js";
import { signup } from "../src/signup.js";

let env: RestateTestEnvironment;
beforeAll(async () => {
  env = await RestateTestEnvironment.start({ services: [greeter, counter, signup] });
});
afterAll(() => env.stop());

describe("greeter", () => {
  it("greets", async () => {
    expect(await env.client.serviceClient(greeter).greet("Ada")).toMatch(/^Hello, Ada! Your lucky number is \d+\.$/);
  });

  it("fails at once with a TerminalError's status", async () => {
    await expect(env.client.serviceClient(greeter).greet("")).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/send a name/) });
  });
});

describe("counter", () => {
  it("keeps a count per key", async () => {
    const ada = env.client.objectClient(counter, "ada");
    expect(await ada.add(2)).toBe(2);
    expect(await ada.add(3)).toBe(5);
    expect(await env.stateOf(counter, "ada").get("value")).toBe(5);
    expect(await env.client.objectClient(counter, "bob").get()).toBe(0);
  });
});

describe("signup", () => {
  it("waits for the confirmation, then completes", async () => {
    const email = "ada@example.com";
    const wf = env.client.workflowClient(signup, email);
    // Start the workflow without waiting for it ...
    await wf.workflowSubmit({ name: "Ada" });
    // ... see it wait for the confirmation ...
    expect(await env.stateOf(signup, email).get("status")).toBe("waiting for confirmation");
    // ... confirm, as the link in the email would ...
    expect(await wf.confirm()).toBe("confirmed");
    // ... and wait for its result.
    expect(await wf.workflowAttach()).toMatchObject({ email, name: "Ada", confirmedAt: expect.any(String) });
    expect(await wf.status()).toBe("confirmed");
  });
});
