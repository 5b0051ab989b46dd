import { TILE_CACHE_ENTRIES_MAX } from "./constants.ts";
import type { MerkleLogOptions } from "./types.ts";

export const defaultMerkleLogOptions: MerkleLogOptions = {
  // 64 tiles (~1 MiB) hold every tile on the paths of recent leaves in a tree of 2^48 leaves
  // several times over; proofs for old leaves read a few tiles from storage instead.
  tileCacheEntriesMax: TILE_CACHE_ENTRIES_MAX,
};
