import { strict as assert } from "node:assert";
import { test } from "node:test";
import { createMemoryTileStore, leafHash, openMerkleLog, verifyConsistency, verifyInclusion } from "../../src/merkle/index.ts";
import { makeLeafHashes } from "./helpers.ts";

const leaves = makeLeafHashes(13);
const store = createMemoryTileStore();
const log = openMerkleLog(store, 0);
const prepared = log.prepareAppend(leaves);
store.write(prepared.tiles);
log.commit(prepared);
const root = log.root();
const leaf = leaves[5] as Uint8Array;
const proof = log.inclusionProof(5, 13);

test("verify: a correct inclusion proof verifies (baseline for the rejections below)", () => {
  assert.equal(verifyInclusion(leaf, 5, 13, proof, root), true);
});

test("verify: verifyInclusion returns false, without throwing, for malformed sizes and indexes", () => {
  for (const [leafIndex, treeSize] of [
    [-1, 13],
    [5, -13],
    [5.5, 13],
    [5, 13.5],
    [Number.NaN, 13],
    [5, Number.POSITIVE_INFINITY],
    [5, 2 ** 53],
    [13, 13],
    [5, 0],
    [2 ** 64, 2 ** 64 + 1],
  ] as const) {
    assert.equal(verifyInclusion(leaf, leafIndex, treeSize, proof, root), false, `leafIndex ${leafIndex} treeSize ${treeSize}`);
  }
});

test("verify: verifyInclusion returns false for hashes of the wrong length or type", () => {
  assert.equal(verifyInclusion(leaf.subarray(0, 31), 5, 13, proof, root), false);
  assert.equal(verifyInclusion(leaf, 5, 13, proof, root.subarray(0, 31)), false);
  assert.equal(verifyInclusion(leaf, 5, 13, [...proof.slice(0, -1), new Uint8Array(33)], root), false);
  assert.equal(verifyInclusion(leaf, 5, 13, null as unknown as Uint8Array[], root), false);
  assert.equal(verifyInclusion(leaf, 5, 13, ["x"] as unknown as Uint8Array[], root), false);
  assert.equal(verifyInclusion(undefined as unknown as Uint8Array, 5, 13, proof, root), false);
});

test("verify: verifyInclusion rejects proofs with an element added, removed or reordered", () => {
  assert.equal(verifyInclusion(leaf, 5, 13, [...proof, leaf], root), false);
  assert.equal(verifyInclusion(leaf, 5, 13, proof.slice(1), root), false);
  assert.equal(verifyInclusion(leaf, 5, 13, [...proof].reverse(), root), false);
  assert.equal(verifyInclusion(leaf, 5, 13, [], root), false);
});

test("verify: verifyInclusion rejects a huge garbage proof quickly instead of hashing all of it", () => {
  const garbage = new Array<Uint8Array>(1_000_000).fill(leaf);
  assert.equal(verifyInclusion(leaf, 5, 13, garbage, root), false);
});

test("verify: verifyInclusion rejects the right proof for the wrong leaf, index or tree shape", () => {
  assert.equal(verifyInclusion(leafHash(new Uint8Array([1])), 5, 13, proof, root), false);
  assert.equal(verifyInclusion(leaf, 4, 13, proof, root), false);
  // Not a tree size of a different shape either. (Sizes with the same shape, like 12 here,
  // verify too: RFC 9162 binds the size through the signed checkpoint, not the proof.)
  assert.equal(verifyInclusion(leaf, 5, 8, proof, root), false);
});

test("verify: verifyConsistency returns false, without throwing, for malformed or impossible sizes", () => {
  const proof = log.consistencyProof(6, 13);
  const root1 = log.rootAt(6);
  assert.equal(verifyConsistency(6, 13, proof, root1, root), true);
  for (const [size1, size2] of [
    [0, 13],
    [0, 0],
    [14, 13],
    [-6, 13],
    [6.5, 13],
    [6, Number.NaN],
    [6, 2 ** 53],
  ] as const) {
    assert.equal(verifyConsistency(size1, size2, proof, root1, root), false, `size1 ${size1} size2 ${size2}`);
  }
  assert.equal(verifyConsistency(6, 13, null as unknown as Uint8Array[], root1, root), false);
  assert.equal(verifyConsistency(6, 13, proof, root1.subarray(1), root), false);
  assert.equal(verifyConsistency(6, 13, proof, root1, undefined as unknown as Uint8Array), false);
  assert.equal(verifyConsistency(6, 13, [...proof, root], root1, root), false);
  assert.equal(verifyConsistency(6, 13, [], root1, root), false);
});

test("verify: verifyConsistency with equal sizes accepts only an empty proof and equal roots", () => {
  assert.equal(verifyConsistency(13, 13, [], root, root.slice()), true);
  assert.equal(verifyConsistency(13, 13, [root], root, root), false);
  assert.equal(verifyConsistency(13, 13, [], root, log.rootAt(12)), false);
});

test("verify: verifyConsistency from a power-of-two size works without root1 in the proof", () => {
  const proof = log.consistencyProof(8, 13);
  assert.equal(verifyConsistency(8, 13, proof, log.rootAt(8), root), true);
  assert.equal(verifyConsistency(8, 13, [log.rootAt(8), ...proof], log.rootAt(8), root), false);
});
