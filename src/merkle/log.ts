import { assert } from "../util/index.ts";
import { TILE_HEIGHT, TILE_WIDTH } from "./constants.ts";
import { checkConsistencySizes, checkLeafIndex, checkTreeSize } from "./errors.ts";
import { appendToEdge, loadEdge } from "./edge.ts";
import type { EdgeState } from "./edge.ts";
import { emptyRoot } from "./hash.ts";
import { defaultMerkleLogOptions } from "./options.ts";
import { consistencyPath, inclusionPath, rangeRoot } from "./proof.ts";
import type { NodeSource } from "./proof.ts";
import { expandTile, expandedTileNode, readTileRow, tileLevelEdge } from "./tile.ts";
import type { ExpandedTile, TileReader } from "./tile.ts";
import { TileCache } from "./tileCache.ts";
import type { MerkleLog, MerkleLogOptions, PreparedAppend } from "./types.ts";

/**
 * Opens the log at `size` over `reader`, loading the right edge (one partial tile per tile
 * level, at most 7 reads). Throws MERKLE_TILE_MISSING / MERKLE_TILE_CORRUPT naming the tile.
 */
export function openMerkleLog(reader: TileReader, size: number, options: MerkleLogOptions = defaultMerkleLogOptions): MerkleLog {
  return openMerkleLogAtEdge(reader, loadEdge(reader, size), options);
}

/**
 * Opens the log on an edge already in memory (a PreparedAppend's, once its tiles are readable
 * from `reader`): no reads. Consensus executes each block on its parent's edge this way.
 */
export function openMerkleLogAtEdge(reader: TileReader, startEdge: EdgeState, options: MerkleLogOptions = defaultMerkleLogOptions): MerkleLog {
  let edge = startEdge;
  const cache = new TileCache(options.tileCacheEntriesMax);
  // Edges this log prepared and has not seen committed; the PreparedAppend itself is plain data.
  const pending = new WeakMap<PreparedAppend, EdgeState>();

  function loadExpandedTile(tileLevel: number, tileIndex: number, widthMin: number): ExpandedTile {
    const { partialTileIndex, partialWidth } = tileLevelEdge(edge.size, tileLevel);
    if (tileIndex < partialTileIndex) return expandTile(readTileRow(reader, tileLevel, tileIndex, TILE_WIDTH), TILE_WIDTH);
    assert(tileIndex === partialTileIndex && widthMin <= partialWidth, `tile ${tileLevel}/${tileIndex} is beyond the log`);
    return expandTile(edge.partialRows[tileLevel] as Uint8Array, partialWidth);
  }

  const node: NodeSource = (level, index) => {
    const tileLevel = Math.floor(level / TILE_HEIGHT);
    const levelInTile = level - tileLevel * TILE_HEIGHT;
    const nodesPerTile = TILE_WIDTH / 2 ** levelInTile;
    const tileIndex = Math.floor(index / nodesPerTile);
    const position = index - tileIndex * nodesPerTile;
    const widthMin = (position + 1) * 2 ** levelInTile;
    const tile = cache.get(tileLevel, tileIndex, widthMin, () => loadExpandedTile(tileLevel, tileIndex, widthMin));
    return expandedTileNode(tile, levelInTile, position);
  };

  return {
    get size() {
      return edge.size;
    },
    get edge() {
      return edge;
    },
    root: () => edge.root.slice(),
    prepareAppend(leafHashes) {
      const next = appendToEdge(edge, leafHashes);
      const prepared: PreparedAppend = Object.freeze({
        fromSize: edge.size,
        size: next.edge.size,
        root: next.edge.root.slice(),
        tiles: Object.freeze(next.tiles),
        edge: next.edge,
      });
      pending.set(prepared, next.edge);
      return prepared;
    },
    commit(prepared) {
      const next = pending.get(prepared);
      assert(next !== undefined, "commit: this PreparedAppend was not made by this log's prepareAppend");
      assert(prepared.fromSize === edge.size, `commit: prepared from size ${prepared.fromSize} but the log is at ${edge.size}`);
      pending.delete(prepared);
      edge = next;
    },
    rootAt(treeSize) {
      checkTreeSize(treeSize, edge.size);
      if (treeSize === edge.size) return edge.root.slice();
      return treeSize === 0 ? emptyRoot() : rangeRoot(node, 0, treeSize).slice();
    },
    inclusionProof(leafIndex, treeSize) {
      checkTreeSize(treeSize, edge.size);
      checkLeafIndex(leafIndex, treeSize);
      return inclusionPath(node, leafIndex, treeSize);
    },
    consistencyProof(size1, size2) {
      checkConsistencySizes(size1, size2, edge.size);
      return consistencyPath(node, size1, size2);
    },
    leafHashAt(index) {
      checkLeafIndex(index, edge.size);
      return node(0, index).slice();
    },
    tileCacheStats: () => cache.stats(),
  };
}
