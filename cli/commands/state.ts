/**
 * `restate-dev state get|set|edit|clear`: the state of one virtual object or
 * workflow key. `edit` opens the whole state as JSON in $EDITOR and writes it
 * back with Restate's `POST /services/{svc}/state` (replace) when it changed.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { check, adminTarget, seg, withAdmin, type AdminClient } from "../admin_client.js";
import { canAsk, confirm, note, printJson, stdoutStyle, table } from "../format.js";
import { UserError } from "../../runtime/errors.js";

interface Common {
  adminUrl?: string;
  /** The project directory (default: found from the current one). */
  dir?: string;
}

interface StateView {
  service: string;
  key: string;
  state: Record<string, unknown>;
  encodings?: Record<string, "utf8" | "base64">;
}

const connect = (opts: Common, access: "read" | "live") => ({
  access,
  why: "only the running runtime can change state ('state get' works without it)",
  ...adminTarget(opts),
});
const SERVICE_HINT = "state belongs to virtual objects and workflows: 'restate-dev services' lists them";

async function readState(admin: AdminClient, obj: string, key: string): Promise<StateView> {
  return check(await admin.send("GET", `/services/${seg(obj)}/state/${seg(key)}`), SERVICE_HINT).json as StateView;
}

export async function stateGet(obj: string, key: string, opts: Common & { json?: boolean }): Promise<number> {
  return withAdmin(connect(opts, "read"), async (admin) => {
    const view = await readState(admin, obj, key);
    if (opts.json) {
      printJson(view.state);
      return 0;
    }
    const names = Object.keys(view.state);
    if (names.length === 0) {
      note(`${obj}/${key} has no state`);
      return 0;
    }
    const style = stdoutStyle();
    const rows = names.map((n) => {
      const enc = view.encodings?.[n];
      return [n, (enc ? String(view.state[n]) : JSON.stringify(view.state[n])) + (enc ? style.dim(` (${enc})`) : "")];
    });
    process.stdout.write(table(["NAME", "VALUE"], rows, style));
    return 0;
  });
}

export async function stateSet(obj: string, key: string, name: string, value: string, opts: Common): Promise<number> {
  const parsed = parseValue(value);
  return withAdmin(connect(opts, "live"), async (admin) => {
    check(await admin.send("PUT", `/services/${seg(obj)}/state/${seg(key)}/${seg(name)}`, parsed), SERVICE_HINT);
    note(`${obj}/${key}: ${name} = ${JSON.stringify(parsed)}`);
    return 0;
  });
}

export async function stateClear(obj: string, key: string, name: string | undefined, opts: Common & { yes?: boolean }): Promise<number> {
  return withAdmin(connect(opts, "live"), async (admin) => {
    const view = await readState(admin, obj, key);
    const names = name === undefined ? Object.keys(view.state) : Object.keys(view.state).filter((n) => n === name);
    if (names.length === 0) {
      note(name === undefined ? `${obj}/${key} has no state: nothing to clear` : `${obj}/${key} has no '${name}': nothing to clear`);
      return 0;
    }
    const what = name === undefined ? `clear all state of ${obj}/${key} (${names.join(", ")})` : `clear '${name}' of ${obj}/${key}`;
    if (!opts.yes) {
      if (!canAsk()) {
        throw new UserError("NOT_CONFIRMED", `refusing to ${what} without confirmation (not a terminal, so there is no one to ask)`, `pass --yes (-y) to confirm`);
      }
      if (!(await confirm(`${what[0]!.toUpperCase()}${what.slice(1)}?`))) {
        process.stderr.write("nothing changed\n");
        return 0;
      }
    }
    const path = `/services/${seg(obj)}/state/${seg(key)}${name === undefined ? "" : `/${seg(name)}`}`;
    check(await admin.send("DELETE", path), SERVICE_HINT);
    note(`${obj}/${key}: cleared ${names.join(", ")}`);
    return 0;
  });
}

