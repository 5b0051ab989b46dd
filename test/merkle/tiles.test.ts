import { strict as assert } from "node:assert";
import { test } from "node:test";
import {
  createMemoryTileStore,
  openMerkleLog,
  rootFromLeafHashes,
  TILE_WIDTH,
  tilesForLeafHashes,
  verifyInclusion,
} from "../../src/merkle/index.ts";
import type { MerkleLog, TileReader, TileWrite } from "../../src/merkle/index.ts";
import { AssertionError, concatBytes, GhostmeshError, toHex } from "../../src/util/index.ts";
import { describeTiles, makeLeafHashes, seededRandom } from "./helpers.ts";

const LEAF_COUNT = 1100;
const SEED = 0x74696c65;
const leaves = makeLeafHashes(LEAF_COUNT);
const allTiles = tilesForLeafHashes(leaves);

function appendAndStore(log: MerkleLog, store: ReturnType<typeof createMemoryTileStore>, chunk: readonly Uint8Array[]): void {
  const prepared = log.prepareAppend(chunk);
  const order = prepared.tiles.map((tile) => tile.tileLevel * 2 ** 40 + tile.tileIndex);
  for (let i = 1; i < order.length; i++) assert.ok((order[i] as number) > (order[i - 1] as number), "tiles unique, level then index ascending");
  store.write(prepared.tiles);
  log.commit(prepared);
}

/** The tiles of the tree's first `size` leaves: each tile is a prefix of its final content. */
function tilesAtSize(size: number): TileWrite[] {
  const tiles: TileWrite[] = [];
  for (const tile of allTiles) {
    const hashCount = Math.floor(size / TILE_WIDTH ** tile.tileLevel);
    const width = Math.min(TILE_WIDTH, hashCount - tile.tileIndex * TILE_WIDTH);
    if (width > 0) tiles.push({ ...tile, hashes: tile.hashes.subarray(0, width * 32) });
  }
  return tiles;
}

function storeAtSize(size: number): ReturnType<typeof createMemoryTileStore> {
  const store = createMemoryTileStore();
  store.write(tilesAtSize(size));
  return store;
}

const referenceRoots = new Map<number, string>();
function referenceRoot(size: number): string {
  let root = referenceRoots.get(size);
  if (root === undefined) {
    root = toHex(rootFromLeafHashes(leaves.slice(0, size)));
    referenceRoots.set(size, root);
  }
  return root;
}

function assertMerkleError(fn: () => unknown, code: string, meta: Record<string, unknown>): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof GhostmeshError, `expected GhostmeshError, got ${String(err)}`);
    assert.equal(err.code, code);
    for (const [key, value] of Object.entries(meta)) assert.equal(err.meta[key], value, `meta.${key}`);
    return true;
  });
}

test("tiles: tilesForLeafHashes stores leaf hashes at level 0 and 256-leaf subtree roots at level 1", () => {
  assert.deepEqual(
    allTiles.map((tile) => [tile.tileLevel, tile.tileIndex, tile.hashes.byteLength / 32]),
    [[0, 0, 256], [0, 1, 256], [0, 2, 256], [0, 3, 256], [0, 4, 76], [1, 0, 4]],
  );
  for (const tile of allTiles.filter((t) => t.tileLevel === 0)) {
    const first = tile.tileIndex * TILE_WIDTH;
    assert.equal(toHex(tile.hashes), toHex(concatBytes(leaves.slice(first, first + tile.hashes.byteLength / 32))));
  }
  const subtreeRoots = [0, 1, 2, 3].map((k) => rootFromLeafHashes(leaves.slice(k * TILE_WIDTH, (k + 1) * TILE_WIDTH)));
  assert.equal(toHex((allTiles[5] as TileWrite).hashes), toHex(concatBytes(subtreeRoots)));
});

test("tiles: tilesForLeafHashes of a prefix equals the prefix-truncated tiles of the whole tree", () => {
  for (const size of [0, 1, 255, 256, 257, 700, 1024, 1099]) {
    assert.deepEqual(describeTiles(tilesForLeafHashes(leaves.slice(0, size))), describeTiles(tilesAtSize(size)), `size ${size}`);
  }
});

