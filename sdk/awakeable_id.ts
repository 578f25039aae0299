/**
 * Awakeable ids, shaped like Restate's: `sign_1` + base64url(invocation id ‖
 * u32 big-endian entry index). Opaque to clients; the runtime decodes them.
 */
const PREFIX = "sign_1";

export function awakeableId(invocationId: string, index: number): string {
  const id = Buffer.from(invocationId, "utf8");
  const buf = Buffer.alloc(id.length + 4);
  id.copy(buf);
  buf.writeUInt32BE(index, id.length);
  return PREFIX + buf.toString("base64url");
}

export function parseAwakeableId(s: string): { invocationId: string; index: number } | undefined {
  if (!s.startsWith(PREFIX)) return undefined;
  const buf = Buffer.from(s.slice(PREFIX.length), "base64url");
  if (buf.length < 5) return undefined;
  const invocationId = buf.subarray(0, buf.length - 4).toString("utf8");
  if (!/^inv_1[0-9A-Za-z]+$/.test(invocationId)) return undefined;
  return { invocationId, index: buf.readUInt32BE(buf.length - 4) };
}