export async function stateEdit(obj: string, key: string, opts: Common): Promise<number> {
  return withAdmin(connect(opts, "live"), async (admin) => {
    const before = await readState(admin, obj, key);
    const dir = mkdtempSync(join(tmpdir(), "restate-dev-state-"));
    const file = join(dir, `${`${obj}-${key}`.replace(/[^\w.-]+/g, "_")}.json`);
    const original = JSON.stringify(before.state, null, 2) + "\n";
    writeFileSync(file, original);
    let keep = false;
    try {
      const editor = process.env.EDITOR || process.env.VISUAL || "vi";
      // Through the shell, so EDITOR may carry arguments ("code --wait").
      const run = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "sh", file], { stdio: "inherit" });
      if (run.error || run.status !== 0) {
        throw new UserError("EDITOR_FAILED", `the editor '${editor}' ${run.error ? `could not start: ${run.error.message}` : `exited with ${run.status ?? run.signal}`}; nothing was written`, "set EDITOR to your editor, e.g. EDITOR=nano, and run this again");
      }
      const text = readFileSync(file, "utf8");
      if (text === original) {
        note("no changes: nothing written");
        return 0;
      }
      let edited: unknown;
      try {
        edited = JSON.parse(text);
      } catch (e) {
        keep = true;
        throw new UserError("BAD_JSON", `the edited state is not valid JSON (${(e as Error).message}); nothing was written`, `your edit is kept in ${file}; run 'restate-dev state edit ${obj} ${key}' again`);
      }
      if (typeof edited !== "object" || edited === null || Array.isArray(edited)) {
        keep = true;
        throw new UserError("BAD_JSON", `the edited state must be a JSON object of name → value; nothing was written`, `your edit is kept in ${file}; run 'restate-dev state edit ${obj} ${key}' again`);
      }
      const next = edited as Record<string, unknown>;
      if (isDeepStrictEqual(next, before.state)) {
        note("no changes: nothing written");
        return 0;
      }
      // The state may have changed while the editor was open: do not overwrite what we did not show.
      const now = await readState(admin, obj, key);
      if (!isDeepStrictEqual(now.state, before.state)) {
        keep = true;
        throw new UserError("CHANGED", `the state of ${obj}/${key} changed while you were editing; nothing was written`, `your edit is kept in ${file}; run 'restate-dev state edit ${obj} ${key}' again`);
      }
      const newState: Record<string, number[]> = {};
      for (const [name, value] of Object.entries(next)) newState[name] = [...bytesOf(name, value, before)];
      check(await admin.send("POST", `/services/${seg(obj)}/state`, { object_key: key, new_state: newState }), SERVICE_HINT);
      note(`${obj}/${key}: ${summary(before.state, next)}`);
      return 0;
    } finally {
      if (!keep) rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** The bytes to store: unchanged values that were not JSON keep their bytes; the rest is stored as JSON. */
function bytesOf(name: string, value: unknown, before: StateView): Uint8Array {
  const enc = before.encodings?.[name];
  if (enc && isDeepStrictEqual(value, before.state[name])) return enc === "base64" ? Buffer.from(String(value), "base64") : Buffer.from(String(value), "utf8");
  return Buffer.from(JSON.stringify(value), "utf8");
}

function summary(before: Record<string, unknown>, after: Record<string, unknown>): string {
  const set = Object.keys(after).filter((n) => !(n in before) || !isDeepStrictEqual(after[n], before[n]));
  const removed = Object.keys(before).filter((n) => !(n in after));
  return [set.length ? `set ${set.join(", ")}` : "", removed.length ? `removed ${removed.join(", ")}` : ""].filter(Boolean).join("; ");
}

/** A value argument: JSON inline, @file.json, or @- for stdin. */
function parseValue(value: string): unknown {
  let text = value;
  if (value.startsWith("@")) {
    try {
      text = readFileSync(value === "@-" ? 0 : value.slice(1), "utf8");
    } catch (e) {
      throw new UserError("BAD_INPUT", `cannot read ${value.slice(1)}: ${(e as Error).message}`, "pass JSON inline, @file.json, or @- for stdin");
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError("BAD_INPUT", `the value is not valid JSON: ${(e as Error).message}`, `quote it for the shell, and strings for JSON: '"text"', 42, '{"a":1}'`);
  }
}
