import { strict as assert } from "node:assert";
import { test } from "node:test";
import { createMemoryTileStore, openMerkleLog, rootFromLeafHashes, verifyConsistency, verifyInclusion } from "../../src/merkle/index.ts";
import type { MerkleLog } from "../../src/merkle/index.ts";
import { GhostmeshError, toHex } from "../../src/util/index.ts";
import { makeLeafHashes, seededRandom } from "./helpers.ts";

const LEAF_COUNT = 1100; // crosses four level-0 tile boundaries and starts a level-1 tile
const SEED = 0x6d657231;
const leaves = makeLeafHashes(LEAF_COUNT);

/** Grows a log one leaf at a time, recording root() at every size (edge-based roots). */
function buildOneByOne(): { log: MerkleLog; rootsBySize: string[] } {
  const store = createMemoryTileStore();
  const log = openMerkleLog(store, 0);
  const rootsBySize = [toHex(log.root())];
  for (const leaf of leaves) {
    const prepared = log.prepareAppend([leaf]);
    store.write(prepared.tiles);
    log.commit(prepared);
    rootsBySize.push(toHex(log.root()));
  }
  return { log, rootsBySize };
}

const { log, rootsBySize } = buildOneByOne();
const referenceRoot = (size: number): Uint8Array => rootFromLeafHashes(leaves.slice(0, size));

/** Sizes worth checking beyond the small ones: tile edges, powers of two, and seeded random picks. */
function sampledSizes(): number[] {
  const random = seededRandom(SEED);
  const sizes = new Set([1, 2, 3, 127, 128, 129, 255, 256, 257, 511, 512, 513, 767, 768, 769, 1023, 1024, 1025, LEAF_COUNT - 1, LEAF_COUNT]);
  while (sizes.size < 40) sizes.add(1 + random(LEAF_COUNT));
  return [...sizes].sort((a, b) => a - b);
}

test("log: root() after every single-leaf append equals the RFC reference root (sizes 0..300) and sampled sizes to 1100", () => {
  for (let size = 0; size <= 300; size++) assert.equal(rootsBySize[size], toHex(referenceRoot(size)), `size ${size}`);
  for (const size of sampledSizes()) assert.equal(rootsBySize[size], toHex(referenceRoot(size)), `size ${size}`);
});

test("log: rootAt(n) from tiles equals the root the log had at size n, for every n up to 1100", () => {
  for (let size = 0; size <= LEAF_COUNT; size++) assert.equal(toHex(log.rootAt(size)), rootsBySize[size], `size ${size}`);
});

test("log: leafHashAt returns every appended leaf hash", () => {
  for (let i = 0; i < LEAF_COUNT; i++) assert.equal(toHex(log.leafHashAt(i)), toHex(leaves[i] as Uint8Array), `leaf ${i}`);
});

test("log: inclusion proofs verify for every leaf of every tree size 1..70", () => {
  for (let treeSize = 1; treeSize <= 70; treeSize++) {
    const root = referenceRoot(treeSize);
    for (let leafIndex = 0; leafIndex < treeSize; leafIndex++) {
      const proof = log.inclusionProof(leafIndex, treeSize);
      assert.ok(verifyInclusion(leaves[leafIndex] as Uint8Array, leafIndex, treeSize, proof, root), `leaf ${leafIndex} of ${treeSize}`);
    }
  }
});

test("log: consistency proofs verify for every pair of sizes 1 <= size1 <= size2 <= 70", () => {
  const roots = Array.from({ length: 71 }, (_, size) => referenceRoot(size));
  for (let size2 = 1; size2 <= 70; size2++) {
    for (let size1 = 1; size1 <= size2; size1++) {
      const proof = log.consistencyProof(size1, size2);
      assert.ok(verifyConsistency(size1, size2, proof, roots[size1] as Uint8Array, roots[size2] as Uint8Array), `${size1} -> ${size2}`);
    }
  }
});

test("log: inclusion proofs verify at sampled sizes up to 1100, including tile-edge leaves", () => {
  const random = seededRandom(SEED + 1);
  for (const treeSize of sampledSizes()) {
    const root = referenceRoot(treeSize);
    const indexes = new Set([0, 1, 255, 256, 257, 1023, 1024, treeSize - 2, treeSize - 1, random(treeSize), random(treeSize)]);
    for (const leafIndex of indexes) {
      if (leafIndex < 0 || leafIndex >= treeSize) continue;
      const proof = log.inclusionProof(leafIndex, treeSize);
      assert.ok(verifyInclusion(leaves[leafIndex] as Uint8Array, leafIndex, treeSize, proof, root), `leaf ${leafIndex} of ${treeSize}`);
    }
  }
});

