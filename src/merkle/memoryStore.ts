import { MERKLE_HASH_SIZE_BYTES, TILE_SIZE_BYTES_MAX } from "./constants.ts";
import { merkleError } from "./errors.ts";
import type { TileReader, TileWrite } from "./tile.ts";

export type MemoryTileStore = TileReader & {
  /** Stores copies of the tiles, replacing earlier content of the same tile. */
  write(tiles: readonly TileWrite[]): void;
  /** Every stored tile, level then index ascending. */
  tiles(): TileWrite[];
};

/**
 * A real tile store held in memory: for tests, the simulator and offline verifiers. Copies on
 * the way in and out, so neither the writer nor a reader can change what is stored.
 */
export function createMemoryTileStore(): MemoryTileStore {
  // Keyed "level/index"; tiles() sorts explicitly rather than trusting insertion order.
  const stored = new Map<string, TileWrite>();
  return {
    readTile(tileLevel, tileIndex) {
      return stored.get(`${tileLevel}/${tileIndex}`)?.hashes.slice();
    },
    write(tiles) {
      for (const tile of tiles) checkTileWrite(tile);
      for (const { tileLevel, tileIndex, hashes } of tiles) {
        stored.set(`${tileLevel}/${tileIndex}`, Object.freeze({ tileLevel, tileIndex, hashes: new Uint8Array(hashes) }));
      }
    },
    tiles() {
      const all = [...stored.values()].map((tile) => ({ ...tile, hashes: tile.hashes.slice() }));
      return all.sort((a, b) => a.tileLevel - b.tileLevel || a.tileIndex - b.tileIndex);
    },
  };
}

function checkTileWrite(tile: TileWrite): void {
  const { tileLevel, tileIndex, hashes } = tile;
  const lengthBytes = hashes instanceof Uint8Array ? hashes.byteLength : -1;
  const valid =
    Number.isSafeInteger(tileLevel) &&
    tileLevel >= 0 &&
    Number.isSafeInteger(tileIndex) &&
    tileIndex >= 0 &&
    lengthBytes > 0 &&
    lengthBytes <= TILE_SIZE_BYTES_MAX &&
    lengthBytes % MERKLE_HASH_SIZE_BYTES === 0;
  if (!valid) {
    throw merkleError("MERKLE_TILE_INVALID", `cannot store tile level ${tileLevel} index ${tileIndex} of ${lengthBytes} bytes`, {
      tileLevel,
      tileIndex,
      lengthBytes,
    });
  }
}
