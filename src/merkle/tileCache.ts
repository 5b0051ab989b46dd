import { TILE_LEVEL_COUNT } from "./constants.ts";
import type { ExpandedTile } from "./tile.ts";

export type TileCacheStats = {
  readonly hitsTotal: number;
  readonly missesTotal: number;
  readonly evictionsTotal: number;
};

/**
 * Least-recently-used cache of expanded tiles, bounded by `entriesMax`. Entries never go stale
 * within one log: complete tiles never change and a partial tile only grows, so an expansion of
 * width w stays right for the nodes it covers; a lookup that needs more width reloads.
 * Map iteration order is insertion order, so eviction is deterministic.
 */
export class TileCache {
  private readonly entries = new Map<number, ExpandedTile>();
  private readonly entriesMax: number;
  private hitsTotal = 0;
  private missesTotal = 0;
  private evictionsTotal = 0;

  constructor(entriesMax: number) {
    this.entriesMax = entriesMax;
  }

  get(tileLevel: number, tileIndex: number, widthMin: number, load: () => ExpandedTile): ExpandedTile {
    // tileIndex < 2^45, so the key stays a safe integer.
    const key = tileIndex * TILE_LEVEL_COUNT + tileLevel;
    const cached = this.entries.get(key);
    if (cached !== undefined && cached.width >= widthMin) {
      this.hitsTotal++;
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    this.missesTotal++;
    const loaded = load();
    this.entries.delete(key);
    if (this.entries.size >= this.entriesMax) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) {
        this.entries.delete(oldest.value);
        this.evictionsTotal++;
      }
    }
    if (this.entriesMax > 0) this.entries.set(key, loaded);
    return loaded;
  }

  stats(): TileCacheStats {
    return { hitsTotal: this.hitsTotal, missesTotal: this.missesTotal, evictionsTotal: this.evictionsTotal };
  }
}
