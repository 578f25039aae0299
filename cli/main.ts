/** The restate-dev command line. Declarations here; each command's body lives in commands/. */
import { Command } from "commander";
import { VERSION } from "../runtime/version.js";
import { up } from "./commands/up.js";
import { buildCommand } from "./commands/build.js";
import { invoke, listTargets } from "./commands/invoke.js";
import { init, templatesHelp } from "./commands/init.js";
import { reportError, EXIT_USAGE } from "./errors.js";
import { describeInvocation, invocationAction, listInvocations, restartInvocation, type Action } from "./commands/invocations.js";
import { journal } from "./commands/journal.js";
import { stateClear, stateEdit, stateGet, stateSet } from "./commands/state.js";
import { services } from "./commands/services.js";
import { sql } from "./commands/sql.js";
import { inspect } from "./commands/inspect.js";
import { rulesDelete, rulesEnable, rulesList, rulesSet } from "./commands/rules.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];
const DIR_HELP = "the project whose runtime (or database) to use (default: the nearest folder up from here with .restate-dev/ or package.json)";

const program = new Command();
program
  .name("restate-dev")
  .description("Durable execution on your laptop: a Restate-compatible runtime on SQLite, no Docker.")
  .version(VERSION, "-V, --version", "print restate-dev's version")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

program
  .command("init")
  .description("create a project from a template, ready for npm install and npm run dev")
  .argument("[dir]", "project directory, created if missing; its name is the package name", ".")
  .option("--template <name>", "the template to start from (see below)", "starter")
  .option("--force", "write into a directory that is not empty (files of the same name are replaced)")
  .addHelpText(
    "after",
    () => `
Examples:
  restate-dev init my-app                  a service, a virtual object and a workflow
  restate-dev init my-shop --template shop payments, a cart and a booking saga
  restate-dev init . --force               into the current directory, even if it has files

${templatesHelp()}

Then: cd my-app && npm install && npm run dev`,
  )
  .action((dir: string, opts) => {
    init(dir, opts);
  });

program
  .command("up")
  .description("bundle the project, start the durable runtime and serve Restate's HTTP ingress")
  .argument("[dir]", "project directory", ".")
  .option("--dir <dir>", "project directory (same as the argument)")
  .option("--entry <file>", "entry file binding the services (default: src/index.ts, src/app.ts, …, or package.json \"main\" mapped to its source)")
  .option("--ingress-port <port>", "ingress port", "8080")
  .option("--admin-port <port>", "admin API port", "9070")
  .option("--host <address>", "the address both ports listen on; anything but loopback exposes them to your network", "127.0.0.1")
  .option("--max-body-size <size>", "largest request body the ingress accepts (413 above it), e.g. 512kb", "10mb")
  .option("--no-watch", "do not rebuild and reload when sources change")
  .option("--allow-origin <origin>", "let web pages on this origin call the ingress (besides loopback ones); repeatable; '*' for any", collect)
  .option("--admin-allow-origin <origin>", "let web pages on this origin call the admin API (besides loopback ones); repeatable", collect)
  .option("--allow-host <host>", "accept requests addressed to this host name on both ports (besides localhost and loopback addresses); repeatable", collect)
  .option("--query-timeout <duration>", "how long a POST /query (restate-dev sql) statement may run, e.g. 30s", "10s")
  .addHelpText(
    "after",
    `
Examples:
  restate-dev up                       serve the project in this directory
  restate-dev up templates/shop        serve the bundled shop example
  restate-dev up --ingress-port 18080 --admin-port 19070
  restate-dev up --allow-origin https://app.example.com   a web app not on localhost calls the ingress

State lives in <dir>/.restate-dev/ (SQLite). Stop with Ctrl-C; unfinished
invocations resume at the next 'up', also after a crash or kill -9.

Web pages: both ports refuse requests from pages on other sites (Origin,
Sec-Fetch-Site) and requests addressed to other host names (DNS rebinding).
Pages on http://localhost:<port> may call the ingress and the admin API.`,
  )
  .action(async (dir: string, opts) => {
    await up(dir, opts);
  });

