import { assert } from "../util/index.ts";
import { MERKLE_HASH_SIZE_BYTES, TILE_HEIGHT, TILE_LEVEL_COUNT, TILE_WIDTH, TREE_HEIGHT_MAX } from "./constants.ts";
import { checkHashLength, isTreeCount, merkleError } from "./errors.ts";
import { emptyRoot, hashChildren } from "./hash.ts";
import { readTileRow, rowSubtreeRoot, tileLevelEdge } from "./tile.ts";
import type { TileReader, TileWrite } from "./tile.ts";

/**
 * The right edge of the tree: everything needed to append without reading storage.
 * Immutable once built; an append builds a new one (copy-on-write), which is what lets
 * prepareAppend leave the log untouched until commit.
 */
export type EdgeState = {
  readonly size: number;
  /** frontier[h] = root of the complete subtree of height h on the right edge; defined iff bit h of size is 1. */
  readonly frontier: readonly (Uint8Array | undefined)[];
  /** Per tile level: the bottom row of its right-most partial tile (partialWidth * 32 bytes, maybe 0). */
  readonly partialRows: readonly Uint8Array[];
  readonly root: Uint8Array;
};

const EMPTY_ROW = new Uint8Array(0);

export function emptyEdge(): EdgeState {
  return {
    size: 0,
    frontier: new Array<Uint8Array | undefined>(TREE_HEIGHT_MAX).fill(undefined),
    partialRows: new Array<Uint8Array>(TILE_LEVEL_COUNT).fill(EMPTY_ROW),
    root: emptyRoot(),
  };
}

/** RFC 9162 MTH from the frontier: fold the edge subtrees from the smallest (right) to the largest. */
function frontierRoot(frontier: readonly (Uint8Array | undefined)[]): Uint8Array {
  let root: Uint8Array | undefined;
  for (const subtree of frontier) {
    if (subtree !== undefined) root = root === undefined ? subtree : hashChildren(subtree, root);
  }
  return root === undefined ? emptyRoot() : root;
}

/**
 * Rebuilds the edge of a tree of `size` leaves from the partial tile of each tile level: bits
 * 8L..8L+7 of size are the bits of that tile's width, so its subtrees are the frontier there.
 */
export function loadEdge(reader: TileReader, size: number): EdgeState {
  if (!isTreeCount(size)) {
    throw merkleError("MERKLE_SIZE_INVALID", `log size ${size} is not an integer in 0..${Number.MAX_SAFE_INTEGER}`, { size });
  }
  const frontier = new Array<Uint8Array | undefined>(TREE_HEIGHT_MAX).fill(undefined);
  const partialRows: Uint8Array[] = [];
  for (let tileLevel = 0; tileLevel < TILE_LEVEL_COUNT; tileLevel++) {
    const { partialTileIndex, partialWidth } = tileLevelEdge(size, tileLevel);
    if (partialWidth === 0) {
      partialRows.push(EMPTY_ROW);
      continue;
    }
    const row = readTileRow(reader, tileLevel, partialTileIndex, partialWidth);
    partialRows.push(row);
    let start = 0;
    for (let levelInTile = TILE_HEIGHT - 1; levelInTile >= 0; levelInTile--) {
      const span = 2 ** levelInTile;
      if (Math.floor(partialWidth / span) % 2 === 0) continue;
      frontier[tileLevel * TILE_HEIGHT + levelInTile] = rowSubtreeRoot(row, start, span);
      start += span;
    }
  }
  return { size, frontier, partialRows, root: frontierRoot(frontier) };
}

/**
 * Builds the rows of every tile level touched by one append. A level's partial row is copied
 * into a fresh full-size buffer when first touched (the committed one stays untouched), and
 * bytes below a row's width are never written again, so frontier views into rows stay valid.
 * Tiles handed to the caller are copies: nothing the caller does to them can reach the log.
 */
class TileRowWriter {
  private readonly rows: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(TILE_LEVEL_COUNT).fill(undefined);
  private readonly widths: number[] = new Array<number>(TILE_LEVEL_COUNT).fill(0);
  private readonly tileIndexes: number[] = new Array<number>(TILE_LEVEL_COUNT).fill(0);
  private readonly finished: TileWrite[][] = Array.from({ length: TILE_LEVEL_COUNT }, () => []);
  private readonly edge: EdgeState;

  constructor(edge: EdgeState) {
    this.edge = edge;
  }

