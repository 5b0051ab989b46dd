import { leafHash } from "../../src/merkle/index.ts";
import type { TileWrite } from "../../src/merkle/index.ts";
import { toHex } from "../../src/util/index.ts";

/** Deterministic leaf hashes: leaf i hashes the 8-byte big-endian encoding of i (plus a salt). */
export function makeLeafHashes(count: number, salt = 0): Uint8Array[] {
  const leaves: Uint8Array[] = [];
  const entry = new Uint8Array(12);
  const view = new DataView(entry.buffer);
  for (let i = 0; i < count; i++) {
    view.setBigUint64(0, BigInt(i));
    view.setUint32(8, salt);
    leaves.push(leafHash(entry));
  }
  return leaves;
}

/** Seeded PRNG (mulberry32) so every randomised test replays from its printed seed. */
export function seededRandom(seed: number): (maxExclusive: number) => number {
  let state = seed >>> 0;
  return (maxExclusive) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const unit = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(unit * maxExclusive);
  };
}

/** Tiles as comparable strings, "level/index:hex". */
export function describeTiles(tiles: readonly TileWrite[]): string[] {
  return tiles.map((tile) => `${tile.tileLevel}/${tile.tileIndex}:${toHex(tile.hashes)}`);
}

export function flipBit(bytes: Uint8Array, bitIndex: number): Uint8Array {
  const copy = bytes.slice();
  const byteIndex = Math.floor(bitIndex / 8);
  copy[byteIndex] = (copy[byteIndex] as number) ^ (1 << (bitIndex % 8));
  return copy;
}
