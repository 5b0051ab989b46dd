import { bytesEqual } from "../util/index.ts";
import { MERKLE_HASH_SIZE_BYTES } from "./constants.ts";
import { isTreeCount } from "./errors.ts";
import { hashChildren } from "./hash.ts";
import { halve, isOdd, isPowerOfTwo } from "./math.ts";

/*
 * Proof verification, RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency). Inputs come
 * from strangers, so these return false on anything malformed and never throw. The RFC's bit
 * shifts are written as halving (isOdd / halve) because sizes may exceed 2^32.
 */

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.byteLength === MERKLE_HASH_SIZE_BYTES;
}

export function verifyInclusion(
  leafHash: Uint8Array,
  leafIndex: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isTreeCount(leafIndex) || !isTreeCount(treeSize) || leafIndex >= treeSize) return false;
  if (!isHash(leafHash) || !isHash(root) || !Array.isArray(proof)) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  // Terminates within 53 rounds whatever the proof length: sn halves every round and 0 fails.
  for (const p of proof) {
    if (sn === 0 || !isHash(p)) return false;
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = halve(fn);
        sn = halve(sn);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = halve(fn);
    sn = halve(sn);
  }
  return sn === 0 && bytesEqual(r, root);
}

/**
 * A proof from size 0 is rejected (it proves nothing, as upstream transparency-dev/merkle
 * decides). Equal sizes need an empty proof and byte-equal roots, compared as given, which is
 * what upstream and the conformance vectors expect.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!isTreeCount(size1) || !isTreeCount(size2) || size1 === 0 || size1 > size2) return false;
  if (!(root1 instanceof Uint8Array) || !(root2 instanceof Uint8Array) || !Array.isArray(proof)) return false;
  if (size1 === size2) return proof.length === 0 && bytesEqual(root1, root2);
  if (!isHash(root1) || !isHash(root2) || proof.length === 0) return false;
  // When size1 is a power of two the old tree is a node of the new one and the verifier knows
  // its hash already, so the RFC prepends root1 instead of sending it.
  const seedFromRoot1 = isPowerOfTwo(size1);
  const seed = seedFromRoot1 ? root1 : proof[0];
  if (!isHash(seed)) return false;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (isOdd(fn)) {
    fn = halve(fn);
    sn = halve(sn);
  }
  let fr = seed;
  let sr = seed;
  for (let i = seedFromRoot1 ? 0 : 1; i < proof.length; i++) {
    const c = proof[i];
    if (sn === 0 || !isHash(c)) return false;
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = halve(fn);
        sn = halve(sn);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = halve(fn);
    sn = halve(sn);
  }
  return sn === 0 && bytesEqual(fr, root1) && bytesEqual(sr, root2);
}
