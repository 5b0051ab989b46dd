import { HASH_SIZE_BYTES, hashTagged, sha256 } from "../crypto/index.ts";
import { assert, utf8 } from "../util/index.ts";

/*
 * Hashing of the state tree (docs/decisions/0400-state-tree.md). Every hash is a
 * domain-separated SHA-256 (crypto hashTagged), one tag per role, so a leaf can never be
 * passed off as an internal node, a value as a leaf, or a state-tree hash as any other
 * Ghostmesh hash. Tag + 0x00 + 64 bytes of children is 88-89 bytes: two SHA-256 blocks, the
 * same as RFC 6962's 65-byte node input, so the tags cost nothing in compression rounds.
 */

export const SMT_KEY_TAG = "ghostmesh/v1/state/key";
export const SMT_VALUE_TAG = "ghostmesh/v1/state/value";
export const SMT_LEAF_TAG = "ghostmesh/v1/state/leaf";
export const SMT_NODE_TAG = "ghostmesh/v1/state/node";
export const SMT_EMPTY_TAG = "ghostmesh/v1/state/empty";

/** Key hashes are 256 bits, so a path is at most 256 levels deep. */
export const SMT_DEPTH_MAX = 256;

/** Hash of an empty subtree at any height, and the root of the empty state. */
const EMPTY_HASH = hashTagged(SMT_EMPTY_TAG);

assert(HASH_SIZE_BYTES * 8 === SMT_DEPTH_MAX, "a key hash must have one bit per tree level");

/** Root of the empty state tree (a fresh copy: callers may not change the constant). */
export function smtEmptyRoot(): Uint8Array {
  return EMPTY_HASH.slice();
}

/** Whether `hash` is the empty-subtree hash. No copy, for hot paths. */
export function isEmptyHash(hash: Uint8Array): boolean {
  for (let i = 0; i < HASH_SIZE_BYTES; i++) if (hash[i] !== EMPTY_HASH[i]) return false;
  return hash.byteLength === HASH_SIZE_BYTES;
}

/** The shared empty hash itself; internal use only (never hand it to a caller, who might write to it). */
export function emptyHashShared(): Uint8Array {
  return EMPTY_HASH;
}

/** The tree path of a key: where it lives, whatever its length. */
export function smtKeyHash(key: Uint8Array): Uint8Array {
  return hashTagged(SMT_KEY_TAG, key);
}

export function smtValueHash(value: Uint8Array): Uint8Array {
  return hashTagged(SMT_VALUE_TAG, value);
}

/** A leaf commits to both its key hash and its value hash: a proof cannot move a value to another key. */
export function smtLeafHash(keyHash: Uint8Array, valueHash: Uint8Array): Uint8Array {
  return hashPair(leafScratch, keyHash, valueHash);
}

export function smtNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return hashPair(nodeScratch, left, right);
}

/*
 * Leaf and node hashes are the hot path (one per tree level per write). They equal
 * hashTagged(tag, a, b) (a test checks it) but copy into a scratch buffer that already holds
 * utf8(tag) || 0x00, skipping hashTagged's tag lookup and part loop. Single-threaded and
 * synchronous: a scratch buffer cannot be observed half-written.
 */
function pairScratch(tag: string): Uint8Array {
  const prefix = utf8(tag);
  const scratch = new Uint8Array(prefix.byteLength + 1 + 2 * HASH_SIZE_BYTES);
  scratch.set(prefix);
  return scratch;
}

const leafScratch = pairScratch(SMT_LEAF_TAG);
const nodeScratch = pairScratch(SMT_NODE_TAG);

function hashPair(scratch: Uint8Array, a: Uint8Array, b: Uint8Array): Uint8Array {
  assert(a.byteLength === HASH_SIZE_BYTES && b.byteLength === HASH_SIZE_BYTES, "state tree hashes pair two 32-byte hashes");
  const offset = scratch.byteLength - 2 * HASH_SIZE_BYTES;
  scratch.set(a, offset);
  scratch.set(b, offset + HASH_SIZE_BYTES);
  return sha256(scratch);
}

/** Bit `index` of a key hash, most significant bit of byte 0 first; 0 = left, 1 = right. */
export function keyBit(keyHash: Uint8Array, index: number): number {
  return ((keyHash[index >> 3] as number) >> (7 - (index & 7))) & 1;
}

/** Whether the first `bitCount` bits of `a` and `b` agree. */
export function sharesPrefix(a: Uint8Array, b: Uint8Array, bitCount: number): boolean {
  const wholeBytes = bitCount >> 3;
  for (let i = 0; i < wholeBytes; i++) if (a[i] !== b[i]) return false;
  const restBits = bitCount & 7;
  if (restBits === 0) return true;
  const mask = (0xff << (8 - restBits)) & 0xff;
  return (((a[wholeBytes] as number) ^ (b[wholeBytes] as number)) & mask) === 0;
}

/**
 * Storage key of the node at depth `depth` on the path of `keyHash`: the first `depth` bits
 * packed MSB-first (trailing bits zero) then the depth as 2 bytes big-endian (depth 256 does not
 * fit a byte). Packed bits first keep a subtree's nodes next to each other in a B-tree.
 * With `flipLast`, the last bit is flipped: the path of the sibling of that node.
 */
export function smtPathKey(keyHash: Uint8Array, depth: number, flipLast = false): Uint8Array {
  // Hot path (one call per node visited): the message is only built when the check fails.
  if (!(Number.isInteger(depth) && depth >= 0 && depth <= SMT_DEPTH_MAX)) assert(false, `smtPathKey: depth ${depth} outside 0..256`);
  assert(!flipLast || depth > 0, "smtPathKey: the root has no sibling");
  const byteCount = (depth + 7) >> 3;
  const out = new Uint8Array(byteCount + 2);
  // A loop, not set(subarray): a path is a few bytes, and the view would be one more allocation.
  for (let i = 0; i < byteCount; i++) out[i] = keyHash[i] as number;
  const restBits = depth & 7;
  if (restBits !== 0) out[byteCount - 1] = (out[byteCount - 1] as number) & ((0xff << (8 - restBits)) & 0xff);
  if (flipLast) {
    const last = depth - 1;
    out[last >> 3] = (out[last >> 3] as number) ^ (0x80 >> (last & 7));
  }
  out[byteCount] = depth >> 8;
  out[byteCount + 1] = depth & 0xff;
  return out;
}
