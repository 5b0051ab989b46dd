import { checkHashLength } from "./errors.ts";
import { emptyRoot, hashChildren } from "./hash.ts";
import { largestPowerOfTwoBelow } from "./math.ts";

/**
 * MTH(D[n]) exactly as RFC 9162 §2.1.1 defines it: recursive split at the largest power of two
 * below n. Independent of the incremental code in edge.ts on purpose, so each checks the other
 * (tests and the offline verifier). O(n) hashes, recursion depth <= 53.
 */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  for (let i = 0; i < leafHashes.length; i++) checkHashLength(leafHashes[i] as Uint8Array, i);
  if (leafHashes.length === 0) return emptyRoot();
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

function subtreeRoot(leafHashes: readonly Uint8Array[], start: number, count: number): Uint8Array {
  if (count === 1) return (leafHashes[start] as Uint8Array).slice();
  const k = largestPowerOfTwoBelow(count);
  return hashChildren(subtreeRoot(leafHashes, start, k), subtreeRoot(leafHashes, start + k, count - k));
}
