/**
 * Deterministic randomness per invocation: xoshiro128** seeded from the
 * invocation's seed, so every replay sees the same sequence.
 */
import type { Rand } from "./context.js";

function hash32(s: string, salt: number): number {
  // FNV-1a with a salt, to derive four independent 32-bit seed words.
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h || 0x9e3779b9;
}

export class DeterministicRand implements Rand {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: string) {
    this.s0 = hash32(seed, 1);
    this.s1 = hash32(seed, 2);
    this.s2 = hash32(seed, 3);
    this.s3 = hash32(seed, 4);
  }

  private next32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  random(): number {
    // 53 random bits, as Math.random gives.
    const hi = this.next32() >>> 5;
    const lo = this.next32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uuidv4(): string {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i += 4) {
      const w = this.next32();
      bytes[i] = w & 0xff;
      bytes[i + 1] = (w >>> 8) & 0xff;
      bytes[i + 2] = (w >>> 16) & 0xff;
      bytes[i + 3] = (w >>> 24) & 0xff;
    }
    bytes[6] = (bytes[6]! & 0x0f) | 0x40;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
