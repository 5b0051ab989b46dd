/**
 * The simulator's one source of randomness: xoshiro128** (Blackman & Vigna), seeded through
 * splitmix32, in 32-bit integer arithmetic (Math.imul, >>> 0): no BigInt, no floats, the
 * same sequence on every platform. Probabilities are integers in parts per million.
 */
import { assert } from "../util/index.ts";

export const PPM = 1_000_000;

function splitmix32(state: { value: number }): number {
  state.value = (state.value + 0x9e3779b9) | 0;
  let z = state.value;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    assert(Number.isSafeInteger(seed) && seed >= 0 && seed <= 0xffffffff, `Rng: seed is a uint32, got ${seed}`);
    const state = { value: seed | 0 };
    this.s0 = splitmix32(state);
    this.s1 = splitmix32(state);
    this.s2 = splitmix32(state);
    this.s3 = splitmix32(state);
    // xoshiro's one forbidden state; splitmix32 never yields four zeros, but be explicit.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform integer in [0, bound), unbiased (rejection sampling). */
  below(bound: number): number {
    assert(Number.isSafeInteger(bound) && bound >= 1 && bound <= 0x100000000, `Rng.below: bound in [1, 2^32], got ${bound}`);
    const limit = 0x100000000 - (0x100000000 % bound);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % bound;
    }
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    assert(min <= max, "Rng.between: min <= max");
    return min + this.below(max - min + 1);
  }

  /** True with probability ppm / 1,000,000. */
  chance(ppm: number): boolean {
    if (ppm <= 0) return false;
    if (ppm >= PPM) return true;
    return this.below(PPM) < ppm;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const x = this.nextUint32();
      for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (x >>> (8 * k)) & 0xff;
    }
    return out;
  }

  pick<T>(items: readonly T[]): T {
    assert(items.length > 0, "Rng.pick: non-empty");
    return items[this.below(items.length)] as T;
  }

  /** Fisher-Yates on a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }
}