program
  .command("build")
  .description("bundle the project with the real @restatedev/restate-sdk into a Node program for a Restate server")
  .argument("[dir]", "project directory", ".")
  .option("--target <target>", "what to build for; only 'restate' (a Restate server) for now")
  .option("--out <dir>", "output directory, relative to the project", "dist")
  .option("--entry <file>", "entry file binding the services (default: src/index.ts, src/app.ts, …, or package.json \"main\" mapped to its source)")
  .addHelpText(
    "after",
    `
Examples:
  restate-dev build --target restate                 writes dist/index.mjs for the project here
  restate-dev build --target restate templates/shop  the shop example
  restate-dev build --target restate --out build --entry src/main.ts

The output is one self-contained file: your code, its dependencies and the real SDK
(install it with npm install @restatedev/restate-sdk; 'restate-dev/sdk' imports are
mapped to it). Run it and register it with your Restate server:
  PORT=9080 node dist/index.mjs                 (HOST=127.0.0.1 binds only that address)
  npx @restatedev/restate deployments register http://localhost:9080`,
  )
  .action(async (dir: string, opts) => {
    process.exitCode = await buildCommand(dir, opts);
  });

program
  .command("invoke")
  .description("call a handler through the ingress and print its result")
  .argument("[target]", "<service>/<handler> or <object>/<key>/<handler>; without it, lists the handlers")
  .argument("[input]", "JSON input, @file.json, or @- for stdin")
  .option("--key <key>", "object or workflow key (with <object>/<handler>)")
  .option("--send", "send without waiting for the result (202 with the invocation id)")
  .option("--delay <duration>", "with --send: run later, e.g. 5s, 1m, PT1H")
  .option("--idempotency-key <key>", "repeat-safe: the same key returns the first result")
  // Not variadic: `--header k=v '{…}'` would take the input as a second header.
  .option("--header <k=v>", "a request header passed to the handler; repeat it for more", collect)
  .option("--ingress-url <url>", "ingress URL (default: the project's runtime, $RESTATE_INGRESS_URL, or http://127.0.0.1:8080)")
  .option("--admin-url <url>", "admin API URL, to list handlers (default: the project's runtime, $RESTATE_ADMIN_URL, or http://127.0.0.1:9070)")
  .option("--dir <project>", DIR_HELP)
  .option("--json", "print status, invocation id and body as one JSON line")
  .addHelpText(
    "after",
    `
Examples:
  restate-dev invoke cart/u1/addItem '{"productId":"p1","quantity":2}'
  restate-dev invoke cart/addItem --key u1 @item.json
  restate-dev invoke payments/processPayment --send --delay 10s '{"orderId":"o1","userId":"u1","amount":5}'

Exit codes: 0 success, 1 the invocation failed, 2 usage or connection error (also when the
ingress rejects the request before it runs: an unknown service or handler, a missing key).`,
  )
  .action(async (target: string | undefined, input: string | undefined, opts) => {
    process.exitCode = target === undefined ? await listTargets(opts) : await invoke(target, input, opts);
  });

// ---- inspection and operation commands (bodies in commands/invocations, journal, state, services, sql)

const ADMIN_URL_HELP = "admin API URL, used as given (default: the project's runtime, $RESTATE_ADMIN_URL, or http://127.0.0.1:9070)";
const OFFLINE_NOTE = `Without a running runtime of the project it reads the project's .restate-dev/runtime.db, read-only.
The runtime that answers must be the project's (the one 'restate-dev up' started there): another
project's is named, never used silently, and never changed. --admin-url is used as given.`;

const invocations = program
  .command("invocations")
  .description("list, inspect and operate invocations: describe, kill, cancel, pause, resume, purge, restart")
  .addHelpText(
    "after",
    `
Examples:
  restate-dev invocations list --status backing-off,paused
  restate-dev invocations describe inv_1abc…
  restate-dev invocations kill cart/u1 -y           every unfinished invocation of key u1 of cart
  restate-dev invocations restart inv_1abc… --from 2 --set 2='{"paid":true}'`,
  );

