/** Invocation ids shaped like Restate's (`inv_1…`): opaque to clients, validated at the ingress. */
import { createHash, randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BODY_LENGTH = 33;
const ID_PATTERN = new RegExp(`^inv_1[0-9A-Za-z]{${BODY_LENGTH}}$`);

export function newInvocationId(): string {
  const bytes = randomBytes(BODY_LENGTH);
  let s = "inv_1";
  for (let i = 0; i < BODY_LENGTH; i++) s += ALPHABET[bytes[i]! % 62];
  return s;
}

export function isInvocationId(s: string): boolean {
  return ID_PATTERN.test(s);
}

export function newSeed(): string {
  return randomBytes(16).toString("hex");
}

/** A workflow runs once per key, so its run's id is derived from the key (as in Restate). */
export function workflowRunId(workflow: string, key: string): string {
  const digest = createHash("sha256").update(workflow).update("\u0000").update(key).digest();
  let s = "inv_1";
  for (let i = 0; i < BODY_LENGTH; i++) s += ALPHABET[digest[i % digest.length]! % 62];
  return s;
}
