import { assert } from "../util/index.ts";
import { MERKLE_HASH_SIZE_BYTES, TILE_HEIGHT, TILE_LEVEL_LEAF_SPANS, TILE_SIZE_BYTES_MAX, TILE_WIDTH } from "./constants.ts";
import { merkleError } from "./errors.ts";
import { hashChildrenAt } from "./hash.ts";

/**
 * Where tiles come from. Must return the newest content written for (tileLevel, tileIndex):
 * a tile that has grown since (wider than a log opened at an older size needs) is fine.
 */
export interface TileReader {
  readTile(tileLevel: number, tileIndex: number): Uint8Array | undefined;
}

/** One tile to persist: the bottom-row hashes of tree level 8*tileLevel, concatenated. */
export type TileWrite = { readonly tileLevel: number; readonly tileIndex: number; readonly hashes: Uint8Array };

/** Where a tile level stands for a tree of `size` leaves. */
export type TileLevelEdge = {
  /** Complete hashes at tree level 8*tileLevel: floor(size / 256^tileLevel). */
  readonly hashCount: number;
  /** Index of the right-most, partial tile (the next one to be written). */
  readonly partialTileIndex: number;
  /** Hashes in that partial tile, 0..255. */
  readonly partialWidth: number;
};

export function tileLevelEdge(size: number, tileLevel: number): TileLevelEdge {
  const span = TILE_LEVEL_LEAF_SPANS[tileLevel];
  assert(span !== undefined, `tile level ${tileLevel} does not exist`);
  const hashCount = Math.floor(size / span);
  const partialWidth = hashCount % TILE_WIDTH;
  return { hashCount, partialTileIndex: (hashCount - partialWidth) / TILE_WIDTH, partialWidth };
}

/**
 * Reads a tile and checks it holds at least `widthMin` hashes, returning exactly that many as
 * a private copy. Missing or short tiles mean a damaged store: the error names the tile.
 */
export function readTileRow(reader: TileReader, tileLevel: number, tileIndex: number, widthMin: number): Uint8Array {
  assert(widthMin >= 1 && widthMin <= TILE_WIDTH, `tile width ${widthMin} out of range`);
  const bytes = reader.readTile(tileLevel, tileIndex);
  const lengthBytesMin = widthMin * MERKLE_HASH_SIZE_BYTES;
  if (bytes === undefined) {
    throw merkleError("MERKLE_TILE_MISSING", `Merkle tile level ${tileLevel} index ${tileIndex} is missing from the store`, {
      tileLevel,
      tileIndex,
      lengthBytesMin,
    });
  }
  const lengthBytes = bytes instanceof Uint8Array ? bytes.byteLength : -1;
  if (lengthBytes < lengthBytesMin || lengthBytes > TILE_SIZE_BYTES_MAX || lengthBytes % MERKLE_HASH_SIZE_BYTES !== 0) {
    throw merkleError(
      "MERKLE_TILE_CORRUPT",
      `Merkle tile level ${tileLevel} index ${tileIndex} has ${lengthBytes} bytes; need a multiple of ${MERKLE_HASH_SIZE_BYTES} between ${lengthBytesMin} and ${TILE_SIZE_BYTES_MAX}`,
      { tileLevel, tileIndex, lengthBytes, lengthBytesMin, lengthBytesMax: TILE_SIZE_BYTES_MAX },
    );
  }
  // new Uint8Array(view) copies (Buffer#slice would alias), so later writes to the store cannot reach us.
  return new Uint8Array(bytes.subarray(0, lengthBytesMin));
}

/** Row offsets, in hashes, of tree levels 0..7 inside an expanded tile: 256 + 128 + ... + 2 = 510 slots. */
const EXPANDED_ROW_OFFSETS: readonly number[] = Array.from(
  { length: TILE_HEIGHT },
  (_, row) => 2 * TILE_WIDTH - 2 * (TILE_WIDTH / 2 ** row),
);
const EXPANDED_SIZE_BYTES = 2 * (TILE_WIDTH - 1) * MERKLE_HASH_SIZE_BYTES;

/** A tile with its seven inner levels recomputed: every complete node in it, ready for proofs. */
export type ExpandedTile = { readonly width: number; readonly bytes: Uint8Array };

export function expandTile(row: Uint8Array, width: number): ExpandedTile {
  assert(row.byteLength >= width * MERKLE_HASH_SIZE_BYTES && width >= 1 && width <= TILE_WIDTH, "tile row shorter than its width");
  const bytes = new Uint8Array(EXPANDED_SIZE_BYTES);
  bytes.set(row.subarray(0, width * MERKLE_HASH_SIZE_BYTES), 0);
  for (let level = 1; level < TILE_HEIGHT; level++) {
    const count = Math.floor(width / 2 ** level);
    const childrenOffsetBytes = (EXPANDED_ROW_OFFSETS[level - 1] as number) * MERKLE_HASH_SIZE_BYTES;
    const offsetBytes = (EXPANDED_ROW_OFFSETS[level] as number) * MERKLE_HASH_SIZE_BYTES;
    for (let i = 0; i < count; i++) {
      bytes.set(hashChildrenAt(bytes, childrenOffsetBytes + 2 * i * MERKLE_HASH_SIZE_BYTES), offsetBytes + i * MERKLE_HASH_SIZE_BYTES);
    }
  }
  return { width, bytes };
}

/** View of node (level within the tile, position within that level's row). */
export function expandedTileNode(tile: ExpandedTile, levelInTile: number, position: number): Uint8Array {
  assert((position + 1) * 2 ** levelInTile <= tile.width, `node ${levelInTile}/${position} is not complete in a tile of width ${tile.width}`);
  const offsetBytes = ((EXPANDED_ROW_OFFSETS[levelInTile] as number) + position) * MERKLE_HASH_SIZE_BYTES;
  return tile.bytes.subarray(offsetBytes, offsetBytes + MERKLE_HASH_SIZE_BYTES);
}

/** Root of the perfect subtree over `count` (a power of two <= 256) hashes of `row` from `start`. */
export function rowSubtreeRoot(row: Uint8Array, start: number, count: number): Uint8Array {
  const offsetBytes = start * MERKLE_HASH_SIZE_BYTES;
  if (count === 1) return row.slice(offsetBytes, offsetBytes + MERKLE_HASH_SIZE_BYTES);
  // Reduce pairwise in place inside one work buffer: the write at i*32 never overtakes the read at i*64.
  const work = row.slice(offsetBytes, offsetBytes + count * MERKLE_HASH_SIZE_BYTES);
  for (let n = count; n > 1; n /= 2) {
    for (let i = 0; i < n / 2; i++) work.set(hashChildrenAt(work, 2 * i * MERKLE_HASH_SIZE_BYTES), i * MERKLE_HASH_SIZE_BYTES);
  }
  return work.slice(0, MERKLE_HASH_SIZE_BYTES);
}
