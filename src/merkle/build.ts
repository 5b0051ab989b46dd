import { emptyEdge, appendToEdge } from "./edge.ts";
import type { TileWrite } from "./tile.ts";

/**
 * All tiles of the tree over `leafHashes` built from scratch (level then index ascending).
 * An offline verifier compares them with the stored tiles.
 */
export function tilesForLeafHashes(leafHashes: readonly Uint8Array[]): TileWrite[] {
  return appendToEdge(emptyEdge(), leafHashes).tiles;
}
