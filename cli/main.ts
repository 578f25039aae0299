/** The restate-dev command line. Declarations here; each command's body lives in commands/. */
import { Command } from "commander";
import { up } from "./commands/up.js";
import { invoke } from "./commands/invoke.js";
import { reportError, EXIT_USAGE } from "./errors.js";

const program = new Command();
program
  .name("restate-dev")
  .description("Durable execution on your laptop: a Restate-compatible runtime on SQLite, no Docker.")
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

program
  .command("up")
  .description("bundle the project, start the durable runtime and serve Restate's HTTP ingress")
  .argument("[dir]", "project directory", ".")
  .option("--dir <dir>", "project directory (same as the argument)")
  .option("--entry <file>", "entry file binding the services (default: src/index.ts)")
  .option("--ingress-port <port>", "ingress port", "8080")
  .option("--admin-port <port>", "admin API port", "9070")
  .option("--max-body-size <size>", "largest request body the ingress accepts (413 above it), e.g. 512kb", "10mb")
  .addHelpText(
    "after",
    `
Examples:
  restate-dev up                       serve the project in this directory
  restate-dev up templates/shop        serve the bundled shop example
  restate-dev up --ingress-port 18080 --admin-port 19070

State lives in <dir>/.restate-dev/ (SQLite). Stop with Ctrl-C; unfinished
invocations resume at the next 'up', also after a crash or kill -9.`,
  )
  .action(async (dir: string, opts) => {
    await up(dir, opts);
  });

program
  .command("invoke")
  .description("call a handler through the ingress and print its result")
  .argument("<target>", "<service>/<handler> or <object>/<key>/<handler>")
  .argument("[input]", "JSON input, @file.json, or @- for stdin")
  .option("--key <key>", "object or workflow key (with <object>/<handler>)")
  .option("--send", "send without waiting for the result (202 with the invocation id)")
  .option("--delay <duration>", "with --send: run later, e.g. 5s, 1m, PT1H")
  .option("--idempotency-key <key>", "repeat-safe: the same key returns the first result")
  .option("--header <k=v...>", "request header(s) passed to the handler")
  .option("--ingress-url <url>", "ingress URL (default: the project's runtime, $RESTATE_INGRESS_URL, or http://127.0.0.1:8080)")
  .option("--json", "print status, invocation id and body as one JSON line")
  .addHelpText(
    "after",
    `
Examples:
  restate-dev invoke cart/u1/addItem '{"productId":"p1","quantity":2}'
  restate-dev invoke cart/addItem --key u1 @item.json
  restate-dev invoke payments/processPayment --send --delay 10s '{"orderId":"o1","userId":"u1","amount":5}'

Exit codes: 0 success, 1 the invocation failed, 2 usage or connection error.`,
  )
  .action(async (target: string, input: string | undefined, opts) => {
    process.exitCode = await invoke(target, input, opts);
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