invocations
  .command("list")
  .alias("ls")
  .description("list invocations, newest first")
  .option("--service <name>", "only this service, object or workflow")
  .option("--handler <name>", "only this handler")
  .option("--key <key>", "only this object or workflow key")
  .option("--scope <scope>", "only invocations in this scope (flow control; the SCOPE column shows scope and limit key)")
  .option("--status <status>", "only these statuses, repeatable or comma-separated: pending (also: waiting for a concurrency slot), scheduled, ready, running, suspended, backing-off, paused, completed", collect)
  .option("--limit <n>", "at most this many", "50")
  .option("--json", "print the invocations as a JSON array")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP)
  .addHelpText(
    "after",
    `
Examples:
  restate-dev invocations ls
  restate-dev invocations list --service cart --key u1
  restate-dev invocations list --status backing-off --status paused --limit 10
  restate-dev invocations list --scope tenant1 --status pending
  restate-dev invocations list --json | jq -r '.[].id'

${OFFLINE_NOTE}`,
  )
  .action(async (opts) => {
    process.exitCode = await listInvocations(opts);
  });

invocations
  .command("describe")
  .description("status, attempts, last failure with its journal entry, call tree and journal of one invocation")
  .argument("<id>", "invocation id (inv_1…)")
  .option("--json", "print what the admin API says, as JSON")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP)
  .addHelpText(
    "after",
    `
Examples:
  restate-dev invocations describe inv_1abc…
  restate-dev invocations describe inv_1abc… --json | jq .attempts

${OFFLINE_NOTE}`,
  )
  .action(async (id: string, opts) => {
    process.exitCode = await describeInvocation(id, opts);
  });

const ACTION_HELP: Record<Action, { description: string; matches: string; alias?: string }> = {
  kill: { description: "end invocations at once (409 killed); no compensation runs; calls they wait for are killed too", matches: "unfinished" },
  cancel: { description: "cancel invocations: the handler gets a CancelledError at its next await and may compensate", matches: "unfinished" },
  pause: { description: "stop invocations from running or retrying until resumed", matches: "running, suspended or backing-off" },
  resume: { description: "run paused (or backing-off) invocations again now; --deployment moves them to another build", matches: "paused or backing-off" },
  purge: { description: "forget completed invocations: journal, result and metadata", matches: "completed", alias: "rm" },
};

for (const action of Object.keys(ACTION_HELP) as Action[]) {
  const h = ACTION_HELP[action];
  const cmd = invocations
    .command(action)
    .description(h.description)
    .argument("<id|target>", "an invocation id, or a target prefix: svc, svc/handler, obj/key, obj/key/handler")
    .option("-y, --yes", "do not ask for confirmation (needed when stdin is not a terminal)")
    .option("--limit <n>", "at most this many invocations of a target prefix", "500")
    .option("--json", "print the outcome per invocation as JSON")
    .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP);
  if (h.alias) cmd.alias(h.alias);
  if (action === "cancel") cmd.option("--kill", "kill instead of cancelling (same as 'invocations kill')");
  if (action === "resume") {
    cmd.option(
      "--deployment <latest|keep|dp_id>",
      "run it on this build from now on: latest (the newest), keep (the one it is pinned to) or a deployment id; also moves running and suspended invocations (a reload keeps those whose journal the new code does not follow on their own build)",
    );
  }
  cmd
    .addHelpText(
      "after",
      `
A target prefix matches the ${h.matches} invocations of that target. The command
lists what it will ${action} and asks first, unless -y.

Examples:
  restate-dev invocations ${action} inv_1abc…
  restate-dev invocations ${action} payments -y                  every invocation of a service
  restate-dev invocations ${action} payments/processPayment -y   of one handler
  restate-dev invocations ${action} cart/u1 -y                   of one object key (cart/u1/checkout: one handler)${
    action === "resume"
      ? `
  restate-dev invocations resume inv_1abc… --deployment latest   run it on the newest build (with --deployment a
                                                                 prefix also matches running and suspended ones)`
      : ""
  }`,
    )
    .action(async (selector: string, opts) => {
      process.exitCode = await invocationAction(action === "cancel" && opts.kill ? "kill" : action, selector, opts);
    });
}

