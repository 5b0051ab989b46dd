import { strict as assert } from "node:assert";
import { test } from "node:test";
import { createMemoryTileStore, leafHash, nodeHash, openMerkleLog, TILE_WIDTH, verifyConsistency, verifyInclusion } from "../../src/merkle/index.ts";
import type { TileReader } from "../../src/merkle/index.ts";
import { concatBytes, GhostmeshError, toHex } from "../../src/util/index.ts";

/*
 * Trees far beyond 2^32 leaves, where 32-bit bitwise arithmetic would break. Every leaf is the
 * same except one special leaf at SPECIAL_INDEX, so any subtree not containing it has a
 * hash that depends only on its height: a consistent tree of any size at O(height) cost. A
 * proof that picks a wrong node index gets the wrong sibling next to the special path.
 */

const SPECIAL_INDEX = 2 ** 41 + 2 ** 33 + 777;
const PLAIN_LEAF = leafHash(new Uint8Array([1]));
const SPECIAL_LEAF = leafHash(new Uint8Array([2]));

const plainSubtrees: Uint8Array[] = [PLAIN_LEAF];
for (let height = 1; height <= 53; height++) {
  const below = plainSubtrees[height - 1] as Uint8Array;
  plainSubtrees.push(nodeHash(below, below));
}

const specialPath = new Map<number, Uint8Array>();
/** Hash of the perfect subtree (level, index) of the tree. */
function subtree(level: number, index: number): Uint8Array {
  const first = index * 2 ** level;
  if (SPECIAL_INDEX < first || SPECIAL_INDEX >= first + 2 ** level) return plainSubtrees[level] as Uint8Array;
  if (level === 0) return SPECIAL_LEAF;
  let hash = specialPath.get(level);
  if (hash === undefined) {
    hash = nodeHash(subtree(level - 1, 2 * index), subtree(level - 1, 2 * index + 1));
    specialPath.set(level, hash);
  }
  return hash;
}

/** MTH(D[start : start + count]) per RFC 9162 §2.1.1, over `subtree`. */
function mth(start: number, count: number): Uint8Array {
  let k = 1;
  while (k < count) k *= 2;
  if (k === count) return subtree(Math.log2(count), start / count);
  k /= 2;
  return nodeHash(mth(start, k), mth(start + k, count - k));
}

/** Serves every tile at full width, as a store that has grown past any size we open at would. */
const syntheticReader: TileReader = {
  readTile(tileLevel, tileIndex) {
    const row: Uint8Array[] = [];
    for (let i = 0; i < TILE_WIDTH; i++) row.push(subtree(8 * tileLevel, tileIndex * TILE_WIDTH + i));
    return concatBytes(row);
  },
};

const SIZES = [2 ** 32 + 1, 2 ** 40, 2 ** 42 + 2 ** 33 + 2 ** 20 + 1234, Number.MAX_SAFE_INTEGER];

test("big tree: opening at sizes past 2^32 up to 2^53-1 gives the RFC root", () => {
  for (const size of SIZES) assert.equal(toHex(openMerkleLog(syntheticReader, size).root()), toHex(mth(0, size)), `size ${size}`);
});

test("big tree: inclusion proofs around the special leaf and 32-bit boundaries verify", () => {
  for (const size of SIZES) {
    const log = openMerkleLog(syntheticReader, size);
    const root = log.root();
    const candidates = [0, 2 ** 32 - 1, 2 ** 32, SPECIAL_INDEX - 256, SPECIAL_INDEX - 1, SPECIAL_INDEX, SPECIAL_INDEX + 1, SPECIAL_INDEX + 2 ** 20, size - 1];
    for (const leafIndex of candidates.filter((i) => i < size)) {
      const proof = log.inclusionProof(leafIndex, size);
      assert.ok(verifyInclusion(subtree(0, leafIndex), leafIndex, size, proof, root), `leaf ${leafIndex} of ${size}`);
      if (leafIndex !== SPECIAL_INDEX && SPECIAL_INDEX < size) {
        assert.equal(verifyInclusion(PLAIN_LEAF, SPECIAL_INDEX, size, proof, root), false, "the proof is bound to its index");
      }
    }
  }
});

test("big tree: consistency proofs and rootAt across 32-bit boundaries verify", () => {
  const size = SIZES[2] as number;
  const log = openMerkleLog(syntheticReader, size);
  for (const size1 of [1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, SPECIAL_INDEX, SPECIAL_INDEX + 1, 2 ** 42, size - 1, size]) {
    const root1 = log.rootAt(size1);
    assert.equal(toHex(root1), toHex(mth(0, size1)), `rootAt(${size1})`);
    assert.ok(verifyConsistency(size1, size, log.consistencyProof(size1, size), root1, log.root()), `${size1} -> ${size}`);
  }
});

test("big tree: appending past 2^42 leaves gives the RFC root, and a reopened log agrees", () => {
  const size = SIZES[2] as number;
  const store = createMemoryTileStore();
  const overlay: TileReader = { readTile: (level, index) => store.readTile(level, index) ?? syntheticReader.readTile(level, index) };
  const log = openMerkleLog(overlay, size);
  const prepared = log.prepareAppend(new Array<Uint8Array>(600).fill(PLAIN_LEAF));
  assert.equal(toHex(prepared.root), toHex(mth(0, size + 600)));
  const levelZeroIndexes = prepared.tiles.filter((tile) => tile.tileLevel === 0).map((tile) => tile.tileIndex);
  // size ends 210 leaves into its tile: 46 fill it, then 256 + 256 + 42.
  const first = Math.floor(size / 256);
  assert.deepEqual(levelZeroIndexes, [first, first + 1, first + 2, first + 3]);
  store.write(prepared.tiles);
  log.commit(prepared);
  const reopened = openMerkleLog(overlay, size + 600);
  assert.equal(toHex(reopened.root()), toHex(log.root()));
  const proof = reopened.inclusionProof(size + 300, size + 600);
  assert.ok(verifyInclusion(PLAIN_LEAF, size + 300, size + 600, proof, reopened.root()));
});

test("big tree: a log at 2^53-1 leaves refuses to grow with MERKLE_SIZE_INVALID", () => {
  const log = openMerkleLog(syntheticReader, Number.MAX_SAFE_INTEGER);
  assert.throws(
    () => log.prepareAppend([PLAIN_LEAF]),
    (err: unknown) => err instanceof GhostmeshError && err.code === "MERKLE_SIZE_INVALID" && err.meta["size"] === Number.MAX_SAFE_INTEGER,
  );
  assert.equal(log.prepareAppend([]).size, Number.MAX_SAFE_INTEGER);
});
