import type { EdgeState } from "./edge.ts";
import type { TileWrite } from "./tile.ts";
import type { TileCacheStats } from "./tileCache.ts";

/** Result of MerkleLog.prepareAppend: what to persist, and what the log becomes once committed. */
export type PreparedAppend = {
  readonly fromSize: number;
  readonly size: number;
  readonly root: Uint8Array;
  /** Every tile the append touched, once each, with its full content; level then index ascending. */
  readonly tiles: readonly TileWrite[];
  /** The right edge after the append: a log opened on it (openMerkleLogAtEdge) needs no tile reads. */
  readonly edge: EdgeState;
};

/**
 * An append-only RFC 6962 log over a TileReader. Holds the right edge in memory, so appending
 * never reads storage. Contract with the store: the tiles of a PreparedAppend must be readable
 * from the reader before (or atomically with) `commit`.
 */
export type MerkleLog = {
  readonly size: number;
  /** The right edge at the current size (immutable). */
  readonly edge: EdgeState;
  /** Root at the current size. */
  root(): Uint8Array;
  /**
   * Appends leaf hashes; returns the tiles to persist, the new size and root. Does NOT change
   * the log until `commit(prepared)`: write the tiles in a DB transaction, then commit; if the
   * write fails, drop the PreparedAppend and the log stays at the old size.
   */
  prepareAppend(leafHashes: readonly Uint8Array[]): PreparedAppend;
  /** Adopts `prepared`; it must come from this log's prepareAppend at the current size. */
  commit(prepared: PreparedAppend): void;
  /** Root of the first `treeSize` leaves, 0 <= treeSize <= size. */
  rootAt(treeSize: number): Uint8Array;
  /** RFC 9162 inclusion proof of leaf `leafIndex` in the tree of size `treeSize` (<= size). */
  inclusionProof(leafIndex: number, treeSize: number): Uint8Array[];
  /** RFC 9162 consistency proof between sizes 0 < size1 <= size2 <= size. */
  consistencyProof(size1: number, size2: number): Uint8Array[];
  leafHashAt(index: number): Uint8Array;
  /** Counters of the expanded-tile cache used by proof generation. */
  tileCacheStats(): TileCacheStats;
};

export type MerkleLogOptions = {
  /** Expanded tiles kept for proof generation (~16 KiB each). */
  readonly tileCacheEntriesMax: number;
};