invocations
  .command("restart")
  .alias("restart-as-new")
  .description("run a completed invocation again as a new one, with the same input, optionally reusing its first journal entries")
  .argument("<id>", "invocation id (inv_1…)")
  .option("--from <n>", "reuse journal entries 1..n (their recorded results; the code before them does not run again)")
  .option("--set <K=json>", "with --from: use this result for entry K (K <= n) instead of the recorded one; K=@file.json reads it from a file; repeatable", collect)
  .option("--kill", "kill the invocation first if it has not completed")
  .option("-y, --yes", "with --kill: do not ask for confirmation")
  .option("--json", "print {new_invocation_id} as JSON")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP)
  .addHelpText(
    "after",
    `
Examples:
  restate-dev invocations restart inv_1abc…                         run everything again
  restate-dev invocations restart inv_1abc… --from 2                keep steps 1 and 2, run the rest
  restate-dev invocations restart inv_1abc… --from 2 --set 2=42     as if step 2 had returned 42
  restate-dev invocations restart inv_1abc… --from 3 --set 1=@charge.json --set 3='"ok"'
  restate-dev invocations restart inv_1abc… --kill -y               kill it if still running, then restart

'restate-dev journal <id>' shows the entry indexes. Prints the new invocation's id.`,
  )
  .action(async (id: string, opts) => {
    process.exitCode = await restartInvocation(id, opts);
  });

program
  .command("journal")
  .description("an invocation's journal entry by entry: index, type, name, timing, payload and result")
  .argument("<id>", "invocation id (inv_1…)")
  .option("--json", "print the journal as JSON (with --watch: one JSON line per change)")
  .option("-w, --watch", "print it again whenever it changes, until the invocation completes (or Ctrl-C)")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP)
  .addHelpText(
    "after",
    `
Examples:
  restate-dev journal inv_1abc…
  restate-dev journal inv_1abc… --watch
  restate-dev journal inv_1abc… --json | jq '.journal[] | select(.type == "Run")'

With --watch it exits 1 if the invocation fails. ${OFFLINE_NOTE}`,
  )
  .action(async (id: string, opts) => {
    process.exitCode = await journal(id, opts);
  });

const state = program
  .command("state")
  .description("read and change the state of a virtual object or workflow key")
  .addHelpText(
    "after",
    `
Examples:
  restate-dev state get cart u1
  restate-dev state set counter c1 count 42
  restate-dev state edit cart u1
  restate-dev state clear cart u1 items -y`,
  );

state
  .command("get")
  .description("print the state of one key")
  .argument("<object>", "virtual object or workflow name")
  .argument("<key>", "the key")
  .option("--json", "print the state as one JSON object (name → value)")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP)
  .addHelpText(
    "after",
    `
Examples:
  restate-dev state get cart u1
  restate-dev state get cart u1 --json | jq .items

${OFFLINE_NOTE}`,
  )
  .action(async (obj: string, key: string, opts) => {
    process.exitCode = await stateGet(obj, key, opts);
  });

state
  .command("set")
  .description("set one state value")
  .argument("<object>", "virtual object or workflow name")
  .argument("<key>", "the key")
  .argument("<name>", "the state name")
  .argument("<json>", "the value as JSON, @file.json, or @- for stdin")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP)
  .addHelpText(
    "after",
    `
Examples:
  restate-dev state set counter c1 count 42
  restate-dev state set cart u1 items '[{"productId":"p1","quantity":2}]'
  restate-dev state set cart u1 items @items.json`,
  )
  .action(async (obj: string, key: string, name: string, value: string, opts) => {
    process.exitCode = await stateSet(obj, key, name, value, opts);
  });

