/**
 * An RFC 6962 / RFC 9162 verifier written for the end-to-end tests from the RFC text alone,
 * on purpose independent of src/merkle: if the node's tree code and its own verifier shared
 * a mistake, proofs checked here would still fail.
 *
 * MTH: RFC 9162 §2.1.1. Inclusion: §2.1.3.2. Consistency: §2.1.4.2.
 */
import { createHash } from "node:crypto";

export const HASH_BYTES = 32;

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

export function rfcLeafHash(entry: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0x00), entry);
}

export function rfcNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0x01), left, right);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** MTH(D[n]) over the leaves' entry bytes (RFC 9162 §2.1.1), by the recursive definition. */
export function rfcTreeHead(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length === 0) return sha256();
  if (entries.length === 1) return rfcLeafHash(entries[0] as Uint8Array);
  let k = 1;
  while (k * 2 < entries.length) k *= 2; // the largest power of two smaller than n
  return rfcNodeHash(rfcTreeHead(entries.slice(0, k)), rfcTreeHead(entries.slice(k)));
}

/** RFC 9162 §2.1.3.2: verifying an inclusion proof. */
export function rfcVerifyInclusion(leafIndex: number, treeSize: number, leafHash: Uint8Array, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (leafHash.length !== HASH_BYTES || root.length !== HASH_BYTES || path.some((p) => p.length !== HASH_BYTES)) return false;
  if (!(leafIndex >= 0 && leafIndex < treeSize)) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = rfcNodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = rfcNodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/**
 * RFC 9162 §2.1.4.2: verifying a consistency proof between tree sizes first and second.
 * Equal sizes have the empty proof (SUBPROOF(m, D[m], true) = {}, §2.1.4.1); size 0 proves nothing.
 */
export function rfcVerifyConsistency(first: number, second: number, firstHash: Uint8Array, secondHash: Uint8Array, path: readonly Uint8Array[]): boolean {
  if (first < 1 || first > second) return false;
  if (first === second) return path.length === 0 && equal(firstHash, secondHash);
  if (firstHash.length !== HASH_BYTES || secondHash.length !== HASH_BYTES || path.some((p) => p.length !== HASH_BYTES)) return false;
  if (path.length === 0) return false;
  const proof = isPowerOfTwo(first) ? [firstHash, ...path] : [...path];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = proof[0] as Uint8Array;
  let sr = proof[0] as Uint8Array;
  for (const c of proof.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = rfcNodeHash(c, fr);
      sr = rfcNodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = rfcNodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return equal(fr, firstHash) && equal(sr, secondHash) && sn === 0;
}