test("tiles: appends in random chunk sizes give the same tiles and root as one big append", () => {
  const random = seededRandom(SEED);
  for (let round = 0; round < 5; round++) {
    const store = createMemoryTileStore();
    const log = openMerkleLog(store, 0);
    const chunkSizes: number[] = [];
    while (log.size < LEAF_COUNT) {
      const chunkSize = Math.min(LEAF_COUNT - log.size, random(round % 2 === 0 ? 40 : 400));
      chunkSizes.push(chunkSize);
      appendAndStore(log, store, leaves.slice(log.size, log.size + chunkSize));
    }
    const context = `seed ${SEED} round ${round} chunks ${chunkSizes.join(",")}`;
    assert.deepEqual(describeTiles(store.tiles()), describeTiles(allTiles), context);
    assert.equal(toHex(log.root()), toHex(rootFromLeafHashes(leaves)), context);
  }
});

test("tiles: one append writes each touched tile once, in level then index order", () => {
  const log = openMerkleLog(storeAtSize(200), 200);
  const prepared = log.prepareAppend(leaves.slice(200, 900));
  const keys = prepared.tiles.map((tile) => `${tile.tileLevel}/${tile.tileIndex}`);
  assert.deepEqual(keys, ["0/0", "0/1", "0/2", "0/3", "1/0"]);
  assert.equal((prepared.tiles[0] as TileWrite).hashes.byteLength, TILE_WIDTH * 32, "the partial tile 0/0 is rewritten whole");
  assert.equal((prepared.tiles[3] as TileWrite).hashes.byteLength, (900 - 768) * 32);
});

test("tiles: reopening from the store at any size continues exactly as the original log", () => {
  const random = seededRandom(SEED + 1);
  const sizes = new Set([0, 1, 2, 255, 256, 257, 511, 512, 1023, 1024, 1025, LEAF_COUNT]);
  for (let size = 3; size <= 70; size++) sizes.add(size);
  while (sizes.size < 100) sizes.add(random(LEAF_COUNT + 1));
  const fullStore = storeAtSize(LEAF_COUNT); // tiles wider than a reopened log needs
  for (const size of sizes) {
    const exactStore = storeAtSize(size);
    const end = Math.min(LEAF_COUNT, size + 1 + random(300));
    const expected = new Map(describeTiles(tilesAtSize(end)).map((entry) => [entry.split(":")[0], entry]));
    for (const store of [exactStore, fullStore]) {
      const log = openMerkleLog(store, size);
      assert.equal(log.size, size);
      assert.equal(toHex(log.root()), referenceRoot(size), `root after reopening at ${size}`);
      const prepared = log.prepareAppend(leaves.slice(size, end));
      assert.equal(toHex(prepared.root), referenceRoot(end), `root after ${size} -> ${end}`);
      for (const entry of describeTiles(prepared.tiles)) assert.equal(entry, expected.get(entry.split(":")[0]), `tile at ${size} -> ${end}`);
    }
  }
});

test("tiles: prepareAppend without commit leaves the log unchanged", () => {
  const store = storeAtSize(300);
  const log = openMerkleLog(store, 300);
  const rootBefore = toHex(log.root());
  const proofBefore = log.inclusionProof(299, 300).map(toHex);
  const first = log.prepareAppend(leaves.slice(300, 700));
  assert.equal(first.fromSize, 300);
  assert.equal(first.size, 700);
  assert.equal(log.size, 300);
  assert.equal(toHex(log.root()), rootBefore);
  assert.deepEqual(log.inclusionProof(299, 300).map(toHex), proofBefore);
  assertMerkleError(() => log.rootAt(301), "MERKLE_TREE_SIZE_OUT_OF_RANGE", { treeSize: 301, size: 300 });
  const second = log.prepareAppend(leaves.slice(300, 700));
  assert.deepEqual(describeTiles(second.tiles), describeTiles(first.tiles), "preparing again from the same state gives the same tiles");
  assert.equal(toHex(second.root), toHex(first.root));
});