state
  .command("edit")
  .description("edit the whole state of one key as JSON in $EDITOR; written back (replacing it) when changed")
  .argument("<object>", "virtual object or workflow name")
  .argument("<key>", "the key")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP)
  .addHelpText(
    "after",
    `
Examples:
  restate-dev state edit cart u1
  EDITOR="code --wait" restate-dev state edit cart u1

Opens $EDITOR (else $VISUAL, else vi). Invalid JSON writes nothing; the edit is kept in a temp file.`,
  )
  .action(async (obj: string, key: string, opts) => {
    process.exitCode = await stateEdit(obj, key, opts);
  });

state
  .command("clear")
  .description("remove one state value, or all state of the key")
  .argument("<object>", "virtual object or workflow name")
  .argument("<key>", "the key")
  .argument("[name]", "the state name; without it, all state of the key")
  .option("-y, --yes", "do not ask for confirmation (needed when stdin is not a terminal)")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP)
  .addHelpText(
    "after",
    `
Examples:
  restate-dev state clear cart u1 items
  restate-dev state clear cart u1 -y          everything of cart/u1`,
  )
  .action(async (obj: string, key: string, name: string | undefined, opts) => {
    process.exitCode = await stateClear(obj, key, name, opts);
  });

program
  .command("services")
  .description("the registered services: handlers, types and options")
  .option("--json", "print the services as the admin API shows them")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP)
  .addHelpText(
    "after",
    `
Examples:
  restate-dev services
  restate-dev services --json | jq -r '.[].name'`,
  )
  .action(async (opts) => {
    process.exitCode = await services(opts);
  });

program
  .command("sql")
  .description("run SQL over Restate's introspection tables (sys_invocation, sys_journal, state, …)")
  .argument("<query>", "the query; @file.sql or - (stdin) to read it")
  .option("--json", "print the rows as a JSON array")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP)
  .addHelpText(
    "after",
    `
Examples:
  restate-dev sql "SELECT id, target, status FROM sys_invocation WHERE status <> 'completed'"
  restate-dev sql "SELECT index, entry_type, name FROM sys_journal WHERE id = 'inv_1abc…'"
  restate-dev sql "SELECT service_name, service_key, key, value_utf8 FROM state" --json

Tables: sys_invocation, sys_journal, sys_journal_events, state, sys_inbox, sys_keyed_service_status,
sys_idempotency, sys_promise, sys_service, sys_invocation_status, sys_deployment, sys_rules. ${OFFLINE_NOTE}
Only statements that read run (SELECT, WITH, VALUES, EXPLAIN, schema PRAGMAs). Each stops
after the time limit ('up --query-timeout', 10 s by default) or 32 MB of result.`,
  )
  .action(async (query: string, opts) => {
    process.exitCode = await sql(query, opts);
  });

const rules = program
  .command("rules")
  .alias("rule")
  .description("concurrency limits of flow control: how many invocations of a scope (or limit key) run at once")
  .addHelpText(
    "after",
    `
A pattern is scope[/limit-key-level-1[/level-2]]; '*' matches any value at its level and gives each
value its own budget. A scope rule caps the whole scope; a deeper one only calls with that limit key.
Invocations over the cap wait as 'pending'. Rules apply at once to invocations not yet started.

Examples:
  restate-dev rules set tenant1 --concurrency 2 --description "one tenant, two at a time"
  restate-dev rules set 'tenant1/*' --concurrency 1      one at a time per limit key of tenant1
  restate-dev rules list
  restate-dev rules disable tenant1
  restate-dev rules delete tenant1 -y`,
  );

rules
  .command("list")
  .alias("ls")
  .description("the rules, by pattern")
  .option("--json", "print the rules as a JSON array (rows of sys_rules)")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .action(async (opts) => {
    process.exitCode = await rulesList(opts);
  });

rules
  .command("set")
  .description("create or update the rule for a pattern")
  .argument("<pattern>", "scope[/level1[/level2]], each level a value or *")
  .option("--concurrency <n>", "at most this many running at once")
  .option("--unlimited", "no cap (the rule stays, e.g. to keep its description)")
  .option("--description <text>", "what the rule is for (kept when updating without it)")
  .option("--disabled", "store it disabled")
  .option("--json", "print the stored rule as JSON")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .action(async (pattern: string, opts) => {
    process.exitCode = await rulesSet(pattern, opts);
  });

