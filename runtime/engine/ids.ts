/** Invocation ids shaped like Restate's (`inv_1…`): opaque to clients, validated at the ingress. */
import { createHash, randomFillSync } from "node:crypto";

/**
 * As Restate encodes them (so its CLI can decode them): `inv_1`, then a 64-bit
 * partition key in 11 base62 digits and a 128-bit id in 22, each a big-endian
 * number zero-padded on the left, digits `[0-9a-zA-Z]`.
 */
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const BODY_LENGTH = 33;
const ID_PATTERN = new RegExp(`^inv_1[0-9A-Za-z]{${BODY_LENGTH}}$`);

function base62(n: bigint, width: number): string {
  let s = "";
  for (let i = 0; i < width; i++) {
    s = ALPHABET[Number(n % 62n)]! + s;
    n /= 62n;
  }
  return s;
}

function encodeId(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString("hex");
  return "inv_1" + base62(BigInt("0x" + hex.slice(0, 16)), 11) + base62(BigInt("0x" + hex.slice(16, 48)), 22);
}

/**
 * Random bytes from a pool refilled 4 KiB at a time: two small draws per
 * invocation (its id and its seed) were one system call each, a few % of a
 * noop invocation's CPU under load.
 */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function random(n: number): Buffer {
  if (poolAt + n > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const out = Buffer.from(pool.subarray(poolAt, poolAt + n));
  poolAt += n;
  return out;
}

export function newInvocationId(): string {
  return encodeId(random(24));
}

export function isInvocationId(s: string): boolean {
  return ID_PATTERN.test(s);
}

export function newSeed(): string {
  return random(16).toString("hex");
}

/** A workflow runs once per key, so its run's id is derived from the key (as in Restate). */
export function workflowRunId(workflow: string, key: string): string {
  return encodeId(createHash("sha256").update(workflow).update("\u0000").update(key).digest());
}
