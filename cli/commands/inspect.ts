/**
 * `restate-dev inspect [id]`: the interactive journal inspector (ink), over the
 * admin API of the project's running runtime, or read-only over its database
 * file when none runs. The UI lives in cli/ui/inspector/.
 */
import { adminTarget, connectAdmin } from "../admin_client.js";
import { findRuntime } from "../connect.js";
import { UserError } from "../../runtime/errors.js";
import { isInvocationId } from "../../runtime/engine/ids.js";

export interface InspectOptions {
  adminUrl?: string;
  ingressUrl?: string;
  /** The project directory (default: found from the current one). */
  dir?: string;
  /** Poll interval in ms (default 500). */
  interval?: string;
}

export async function inspect(id: string | undefined, opts: InspectOptions): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UserError(
      "NOT_A_TERMINAL",
      "inspect is an interactive terminal UI, and stdin or stdout is not a terminal",
      "in scripts use 'restate-dev invocations list --json' and 'restate-dev journal <id> --json'",
    );
  }
  if (id !== undefined && !isInvocationId(id)) {
    throw new UserError("BAD_ID", `'${id}' is not an invocation id`, "ids look like inv_1…; run 'restate-dev inspect' without one to pick from the list");
  }
  const pollMs = opts.interval === undefined ? undefined : Number(opts.interval);
  if (pollMs !== undefined && (!Number.isInteger(pollMs) || pollMs < 100 || pollMs > 60_000)) {
    throw new UserError("BAD_INTERVAL", `--interval must be milliseconds from 100 to 60000, got '${opts.interval}'`, "for example --interval 1000");
  }
  const client = await connectAdmin({ access: "read", ...adminTarget(opts) });
  // The ingress of the runtime the admin client reached (its health says where), unless given.
  const ingressUrl =
    opts.ingressUrl ?? client.ingressUrl ?? findRuntime({ ...(opts.dir !== undefined ? { dir: opts.dir } : {}) }).ingressUrl;
  try {
    // ink renders nothing until exit when it believes it runs in CI; this is an interactive terminal.
    for (const v of ["CI", "CONTINUOUS_INTEGRATION"]) delete process.env[v];
    const { runInspector, clientBackend } = await import("../ui/inspector/index.js");
    await runInspector(clientBackend(client, ingressUrl), {
      ...(id !== undefined ? { initial: { kind: "detail", id } } : {}),
      ...(pollMs !== undefined ? { pollMs } : {}),
    });
  } finally {
    client.close();
  }
  return 0;
}
