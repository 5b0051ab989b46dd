import { strict as assert } from "node:assert";
import { test } from "node:test";
import fc from "fast-check";
import { createMemoryTileStore, openMerkleLog, rootFromLeafHashes, tilesForLeafHashes, verifyConsistency, verifyInclusion } from "../../src/merkle/index.ts";
import { toHex } from "../../src/util/index.ts";
import { describeTiles, flipBit, makeLeafHashes } from "./helpers.ts";

// A fixed seed keeps runs reproducible; set MERKLE_PROPERTY_SEED to explore other cases.
const SEED = Number(process.env["MERKLE_PROPERTY_SEED"] ?? 0x6d6b6c);
const PARAMETERS = { seed: SEED, numRuns: 150 };
const LEAF_COUNT = 1100;

const leaves = makeLeafHashes(LEAF_COUNT, 7);
const store = createMemoryTileStore();
const log = openMerkleLog(store, 0);
const prepared = log.prepareAppend(leaves);
store.write(prepared.tiles);
log.commit(prepared);

const inclusionCase = fc
  .integer({ min: 1, max: LEAF_COUNT })
  .chain((treeSize) => fc.record({ treeSize: fc.constant(treeSize), leafIndex: fc.integer({ min: 0, max: treeSize - 1 }), bit: fc.nat() }));

test("property: inclusion proofs verify, and flipping any bit of the proof, leaf or root makes them fail", () => {
  fc.assert(
    fc.property(inclusionCase, ({ treeSize, leafIndex, bit }) => {
      const leaf = leaves[leafIndex] as Uint8Array;
      const root = log.rootAt(treeSize);
      const proof = log.inclusionProof(leafIndex, treeSize);
      assert.ok(verifyInclusion(leaf, leafIndex, treeSize, proof, root));
      assert.equal(verifyInclusion(leaf, leafIndex, treeSize, proof, flipBit(root, bit % 256)), false, "flipped root");
      assert.equal(verifyInclusion(flipBit(leaf, bit % 256), leafIndex, treeSize, proof, root), false, "flipped leaf");
      for (let element = 0; element < proof.length; element++) {
        const tampered = proof.map((hash, i) => (i === element ? flipBit(hash, bit % 256) : hash));
        assert.equal(verifyInclusion(leaf, leafIndex, treeSize, tampered, root), false, `flipped proof[${element}]`);
      }
    }),
    PARAMETERS,
  );
});

const consistencyCase = fc
  .integer({ min: 1, max: LEAF_COUNT })
  .chain((size2) => fc.record({ size2: fc.constant(size2), size1: fc.integer({ min: 1, max: size2 }), bit: fc.nat() }));

test("property: consistency proofs verify, and flipping any bit of the proof or either root makes them fail", () => {
  fc.assert(
    fc.property(consistencyCase, ({ size1, size2, bit }) => {
      const root1 = log.rootAt(size1);
      const root2 = log.rootAt(size2);
      const proof = log.consistencyProof(size1, size2);
      assert.ok(verifyConsistency(size1, size2, proof, root1, root2));
      assert.equal(verifyConsistency(size1, size2, proof, flipBit(root1, bit % 256), root2), false, "flipped root1");
      assert.equal(verifyConsistency(size1, size2, proof, root1, flipBit(root2, bit % 256)), false, "flipped root2");
      for (let element = 0; element < proof.length; element++) {
        const tampered = proof.map((hash, i) => (i === element ? flipBit(hash, bit % 256) : hash));
        assert.equal(verifyConsistency(size1, size2, tampered, root1, root2), false, `flipped proof[${element}]`);
      }
    }),
    PARAMETERS,
  );
});

test("property: any chunking of random leaves gives the reference root and the tiles of tilesForLeafHashes", () => {
  const leafArbitrary = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const chunksArbitrary = fc.array(fc.array(leafArbitrary, { maxLength: 300, size: "medium" }), { maxLength: 6 });
  fc.assert(
    fc.property(chunksArbitrary, (chunks) => {
      const chunkStore = createMemoryTileStore();
      const chunkLog = openMerkleLog(chunkStore, 0);
      for (const chunk of chunks) {
        const next = chunkLog.prepareAppend(chunk);
        chunkStore.write(next.tiles);
        chunkLog.commit(next);
      }
      const all = chunks.flat();
      assert.equal(toHex(chunkLog.root()), toHex(rootFromLeafHashes(all)));
      assert.deepEqual(describeTiles(chunkStore.tiles()), describeTiles(tilesForLeafHashes(all)));
      const reopened = openMerkleLog(chunkStore, all.length);
      assert.equal(toHex(reopened.root()), toHex(chunkLog.root()));
    }),
    { seed: SEED, numRuns: 40 },
  );
});