test("log: consistency proofs verify between all sampled sizes up to 1100", () => {
  const sizes = sampledSizes();
  for (const size2 of sizes) {
    for (const size1 of sizes) {
      if (size1 > size2) continue;
      const proof = log.consistencyProof(size1, size2);
      const ok = verifyConsistency(size1, size2, proof, log.rootAt(size1), log.rootAt(size2));
      assert.ok(ok, `${size1} -> ${size2}`);
    }
  }
});

test("log: consistency proof between equal sizes is empty", () => {
  assert.deepEqual(log.consistencyProof(700, 700), []);
});

test("log: proofs and roots handed out are copies, so mutating them cannot corrupt later answers", () => {
  const proof = log.inclusionProof(300, 1000);
  const before = proof.map(toHex);
  for (const hash of proof) hash.fill(0);
  log.root().fill(0);
  log.rootAt(1000).fill(0);
  log.leafHashAt(300).fill(0);
  assert.deepEqual(log.inclusionProof(300, 1000).map(toHex), before);
  assert.equal(toHex(log.root()), rootsBySize[LEAF_COUNT]);
  assert.equal(toHex(log.rootAt(1000)), rootsBySize[1000]);
  assert.equal(toHex(log.leafHashAt(300)), toHex(leaves[300] as Uint8Array));
});

function assertMerkleError(fn: () => unknown, code: string, meta: Record<string, unknown>): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GhostmeshError, `expected GhostmeshError, got ${String(err)}`);
    assert.equal(err.code, code);
    for (const [key, value] of Object.entries(meta)) assert.equal(err.meta[key], value, `meta.${key}`);
    return true;
  });
}

test("log: out-of-range proof requests throw GhostmeshError with the numbers in meta", () => {
  const size = LEAF_COUNT;
  assertMerkleError(() => log.inclusionProof(10, 10), "MERKLE_INDEX_OUT_OF_RANGE", { leafIndex: 10, treeSize: 10 });
  assertMerkleError(() => log.inclusionProof(-1, 10), "MERKLE_INDEX_OUT_OF_RANGE", { leafIndex: -1, treeSize: 10 });
  assertMerkleError(() => log.inclusionProof(1.5, 10), "MERKLE_INDEX_OUT_OF_RANGE", { leafIndex: 1.5 });
  assertMerkleError(() => log.inclusionProof(0, size + 1), "MERKLE_TREE_SIZE_OUT_OF_RANGE", { treeSize: size + 1, size });
  assertMerkleError(() => log.consistencyProof(0, 5), "MERKLE_CONSISTENCY_RANGE_INVALID", { size1: 0, size2: 5, size });
  assertMerkleError(() => log.consistencyProof(6, 5), "MERKLE_CONSISTENCY_RANGE_INVALID", { size1: 6, size2: 5, size });
  assertMerkleError(() => log.consistencyProof(5, size + 1), "MERKLE_CONSISTENCY_RANGE_INVALID", { size2: size + 1, size });
  assertMerkleError(() => log.consistencyProof(Number.NaN, 5), "MERKLE_CONSISTENCY_RANGE_INVALID", { size2: 5 });
  assertMerkleError(() => log.rootAt(size + 1), "MERKLE_TREE_SIZE_OUT_OF_RANGE", { treeSize: size + 1, size });
  assertMerkleError(() => log.rootAt(-1), "MERKLE_TREE_SIZE_OUT_OF_RANGE", { treeSize: -1 });
  assertMerkleError(() => log.leafHashAt(size), "MERKLE_INDEX_OUT_OF_RANGE", { leafIndex: size, treeSize: size });
});

test("log: an empty log has the empty root and no leaves", () => {
  const empty = openMerkleLog(createMemoryTileStore(), 0);
  assert.equal(empty.size, 0);
  assert.equal(toHex(empty.root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(toHex(empty.rootAt(0)), toHex(empty.root()));
  assertMerkleError(() => empty.leafHashAt(0), "MERKLE_INDEX_OUT_OF_RANGE", { leafIndex: 0, treeSize: 0 });
  assertMerkleError(() => empty.inclusionProof(0, 0), "MERKLE_INDEX_OUT_OF_RANGE", { leafIndex: 0, treeSize: 0 });
});
