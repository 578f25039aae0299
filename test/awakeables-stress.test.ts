/**
 * Lost wake-ups: thousands of awakeables resolved the instant their id is
 * published from inside a ctx.run, racing the journaling of the Awakeable and
 * of the Run itself. Every handler must wake with its own value.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cleanupProjects, makeProject } from "./helpers/project.js";
import { call, startUp } from "./helpers/runtime.js";

afterAll(cleanupProjects);

const N = 2000;
const CONCURRENCY = 64;

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
const waiter = restate.service({
  name: "waiter",
  handlers: {
    async wait(ctx: restate.Context, n: number) {
      const a = ctx.awakeable<number>();
      await ctx.run("publish", async () => {
        await fetch(process.env.PUBLISHER_URL!, { method: "POST", body: JSON.stringify({ id: a.id, n }) });
      });
      return (await a.promise) * 2;
    },
  },
});
restate.serve({ services: [waiter] });
`,
};

describe("awakeables resolved the instant they are published", () => {
  it(`${N} handlers all wake with their own value`, async () => {
    let ingressUrl = "";
    const resolutions: Array<Promise<number | string>> = [];
    // The handler posts its id here; the awakeable is resolved before the handler's ctx.run even returns.
    const publisher = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        const { id, n } = JSON.parse(body) as { id: string; n: number };
        resolutions.push(
          fetch(`${ingressUrl}/restate/awakeables/${id}/resolve`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(n) }).then(
            (r) => r.status,
            (e) => String(e),
          ),
        );
        res.end("ok");
      });
    });
    await new Promise<void>((r) => publisher.listen(0, "127.0.0.1", () => r()));
    const up = await startUp(makeProject(PROJECT), { env: { PUBLISHER_URL: `http://127.0.0.1:${(publisher.address() as AddressInfo).port}` } });
    ingressUrl = up.ingressUrl;
    try {
      const results: unknown[] = new Array(N);
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < N) {
            const i = next++;
            const r = await call(up.ingressUrl, "/waiter/wait", i);
            results[i] = r.status === 200 ? r.json : `${r.status} ${r.text}`;
          }
        }),
      );
      const wrong = results.map((v, i) => [i, v] as const).filter(([i, v]) => v !== i * 2);
      expect(wrong.slice(0, 5), `${wrong.length} of ${N} handlers did not wake with their value`).toEqual([]);
      expect((await Promise.all(resolutions)).filter((s) => s !== 202)).toEqual([]);
    } finally {
      await up.stop();
      publisher.close();
    }
  }, 120_000);
});
