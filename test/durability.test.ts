/**
 * Durability at the edges: waits that must survive a crash, resolutions that
 * arrive early, the one-runtime lock, a clean stop that leaves a complete
 * runtime.db, and storage faults reported as what they are.
 */
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { awakeableId } from "../sdk/awakeable_id.js";
import { cleanupProjects, makeProject, writeFiles } from "./helpers/project.js";
import { CLI, call, eventually, startUp } from "./helpers/runtime.js";
import { runCommand } from "./helpers/commands.js";

afterAll(cleanupProjects);

const PROJECT = {
  "src/index.ts": `
import * as restate from "@restatedev/restate-sdk";
import { appendFileSync } from "node:fs";

const callee = restate.service({
  name: "callee",
  handlers: {
    async work(ctx: restate.Context, tag: string) {
      const a = ctx.awakeable<string>();
      await ctx.run("publish", () => appendFileSync(process.env.AWAKEABLES!, JSON.stringify({ tag, id: a.id }) + "\\n"));
      return "done " + (await a.promise);
    },
  },
});

const caller = restate.service({
  name: "caller",
  handlers: {
    // Attaches to the callee already running under this idempotency key.
    async viaKey(ctx: restate.Context, key: string) {
      return await ctx.serviceClient(callee).work("second", restate.rpc.opts({ idempotencyKey: key }));
    },
  },
});

const late = restate.service({
  name: "late",
  handlers: {
    // Entry 1 is the sleep, entry 2 the awakeable: it is journaled only after the sleep.
    async awakeable(ctx: restate.Context) {
      await ctx.sleep(400);
      return await ctx.awakeable<number>().promise;
    },
  },
});

const counter = restate.object({
  name: "counter",
  handlers: {
    async add(ctx: restate.ObjectContext, n: number) {
      const v = ((await ctx.get<number>("v")) ?? 0) + n;
      ctx.set("v", v);
      return v;
    },
  },
});

restate.serve({ services: [callee, caller, late, counter] });
`,
};

function awakeableOf(file: string, tag: string): string | undefined {
  if (!existsSync(file)) return undefined;
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { tag: string; id: string })
    .find((r) => r.tag === tag)?.id;
}

describe("waits survive a crash", () => {
  it("an idempotent call attached to a running invocation completes after kill -9 and a restart", async () => {
    const dir = makeProject(PROJECT);
    const env = { AWAKEABLES: join(dir, "awakeables.jsonl") };
    let up = await startUp(dir, { env });
    const first = await call(up.ingressUrl, "/callee/work/send", JSON.stringify("first"), { headers: { "idempotency-key": "K" } });
    expect(first.status).toBe(202);
    const awk = await eventually(() => awakeableOf(env.AWAKEABLES, "first"), 10_000, "the callee's awakeable");
    const attached = await call(up.ingressUrl, "/caller/viaKey/send", JSON.stringify("K"));
    const callerId = attached.json.invocationId;
    // The caller's Call entry exists and waits on the callee.
    await eventually(async () => {
      const d = (await call(up.adminUrl, `/invocations/${callerId}`, undefined, { method: "GET" })).json;
      return d.journal?.some((e: any) => e.type === "Call" && e.target?.invocationId === first.json.invocationId) ? true : undefined;
    }, 10_000, "the caller's Call entry");
    await up.kill();
    up = await startUp(dir, { env });
    expect((await call(up.ingressUrl, `/restate/awakeables/${awk}/resolve`, JSON.stringify("go"))).status).toBe(202);
    const r = await call(up.ingressUrl, `/restate/invocation/${callerId}/attach`, undefined, { method: "GET" });
    expect(r.json).toBe("done go");
    await up.stop();
  });

  it("an awakeable resolved before its handler journaled it is kept, also across kill -9", async () => {
    const dir = makeProject(PROJECT);
    let up = await startUp(dir);
    const sent = await call(up.ingressUrl, "/late/awakeable/send");
    const id = sent.json.invocationId;
    // The id the handler will make at entry 2, resolved while it still sleeps at entry 1.
    const r = await call(up.ingressUrl, `/restate/awakeables/${awakeableId(id, 2)}/resolve`, 42);
    expect(r.status).toBe(202);
    await up.kill();
    up = await startUp(dir);
    const out = await call(up.ingressUrl, `/restate/invocation/${id}/attach`, undefined, { method: "GET" });
    expect(out.json).toBe(42);
    await up.stop();
  });
});

describe("one runtime per project", () => {
  it("two `up`s started at the same instant: exactly one runs, the other says so", async () => {
    const dir = makeProject(PROJECT);
    for (let round = 0; round < 2; round++) {
      const args = [CLI, "up", dir, "--ingress-port", "0", "--admin-port", "0", "--no-watch"];
      const a = runCommand(process.execPath, args, { timeoutMs: 5_000, env: { NO_DASHBOARD: "1" } });
      const b = runCommand(process.execPath, args, { timeoutMs: 5_000, env: { NO_DASHBOARD: "1" } });
      const results = await Promise.all([a, b]);
      const refused = results.filter((r) => r.code === 2 && /already running/.test(r.stderr));
      const ran = results.filter((r) => r.timedOut && /ready:/.test(r.stdout));
      expect({ refused: refused.length, ran: ran.length }, results.map((r) => r.stdout + r.stderr).join("\n---\n")).toEqual({ refused: 1, ran: 1 });
      expect(refused[0]!.stderr).toMatch(/hint: stop it first/);
    }
  });
});

