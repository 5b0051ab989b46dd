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
export type { EdgeState } from "./edge.ts";
export { defaultMerkleLogOptions } from "./options.ts";
export { openMerkleLog, openMerkleLogAtEdge } from "./log.ts";
export { tilesForLeafHashes } from "./build.ts";
export { createMemoryTileStore } from "./memoryStore.ts";
export type { MemoryTileStore } from "./memoryStore.ts";
// Sparse Merkle tree for the authenticated state (docs/decisions/0400-state-tree.md).
export type { SmtErrorCode, SmtError } from "./smtErrors.ts";
export { SMT_DEPTH_MAX, smtEmptyRoot, smtKeyHash, smtValueHash, smtLeafHash, smtNodeHash, smtPathKey } from "./smtHash.ts";
export type { SmtNodeSource, SmtStoredNode, SmtNode, SmtInternalNode, SmtLeafNode } from "./smtNode.ts";
export { decodeNode as decodeSmtNode, encodeNode as encodeSmtNode, encodeInternalNode as encodeSmtInternalNode, SMT_INTERNAL_SIZE_BYTES, SMT_LEAF_SIZE_BYTES } from "./smtNode.ts";
export { isEmptyHash as isEmptySmtHash } from "./smtHash.ts";
export { updateSmt } from "./smtUpdate.ts";
export type { SmtWrite, SmtNodeWrite, SmtStaleNode, SmtStaleValue, SmtUpdate } from "./smtUpdate.ts";
export { hashStateWrites } from "./smtWrites.ts";
export type { StateWrite, HashedStateWrite } from "./smtWrites.ts";
export { proveSmt, verifyStateProof, stateProofShapeIssue } from "./smtProof.ts";
export type { StateProof, StateProofLeaf } from "./smtProof.ts";
export { encodeStateProof, decodeStateProof, stateProofToJson, stateProofFromJson, stateProofSchema, STATE_PROOF_SIZE_BYTES_MAX } from "./smtCodec.ts";
export type { StateProofJson } from "./smtCodec.ts";
export { smtRootFromLeaves } from "./smtReference.ts";
export { createMemorySmt } from "./smtMemory.ts";
export type { MemorySmt } from "./smtMemory.ts";
