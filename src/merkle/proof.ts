import { assert } from "../util/index.ts";
import { hashChildren } from "./hash.ts";
import { isPowerOfTwo, largestPowerOfTwoBelow, log2Exact } from "./math.ts";

/*
 * Proof generation, RFC 9162 §2.1.3.1 (PATH) and §2.1.4.1 (SUBPROOF), written as loops over a
 * window [start, start + n) of the leaves. Every perfect subtree comes from `node`; only the
 * subtrees hanging off the right edge of the window are hashed here.
 */

/** Hash of the complete subtree at tree level `level`, index `index` (it covers leaves index*2^level ..). */
export type NodeSource = (level: number, index: number) => Uint8Array;

/** MTH(D[start : start + count]); `start` is a multiple of the largest power of two <= count, as in every RFC split. */
export function rangeRoot(node: NodeSource, start: number, count: number): Uint8Array {
  assert(count >= 1, "rangeRoot needs at least one leaf");
  if (isPowerOfTwo(count)) {
    assert(start % count === 0, `range ${start}+${count} is not an aligned subtree`);
    return node(log2Exact(count), start / count);
  }
  const k = largestPowerOfTwoBelow(count);
  return hashChildren(rangeRoot(node, start, k), rangeRoot(node, start + k, count - k));
}

/** PATH(leafIndex, D[treeSize]): siblings from the leaf up to the root. */
export function inclusionPath(node: NodeSource, leafIndex: number, treeSize: number): Uint8Array[] {
  assert(leafIndex >= 0 && leafIndex < treeSize, "inclusionPath index out of range");
  const topDown: Uint8Array[] = [];
  let start = 0;
  let m = leafIndex;
  let n = treeSize;
  while (n > 1) {
    const k = largestPowerOfTwoBelow(n);
    if (m < k) {
      topDown.push(rangeRoot(node, start + k, n - k));
      n = k;
    } else {
      topDown.push(rangeRoot(node, start, k));
      start += k;
      m -= k;
      n -= k;
    }
  }
  return copiesReversed(topDown);
}

/** PROOF(size1, D[size2]) = SUBPROOF(size1, D[size2], true), for 0 < size1 <= size2. */
export function consistencyPath(node: NodeSource, size1: number, size2: number): Uint8Array[] {
  assert(size1 >= 1 && size1 <= size2, "consistencyPath sizes out of range");
  const topDown: Uint8Array[] = [];
  let start = 0;
  let m = size1;
  let n = size2;
  // True while the old tree is still a left-aligned prefix the verifier knows the root of.
  let knownToVerifier = true;
  while (m !== n) {
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      topDown.push(rangeRoot(node, start + k, n - k));
      n = k;
    } else {
      topDown.push(rangeRoot(node, start, k));
      start += k;
      m -= k;
      n -= k;
      knownToVerifier = false;
    }
  }
  if (!knownToVerifier) topDown.push(rangeRoot(node, start, m));
  return copiesReversed(topDown);
}

/** Proof elements must not alias cached tiles, or a caller mutating one would poison the cache. */
function copiesReversed(hashes: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = hashes.length - 1; i >= 0; i--) out.push((hashes[i] as Uint8Array).slice());
  return out;
}
