import { assert } from "../util/index.ts";

/*
 * Integer helpers for tree shapes. JS bitwise operators truncate to 32 bits and trees may
 * exceed 2^32 leaves, so everything here is plain arithmetic on safe integers: halving an
 * integer and flooring is exact, and so is multiplying or dividing by a power of two.
 */

export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  let rest = n;
  while (rest % 2 === 0) rest /= 2;
  return rest === 1;
}

/** log2 of an exact power of two. */
export function log2Exact(powerOfTwo: number): number {
  assert(isPowerOfTwo(powerOfTwo), `log2Exact needs a power of two, got ${powerOfTwo}`);
  let exponent = 0;
  for (let rest = powerOfTwo; rest > 1; rest /= 2) exponent++;
  return exponent;
}

/** The k of RFC 9162 §2.1.1: the largest power of two smaller than n (n >= 2). */
export function largestPowerOfTwoBelow(n: number): number {
  assert(Number.isSafeInteger(n) && n >= 2, `largestPowerOfTwoBelow needs a safe integer >= 2, got ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function halve(n: number): number {
  return Math.floor(n / 2);
}

export function isOdd(n: number): boolean {
  return n % 2 === 1;
}