for (const [name, enable] of [["enable", true], ["disable", false]] as const) {
  rules
    .command(name)
    .description(`${name} the rule for a pattern`)
    .argument("<pattern>", "the rule's pattern")
    .option("--json", "print the stored rule as JSON")
    .option("--admin-url <url>", ADMIN_URL_HELP)
    .action(async (pattern: string, opts) => {
      process.exitCode = await rulesEnable(pattern, enable, opts);
    });
}

rules
  .command("delete")
  .alias("rm")
  .description("delete the rule for a pattern")
  .argument("<pattern>", "the rule's pattern")
  .option("-y, --yes", "do not ask for confirmation (needed when stdin is not a terminal)")
  .option("--json", "print the deleted patterns as JSON")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .action(async (pattern: string, opts) => {
    process.exitCode = await rulesDelete(pattern, opts);
  });

program
  .command("inspect")
  .description("a live, keyboard-driven terminal UI: invocations, journals, failures, call trees, state; cancel, kill, restart, invoke")
  .argument("[id]", "open this invocation's journal first (inv_1…)")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--dir <project>", DIR_HELP)
  .option("--ingress-url <url>", "ingress URL, to invoke handlers (default: the project's runtime, $RESTATE_INGRESS_URL, or http://127.0.0.1:8080)")
  .option("--interval <ms>", "how often to refresh, in milliseconds", "500")
  .addHelpText(
    "after",
    `
Examples:
  restate-dev inspect                      the invocations of the project's runtime, live
  restate-dev inspect inv_1abc…            straight to one invocation's journal
  restate-dev inspect --admin-url http://127.0.0.1:19070

Keys: arrows or j/k move, Enter opens, Esc goes back, / filters, ? shows every key, q quits.
Without a running runtime it reads the project's .restate-dev/runtime.db, read-only (no actions).
Also in 'restate-dev up': press i in its dashboard.`,
  )
  .action(async (id: string | undefined, opts) => {
    process.exitCode = await inspect(id, opts);
  });

// ---- mcp (body in commands/mcp.ts; the tools in mcp/)

program
  .command("mcp")
  .description("serve restate-dev's tools to AI assistants over MCP (stdio): inspect, invoke and repair invocations")
  .option("--dir <dir>", "the project directory (default: the current directory)")
  .option("--admin-url <url>", ADMIN_URL_HELP)
  .option("--ingress-url <url>", "ingress URL, for invoke (default: the project's runtime, $RESTATE_INGRESS_URL, or http://127.0.0.1:8080)")
  .option("--read-only", "offer only the tools that read (no set_state, invoke, cancel, kill, restart)")
  .addHelpText(
    "after",
    `
Examples:
  restate-dev mcp                          for the project in this directory
  restate-dev mcp --dir ~/code/my-app --read-only

An assistant starts it itself; for Claude Code, Cursor and others put this in the
project's .mcp.json (or the assistant's MCP settings):
  {"mcpServers":{"restate-dev":{"command":"npx","args":["restate-dev","mcp"]}}}
A running 'restate-dev up' serves the same tools over HTTP at <admin URL>/mcp.
Without a running runtime the read tools answer from the project's
.restate-dev/runtime.db (read-only); the others say to start 'restate-dev up'.`,
  )
  .action(async (opts) => {
    // The MCP SDK and its schemas load only for this command (~40 MiB every other command does not need).
    const { mcp } = await import("./commands/mcp.js");
    await mcp(opts);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const code = (e as { code?: string }).code;
  if (typeof code === "string" && code.startsWith("commander.")) {
    // commander printed the message (or the help) already.
    process.exitCode = code === "commander.helpDisplayed" || code === "commander.version" ? 0 : EXIT_USAGE;
  } else {
    process.exitCode = reportError(e);
  }
}
