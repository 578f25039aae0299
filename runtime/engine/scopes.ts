/**
 * Flow control's names, as pure functions: what a scope and a limit key may
 * be (Restate's syntax and errors), and the instance key a scope gives an
 * object's state, lock and idempotency records. No state: anyone may import it.
 */
const VALUE = /^[A-Za-z0-9_.-]+$/;
const MAX = 36;

/** Why `value` is not a scope (or limit-key level), in Restate's words; undefined if it is one. */
function valueError(value: string): string | undefined {
  if (value.length === 0) return "value is empty";
  if (Buffer.byteLength(value) > MAX) return `value too long: ${Buffer.byteLength(value)} bytes (max ${MAX})`;
  if (!VALUE.test(value)) return "value contains characters outside the allowed set [a-zA-Z0-9_.-]";
  return undefined;
}

export function scopeError(scope: string): string | undefined {
  const e = valueError(scope);
  return e ? `bad scope value: ${e}` : undefined;
}

/** A limit key has one or two levels (`tenant1`, `tenant1/user42`), each a scope-like value. */
export function limitKeyError(limitKey: string): string | undefined {
  const levels = limitKey.split("/");
  if (levels.length > 2) return `bad limit-key value: ${levels.length} levels, at most 2 (like tenant1/user42)`;
  for (const l of levels) {
    const e = valueError(l);
    if (e) return `bad limit-key value: ${e}`;
  }
  return undefined;
}

const SEP = "\u001f";

/**
 * The key under which the engine stores the state, lock and idempotency records
 * of an object (or service, for idempotency) in a scope. Scopes cannot contain
 * the separator, so no scoped instance key equals another or an unscoped key
 * (unless an unscoped key starts with U+001F).
 */
export function instanceKey(key: string | undefined, scope: string | undefined): string | undefined {
  return scope === undefined ? key : `${SEP}${scope}${SEP}${key ?? ""}`;
}