  /** Stores `hash` at the end of tile level `tileLevel`; returns the stored copy (a view). */
  push(tileLevel: number, hash: Uint8Array): Uint8Array {
    const row = this.rows[tileLevel] ?? this.open(tileLevel);
    const width = this.widths[tileLevel] as number;
    const offsetBytes = width * MERKLE_HASH_SIZE_BYTES;
    row.set(hash, offsetBytes);
    const stored = row.subarray(offsetBytes, offsetBytes + MERKLE_HASH_SIZE_BYTES);
    if (width + 1 < TILE_WIDTH) {
      this.widths[tileLevel] = width + 1;
      return stored;
    }
    const tileIndex = this.tileIndexes[tileLevel] as number;
    this.finished[tileLevel]?.push(Object.freeze({ tileLevel, tileIndex, hashes: row.slice() }));
    this.rows[tileLevel] = new Uint8Array(TILE_WIDTH * MERKLE_HASH_SIZE_BYTES);
    this.widths[tileLevel] = 0;
    this.tileIndexes[tileLevel] = tileIndex + 1;
    return stored;
  }

  private open(tileLevel: number): Uint8Array {
    const committed = this.edge.partialRows[tileLevel] as Uint8Array;
    const row = new Uint8Array(TILE_WIDTH * MERKLE_HASH_SIZE_BYTES);
    row.set(committed, 0);
    const { partialTileIndex, partialWidth } = tileLevelEdge(this.edge.size, tileLevel);
    assert(committed.byteLength === partialWidth * MERKLE_HASH_SIZE_BYTES, "committed partial row does not match the log size");
    this.rows[tileLevel] = row;
    this.widths[tileLevel] = partialWidth;
    this.tileIndexes[tileLevel] = partialTileIndex;
    return row;
  }

  /** Tiles to write (level ascending, index ascending) and the new partial rows. */
  finish(): { tiles: TileWrite[]; partialRows: Uint8Array[] } {
    const tiles: TileWrite[] = [];
    const partialRows: Uint8Array[] = [];
    for (let tileLevel = 0; tileLevel < TILE_LEVEL_COUNT; tileLevel++) {
      tiles.push(...(this.finished[tileLevel] as TileWrite[]));
      const row = this.rows[tileLevel];
      if (row === undefined) {
        partialRows.push(this.edge.partialRows[tileLevel] as Uint8Array);
        continue;
      }
      const partial = row.subarray(0, (this.widths[tileLevel] as number) * MERKLE_HASH_SIZE_BYTES);
      partialRows.push(partial);
      const tileIndex = this.tileIndexes[tileLevel] as number;
      if (partial.byteLength > 0) tiles.push(Object.freeze({ tileLevel, tileIndex, hashes: partial.slice() }));
    }
    return { tiles, partialRows };
  }
}

/**
 * Appends leaf hashes to `edge`, returning the new edge and the tiles to persist. Pure: `edge`
 * is not modified. Each leaf costs one 32-byte copy plus, on average, one node hash.
 */
export function appendToEdge(edge: EdgeState, leafHashes: readonly Uint8Array[]): { edge: EdgeState; tiles: TileWrite[] } {
  const count = leafHashes.length;
  if (count > Number.MAX_SAFE_INTEGER - edge.size) {
    throw merkleError("MERKLE_SIZE_INVALID", `appending ${count} leaves to ${edge.size} would pass ${Number.MAX_SAFE_INTEGER}`, {
      size: edge.size,
      count,
      sizeMax: Number.MAX_SAFE_INTEGER,
    });
  }
  const writer = new TileRowWriter(edge);
  const frontier = edge.frontier.slice();
  for (let i = 0; i < count; i++) {
    const leaf = leafHashes[i] as Uint8Array;
    checkHashLength(leaf, i);
    let hash = writer.push(0, leaf);
    let height = 0;
    // Adding a leaf is binary increment: each carry merges a frontier subtree with the new one.
    for (let left = frontier[0]; left !== undefined; left = frontier[height]) {
      frontier[height] = undefined;
      hash = hashChildren(left, hash);
      height++;
      if (height % TILE_HEIGHT === 0) hash = writer.push(height / TILE_HEIGHT, hash);
    }
    frontier[height] = hash;
  }
  const { tiles, partialRows } = writer.finish();
  const root = count === 0 ? edge.root : frontierRoot(frontier);
  return { edge: { size: edge.size + count, frontier, partialRows, root }, tiles };
}
