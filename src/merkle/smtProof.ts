import { HASH_SIZE_BYTES } from "../crypto/index.ts";
import { bytesEqual } from "../util/index.ts";
import { SMT_DEPTH_MAX, emptyHashShared, isEmptyHash, keyBit, sharesPrefix, smtKeyHash, smtLeafHash, smtNodeHash, smtPathKey, smtValueHash } from "./smtHash.ts";
import { loadNode } from "./smtNode.ts";
import type { SmtNodeSource } from "./smtNode.ts";

/*
 * Proofs of presence and absence (Diem SparseMerkleProof, compressed). Walking the key's path
 * from the root ends at either a leaf or an empty subtree, `depth` levels down:
 *  - presence: the leaf holds this key hash and the value's hash;
 *  - absence: the path ends at an empty subtree, or at a leaf of ANOTHER key sharing the first
 *    `depth` bits (the one key under that prefix, so ours is not in the tree).
 * Siblings along the path are mostly empty subtrees near the bottom of a compressed tree; they
 * are left out and a bitmap says which levels carry one, so a proof is ~log2(n) hashes.
 */

export type StateProofLeaf = { readonly keyHash: Uint8Array; readonly valueHash: Uint8Array };

export type StateProof = {
  /** The leaf where the key's path ends, or null when it ends at an empty subtree. */
  readonly leaf: StateProofLeaf | null;
  /** Levels from the root to that leaf or empty subtree, 0..256. */
  readonly depth: number;
  /** ceil(depth / 8) bytes; bit i (MSB first) set = the sibling at level i + 1 is not empty. Unused bits are 0. */
  readonly bitmap: Uint8Array;
  /** The non-empty siblings, root side first, one per set bit. Never the empty hash. */
  readonly siblings: readonly Uint8Array[];
};

/** Proof for `keyHash` in the tree with root `root` (its node in the row of `rootVersion`); reads one node per level. */
export function proveSmt(source: SmtNodeSource, root: Uint8Array, rootVersion: number, keyHash: Uint8Array): StateProof {
  const siblings: Uint8Array[] = [];
  const bitmap = new Uint8Array(HASH_SIZE_BYTES);
  let hash = root;
  let version = rootVersion;
  let depth = 0;
  let leaf: StateProofLeaf | null = null;
  while (!isEmptyHash(hash)) {
    const node = loadNode(source, smtPathKey(keyHash, depth), hash, version);
    if (node.kind === "leaf") {
      // Copies: a source may share its decoded nodes (SmtNodeSource.cachedNode); a proof is the caller's.
      leaf = { keyHash: node.keyHash.slice(), valueHash: node.valueHash.slice() };
      break;
    }
    const bit = keyBit(keyHash, depth);
    const sibling = bit === 1 ? node.left : node.right;
    if (!isEmptyHash(sibling)) {
      siblings.push(sibling.slice());
      bitmap[depth >> 3] = (bitmap[depth >> 3] as number) | (0x80 >> (depth & 7));
    }
    hash = bit === 1 ? node.right : node.left;
    version = bit === 1 ? node.rightVersion : node.leftVersion;
    depth++;
  }
  return { leaf, depth, bitmap: bitmap.slice(0, (depth + 7) >> 3), siblings };
}

/** Whether `proof` is a well-formed compressed proof; the reason when it is not. Never throws. */
export function stateProofShapeIssue(proof: StateProof): string | undefined {
  if (typeof proof !== "object" || proof === null) return "not an object";
  const { leaf, depth, bitmap, siblings } = proof;
  if (leaf !== null && (typeof leaf !== "object" || !isHash(leaf.keyHash) || !isHash(leaf.valueHash))) return "leaf must be null or two 32-byte hashes";
  if (!Number.isSafeInteger(depth) || depth < 0 || depth > SMT_DEPTH_MAX) return `depth ${depth} is outside 0..${SMT_DEPTH_MAX}`;
  const bitmapBytes = (depth + 7) >> 3;
  if (!(bitmap instanceof Uint8Array) || bitmap.byteLength !== bitmapBytes) return `bitmap must have ${bitmapBytes} bytes for depth ${depth}`;
  if ((depth & 7) !== 0 && ((bitmap[bitmapBytes - 1] as number) & (0xff >> (depth & 7))) !== 0) return "bitmap has bits set past the depth";
  if (!Array.isArray(siblings)) return "siblings must be an array";
  let setBits = 0;
  for (let i = 0; i < depth; i++) setBits += keyBit(bitmap, i);
  if (siblings.length !== setBits) return `bitmap marks ${setBits} siblings but the proof has ${siblings.length}`;
  for (const sibling of siblings) {
    if (!isHash(sibling)) return "every sibling must be a 32-byte hash";
    if (isEmptyHash(sibling)) return "an empty sibling must be left out, not listed";
  }
  return undefined;
}

/**
 * Whether `proof` shows that, in the state with root `root`, `key` holds `value` (null: `key`
 * is absent). Inputs come from strangers: returns false on anything malformed, never throws.
 */
export function verifyStateProof(root: Uint8Array, key: Uint8Array, value: Uint8Array | null, proof: StateProof): boolean {
  if (!isHash(root) || !(key instanceof Uint8Array) || !(value === null || value instanceof Uint8Array)) return false;
  if (stateProofShapeIssue(proof) !== undefined) return false;
  const keyHash = smtKeyHash(key);
  const leaf = proof.leaf;
  if (value !== null) {
    if (leaf === null || !bytesEqual(leaf.keyHash, keyHash) || !bytesEqual(leaf.valueHash, smtValueHash(value))) return false;
  } else if (leaf !== null && (bytesEqual(leaf.keyHash, keyHash) || !sharesPrefix(leaf.keyHash, keyHash, proof.depth))) {
    return false;
  }
  return bytesEqual(rootFromProof(keyHash, proof), root);
}

function rootFromProof(keyHash: Uint8Array, proof: StateProof): Uint8Array {
  const empty = emptyHashShared();
  let hash = proof.leaf === null ? empty : smtLeafHash(proof.leaf.keyHash, proof.leaf.valueHash);
  let next = proof.siblings.length - 1;
  for (let level = proof.depth - 1; level >= 0; level--) {
    const sibling = keyBit(proof.bitmap, level) === 1 ? (proof.siblings[next--] as Uint8Array) : empty;
    hash = keyBit(keyHash, level) === 1 ? smtNodeHash(sibling, hash) : smtNodeHash(hash, sibling);
  }
  return hash;
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.byteLength === HASH_SIZE_BYTES;
}
