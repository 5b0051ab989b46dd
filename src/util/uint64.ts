/**
 * Unsigned 64-bit big-endian integers in byte arrays, as JavaScript numbers: the versions and
 * heights stored this way stay far below 2^53. Byte loops, not a DataView: these run once per
 * state-tree node on hot paths, where a DataView per call is an allocation.
 */
import { assert } from "./assert.ts";

const TWO_POW_32 = 0x1_0000_0000;

/** Writes `value` (a safe non-negative integer) at out[offset..offset + 8). */
export function writeUint64BE(out: Uint8Array, offset: number, value: number): void {
  if (!(Number.isSafeInteger(value) && value >= 0)) assert(false, `writeUint64BE: ${value} is not a safe non-negative integer`);
  const high = Math.floor(value / TWO_POW_32);
  const low = value % TWO_POW_32;
  for (let i = 0; i < 4; i++) {
    out[offset + i] = (high >>> (24 - 8 * i)) & 0xff;
    out[offset + 4 + i] = (low >>> (24 - 8 * i)) & 0xff;
  }
}

/** The value at bytes[offset..offset + 8); NaN when it is above 2^53 - 1 (not one this code writes). */
export function readUint64BE(bytes: Uint8Array, offset: number): number {
  let high = 0;
  let low = 0;
  for (let i = 0; i < 4; i++) {
    high = high * 256 + (bytes[offset + i] as number);
    low = low * 256 + (bytes[offset + 4 + i] as number);
  }
  const value = high * TWO_POW_32 + low;
  return Number.isSafeInteger(value) ? value : Number.NaN;
}
