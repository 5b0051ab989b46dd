import { assert } from "../util/index.ts";

/** Every hash in the log tree is a SHA-256 digest. */
export const MERKLE_HASH_SIZE_BYTES = 32;

/**
 * Tile geometry (C2SP tlog-tiles / Go sumdb): a tile is 8 tree levels tall, so its bottom row
 * holds up to 2^8 = 256 hashes and only that row is stored; the 7 levels above it are
 * recomputed on read.
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
export const TILE_SIZE_BYTES_MAX = TILE_WIDTH * MERKLE_HASH_SIZE_BYTES;

/**
 * Sizes are JS safe integers (< 2^53), so tree heights run 0..52 and tile levels 0..6: tile
 * level 6 starts at tree level 48, which covers every height up to 55.
 */
export const TREE_HEIGHT_MAX = 53;
export const TILE_LEVEL_COUNT = 7;

/** Leaves under one hash of tile level L (= 256^L). Powers of two, so dividing by them is exact. */
export const TILE_LEVEL_LEAF_SPANS: readonly number[] = Array.from({ length: TILE_LEVEL_COUNT }, (_, level) => TILE_WIDTH ** level);

/** Expanded tiles cached by a MerkleLog for proof generation; each is at most ~16 KiB. */
export const TILE_CACHE_ENTRIES_MAX = 64;

assert(TILE_WIDTH === 2 ** TILE_HEIGHT, "TILE_WIDTH must be 2^TILE_HEIGHT");
assert(TILE_LEVEL_COUNT * TILE_HEIGHT >= TREE_HEIGHT_MAX, "tile levels must cover every tree height of a safe-integer size");
assert(2 ** TREE_HEIGHT_MAX - 1 === Number.MAX_SAFE_INTEGER, "TREE_HEIGHT_MAX must match Number.MAX_SAFE_INTEGER");
