/** What a journal entry that waits for another invocation is, and what it gets when that one is gone. */
import type { Result } from "../../sdk/worker/protocol.js";

/** A journal entry (invocation id, entry index) waiting for a completion. */
export interface EntryWaiter {
  id: string;
  index: number;
}

/** The result of attaching to an invocation that neither runs nor is retained. */
export function describeAttach(targetId: string): Result {
  return { kind: "failure", code: 404, message: `invocation '${targetId}' not found` };
}
