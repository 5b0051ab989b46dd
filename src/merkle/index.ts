/**
 * RFC 6962 / RFC 9162 Merkle log tree: hashing, proofs, verification and tile storage
 * (C2SP tlog-tiles layout). The only import surface of the merkle module.
 */
export { MERKLE_HASH_SIZE_BYTES, TILE_HEIGHT, TILE_WIDTH, TILE_CACHE_ENTRIES_MAX } from "./constants.ts";
export type { MerkleErrorCode, MerkleError } from "./errors.ts";
export { leafHash, nodeHash, emptyRoot } from "./hash.ts";
export { rootFromLeafHashes } from "./reference.ts";
export { verifyInclusion, verifyConsistency } from "./verify.ts";
export type { TileReader, TileWrite } from "./tile.ts";
export type { TileCacheStats } from "./tileCache.ts";
export type { MerkleLog, MerkleLogOptions, PreparedAppend } from "./types.ts";
export { defaultMerkleLogOptions } from "./options.ts";
export { openMerkleLog } from "./log.ts";
export { tilesForLeafHashes } from "./build.ts";
export { createMemoryTileStore } from "./memoryStore.ts";
export type { MemoryTileStore } from "./memoryStore.ts";
