/**
 * Runs the inspector full screen on the terminal: on the alternate screen, so
 * quitting leaves the terminal as it was; redrawn from scratch after a resize.
 */
import { render } from "ink";
import { Inspector } from "./Inspector.js";
import type { InspectorBackend } from "./backend.js";
import type { Screen } from "./state.js";

const ALT_SCREEN_ON = "\x1b[?1049h";
const ALT_SCREEN_OFF = "\x1b[?1049l";
const CLEAR = "\x1b[2J\x1b[3J\x1b[H";
const SHOW_CURSOR = "\x1b[?25h";

export interface RunOptions {
  initial?: Screen;
  pollMs?: number;
}

export async function runInspector(backend: InspectorBackend, opts: RunOptions = {}): Promise<void> {
  const stdout = process.stdout;
  stdout.write(ALT_SCREEN_ON + CLEAR);
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.write(SHOW_CURSOR + ALT_SCREEN_OFF);
  };
  // Also when the process ends some other way (a signal, an uncaught error).
  process.once("exit", restore);
  const app = render(<Inspector backend={backend} {...(opts.initial ? { initial: opts.initial } : {})} {...(opts.pollMs ? { pollMs: opts.pollMs } : {})} />, {
    exitOnCtrlC: true,
    patchConsole: true,
  });
  // kill (SIGTERM) and a closed terminal (SIGHUP) quit like q does.
  const quit = () => app.unmount();
  process.once("SIGTERM", quit);
  process.once("SIGHUP", quit);
  try {
    await app.waitUntilExit();
  } finally {
    restore();
    process.off("exit", restore);
    process.off("SIGTERM", quit);
    process.off("SIGHUP", quit);
  }
}