test("tiles: commit adopts the prepared append, and stale or foreign PreparedAppends are refused", () => {
  const store = storeAtSize(300);
  const log = openMerkleLog(store, 300);
  const stale = log.prepareAppend(leaves.slice(300, 310));
  const used = log.prepareAppend(leaves.slice(300, 320));
  store.write(used.tiles);
  log.commit(used);
  assert.equal(log.size, 320);
  assert.equal(toHex(log.root()), toHex(used.root));
  assert.throws(() => log.commit(stale), AssertionError);
  const other = openMerkleLog(storeAtSize(320), 320);
  assert.throws(() => log.commit(other.prepareAppend(leaves.slice(320, 321))), AssertionError);
  const forged = { ...log.prepareAppend(leaves.slice(320, 321)) };
  assert.throws(() => log.commit(forged), AssertionError);
  assert.equal(log.size, 320);
});

test("tiles: the log keeps its own copies, so mutating appended leaves or emitted tiles changes nothing", () => {
  const store = storeAtSize(250);
  const log = openMerkleLog(store, 250);
  const chunk = leaves.slice(250, 300).map((leaf) => leaf.slice());
  const prepared = log.prepareAppend(chunk);
  store.write(prepared.tiles);
  log.commit(prepared);
  for (const leaf of chunk) leaf.fill(0);
  for (const tile of prepared.tiles) tile.hashes.fill(0);
  assert.equal(toHex(log.root()), referenceRoot(300));
  const next = log.prepareAppend(leaves.slice(300, 301));
  assert.equal(toHex(next.root), referenceRoot(301));
  assert.equal(toHex((next.tiles[0] as TileWrite).hashes), toHex(concatBytes(leaves.slice(256, 301))));
});

test("tiles: a leaf hash of the wrong length is refused and the log is unchanged", () => {
  const log = openMerkleLog(storeAtSize(10), 10);
  const bad = [...leaves.slice(10, 12), new Uint8Array(33)];
  assertMerkleError(() => log.prepareAppend(bad), "MERKLE_HASH_LENGTH_INVALID", { index: 2, lengthBytes: 33 });
  assert.equal(log.size, 10);
  assert.equal(toHex(log.root()), toHex(rootFromLeafHashes(leaves.slice(0, 10))));
});

test("tiles: an empty append writes nothing and keeps size and root", () => {
  const log = openMerkleLog(storeAtSize(10), 10);
  const prepared = log.prepareAppend([]);
  assert.deepEqual(prepared.tiles, []);
  log.commit(prepared);
  assert.equal(log.size, 10);
  assert.equal(toHex(log.root()), toHex(rootFromLeafHashes(leaves.slice(0, 10))));
});

/** A reader over `store` that hides or replaces chosen tiles. */
function tamperedReader(store: TileReader, tiles: Record<string, Uint8Array | undefined>): TileReader {
  return {
    readTile: (tileLevel, tileIndex) => {
      const key = `${tileLevel}/${tileIndex}`;
      return key in tiles ? tiles[key] : store.readTile(tileLevel, tileIndex);
    },
  };
}

test("tiles: opening over a missing right-edge tile throws MERKLE_TILE_MISSING naming it", () => {
  assertMerkleError(() => openMerkleLog(createMemoryTileStore(), 300), "MERKLE_TILE_MISSING", { tileLevel: 0, tileIndex: 1 });
  const store = storeAtSize(LEAF_COUNT);
  assertMerkleError(() => openMerkleLog(tamperedReader(store, { "1/0": undefined }), 1000), "MERKLE_TILE_MISSING", {
    tileLevel: 1,
    tileIndex: 0,
  });
});

test("tiles: opening over a short or malformed right-edge tile throws MERKLE_TILE_CORRUPT naming it", () => {
  const store = storeAtSize(300);
  const short = (store.readTile(0, 1) as Uint8Array).subarray(0, 10 * 32);
  assertMerkleError(() => openMerkleLog(tamperedReader(store, { "0/1": short }), 300), "MERKLE_TILE_CORRUPT", {
    tileLevel: 0,
    tileIndex: 1,
    lengthBytes: 320,
    lengthBytesMin: 44 * 32,
  });
  const ragged = new Uint8Array(44 * 32 + 5);
  assertMerkleError(() => openMerkleLog(tamperedReader(store, { "0/1": ragged }), 300), "MERKLE_TILE_CORRUPT", { tileIndex: 1 });
  const oversized = new Uint8Array(257 * 32);
  assertMerkleError(() => openMerkleLog(tamperedReader(store, { "0/1": oversized }), 300), "MERKLE_TILE_CORRUPT", { tileIndex: 1 });
});

