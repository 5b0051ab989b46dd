import { assert, compareBytes } from "../util/index.ts";
import { SMT_DEPTH_MAX, keyBit, smtEmptyRoot, smtLeafHash, smtNodeHash } from "./smtHash.ts";
import type { StateProofLeaf } from "./smtProof.ts";

/**
 * Root of the state tree holding exactly `leaves`, computed from scratch by the definition:
 * no leaves = empty hash, one leaf = its leaf hash, else split on the next bit. Slow and
 * obviously right; tests check the incremental update against it.
 */
export function smtRootFromLeaves(leaves: readonly StateProofLeaf[]): Uint8Array {
  const sorted = [...leaves].sort((a, b) => compareBytes(a.keyHash, b.keyHash));
  for (let i = 1; i < sorted.length; i++) {
    assert(compareBytes((sorted[i - 1] as StateProofLeaf).keyHash, (sorted[i] as StateProofLeaf).keyHash) !== 0, "smtRootFromLeaves: duplicate key hash");
  }
  return subtreeRoot(sorted, 0);
}

function subtreeRoot(leaves: readonly StateProofLeaf[], depth: number): Uint8Array {
  if (leaves.length === 0) return smtEmptyRoot();
  if (leaves.length === 1) {
    const leaf = leaves[0] as StateProofLeaf;
    return smtLeafHash(leaf.keyHash, leaf.valueHash);
  }
  assert(depth < SMT_DEPTH_MAX, "subtreeRoot: distinct key hashes share all 256 bits");
  const left = leaves.filter((leaf) => keyBit(leaf.keyHash, depth) === 0);
  const right = leaves.filter((leaf) => keyBit(leaf.keyHash, depth) === 1);
  return smtNodeHash(subtreeRoot(left, depth + 1), subtreeRoot(right, depth + 1));
}