describe("a clean stop", () => {
  it("checkpoints the WAL: runtime.db alone holds everything", async () => {
    const dir = makeProject(PROJECT);
    const up = await startUp(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => call(up.ingressUrl, `/counter/c${i % 10}/add`, 1)));
    expect(await up.stop()).toBe(0);
    const db = join(dir, ".restate-dev", "runtime.db");
    const wal = `${db}-wal`;
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    // A copy of the .db file alone has every invocation.
    const copy = join(dir, "copy.db");
    writeFileSync(copy, readFileSync(db));
    const c = new Database(copy, { readonly: true });
    const n = (c.prepare("SELECT COUNT(*) AS n FROM invocations WHERE status = 'completed'").get() as { n: number }).n;
    c.close();
    expect(n).toBe(200);
  });
});

/** Runs `up` expecting it to fail at start; returns what a user sees. */
async function upFails(dir: string) {
  const r = await runCommand(process.execPath, [CLI, "up", dir, "--ingress-port", "0", "--admin-port", "0", "--no-watch"], {
    timeoutMs: 20_000,
    env: { NO_DASHBOARD: "1" },
  });
  expect(r.timedOut, r.stdout + r.stderr).toBe(false);
  return r;
}

function expectUserError(r: { code: number | null; stderr: string }, message: RegExp) {
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/hint: /);
  expect(r.stderr).not.toMatch(/internal error|this is a bug|\n\s+at /);
  expect(r.code).toBe(2);
}

describe("storage faults are user errors", () => {
  it("a damaged database names the file and what to do", async () => {
    const dir = makeProject(PROJECT);
    mkdirSync(join(dir, ".restate-dev"), { recursive: true });
    writeFileSync(join(dir, ".restate-dev", "runtime.db"), "this is not a database, it is a text file ".repeat(200));
    const r = await upFails(dir);
    expectUserError(r, /runtime\.db is damaged/);
    expect(r.stderr).toMatch(/mv \.restate-dev\/runtime\.db/);
  });

  it("a database from a newer restate-dev says to upgrade", async () => {
    const dir = makeProject(PROJECT);
    mkdirSync(join(dir, ".restate-dev"), { recursive: true });
    const db = new Database(join(dir, ".restate-dev", "runtime.db"));
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    db.prepare("INSERT INTO schema_migrations VALUES (999, 'from the future', 0)").run();
    db.close();
    expectUserError(await upFails(dir), /schema version 999, newer than this restate-dev knows/);
  });

  // Real file systems: a tmpfs that is full, a read-only bind mount (needs root, as CI has).
  const mounts: string[] = [];
  const canMount = (() => {
    if (process.getuid?.() !== 0) return false;
    const probe = mkdtempSync(join(tmpdir(), "restate-dev-mount-"));
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "ignore" });
      execFileSync("umount", [probe], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
  })();
  afterAll(() => {
    for (const m of mounts.reverse()) {
      try {
        execFileSync("umount", ["-l", m], { stdio: "ignore" });
      } catch {
        // already gone
      }
      rmSync(m, { recursive: true, force: true });
    }
  });
  /** A project on a tmpfs of `size`, filled up but for `leave` bytes. */
  const projectOnTmpfs = (size: string): string => {
    const dir = mkdtempSync(join(tmpdir(), "restate-dev-tmpfs-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
    mounts.push(dir);
    writeFiles(dir, PROJECT);
    return dir;
  };
  const fill = (dir: string) => {
    try {
      execFileSync("dd", ["if=/dev/zero", `of=${join(dir, "filler")}`, "bs=4k"], { stdio: "ignore" });
    } catch {
      // dd stops with ENOSPC: that is the point
    }
  };

  it.skipIf(!canMount)("a full disk at start", async () => {
    const dir = projectOnTmpfs("2m");
    fill(dir);
    expectUserError(await upFails(dir), /disk holding .* is full/);
  });

  it.skipIf(!canMount)("a read-only .restate-dev", async () => {
    const dir = projectOnTmpfs("8m");
    const data = join(dir, ".restate-dev");
    mkdirSync(data);
    execFileSync("mount", ["--bind", data, data]);
    mounts.push(data);
    execFileSync("mount", ["-o", "remount,bind,ro", data]);
    expectUserError(await upFails(dir), /cannot write to .*read-only/);
  });

  it.skipIf(!canMount)("a disk that fills up while running: in-flight requests get a JSON 503, nothing acknowledged is lost", async () => {
    const dir = projectOnTmpfs("24m");
    const up = await startUp(dir);
    const acknowledged: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await call(up.ingressUrl, `/counter/k/add`, 1);
      if (r.status === 200) acknowledged.push(r.json);
    }
    fill(dir);
    const big = JSON.stringify("x".repeat(256 * 1024));
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => call(up.ingressUrl, "/callee/work/send", big).catch(() => undefined)),
    );
    const refused = answers.filter((a) => a?.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.json).toMatchObject({ code: 503 });
    expect(refused[0]!.json.message).toMatch(/cannot make writes durable/);
    await eventually(() => (up.proc.exitCode !== null ? true : undefined), 10_000, "the runtime to stop");
    expect(up.proc.exitCode).toBe(2);
    expect(up.output()).toMatch(/disk holding .* is full/);
    rmSync(join(dir, "filler"));
    const again = await startUp(dir);
    expect((await call(again.ingressUrl, `/counter/k/add`, 0)).json).toBe(acknowledged.length);
    // Every send answered 202 is there.
    for (const a of answers.filter((x) => x?.status === 202)) {
      const d = await call(again.adminUrl, `/invocations/${a!.json.invocationId}`, undefined, { method: "GET" });
      expect(d.status).toBe(200);
    }
    await again.stop();
  });
});