test("tiles: a proof that needs a missing or short complete tile throws, naming the tile", () => {
  const store = storeAtSize(300);
  const missing = openMerkleLog(tamperedReader(store, { "0/0": undefined }), 300);
  assert.ok(verifyInclusion(leaves[299] as Uint8Array, 299, 300, missing.inclusionProof(299, 300), missing.root()), "edge-only proof works");
  assertMerkleError(() => missing.inclusionProof(3, 300), "MERKLE_TILE_MISSING", { tileLevel: 0, tileIndex: 0 });
  const partialWhereFullExpected = (store.readTile(0, 0) as Uint8Array).subarray(0, 255 * 32);
  const short = openMerkleLog(tamperedReader(store, { "0/0": partialWhereFullExpected }), 300);
  assertMerkleError(() => short.leafHashAt(0), "MERKLE_TILE_CORRUPT", { tileLevel: 0, tileIndex: 0, lengthBytesMin: 256 * 32 });
});

test("tiles: opening at an invalid size throws MERKLE_SIZE_INVALID", () => {
  for (const size of [-1, 1.5, Number.NaN, 2 ** 53]) {
    assertMerkleError(() => openMerkleLog(createMemoryTileStore(), size), "MERKLE_SIZE_INVALID", {});
  }
});

test("tiles: the memory store keeps private copies and refuses malformed tiles", () => {
  const store = createMemoryTileStore();
  const hashes = new Uint8Array(64).fill(7);
  store.write([{ tileLevel: 0, tileIndex: 0, hashes }]);
  hashes.fill(0);
  (store.readTile(0, 0) as Uint8Array).fill(1);
  (store.tiles()[0] as TileWrite).hashes.fill(2);
  assert.equal(toHex(store.readTile(0, 0) as Uint8Array), "07".repeat(64));
  assert.equal(store.readTile(0, 1), undefined);
  for (const tile of [
    { tileLevel: 0, tileIndex: 0, hashes: new Uint8Array(0) },
    { tileLevel: 0, tileIndex: 0, hashes: new Uint8Array(33) },
    { tileLevel: 0, tileIndex: 0, hashes: new Uint8Array(257 * 32) },
    { tileLevel: -1, tileIndex: 0, hashes: new Uint8Array(32) },
    { tileLevel: 0, tileIndex: 0.5, hashes: new Uint8Array(32) },
  ]) {
    assertMerkleError(() => store.write([tile]), "MERKLE_TILE_INVALID", {});
  }
  assert.equal(toHex(store.readTile(0, 0) as Uint8Array), "07".repeat(64), "a refused write changes nothing");
});

test("tiles: proofs are the same with no tile cache, a one-entry cache and the default cache", () => {
  const store = storeAtSize(LEAF_COUNT);
  const logs = [0, 1, 64].map((tileCacheEntriesMax) => openMerkleLog(store, LEAF_COUNT, { tileCacheEntriesMax }));
  for (const [leafIndex, treeSize] of [[5, 1100], [600, 1100], [1099, 1100], [5, 700], [300, 1024]] as const) {
    const proofs = logs.map((log) => log.inclusionProof(leafIndex, treeSize).map(toHex).join());
    assert.equal(proofs[1], proofs[0]);
    assert.equal(proofs[2], proofs[0]);
  }
  const [uncached, single, cached] = logs.map((log) => log.tileCacheStats());
  assert.equal(uncached?.hitsTotal, 0);
  assert.ok((single?.evictionsTotal ?? 0) > 0, "a one-entry cache evicts");
  assert.ok((cached?.hitsTotal ?? 0) > 0, "the default cache is hit by repeated proofs");
  assert.equal(cached?.evictionsTotal, 0);
});
