import { GhostmeshError } from "../util/index.ts";
import { MERKLE_HASH_SIZE_BYTES } from "./constants.ts";

/**
 * Operating errors of the merkle module. Out-of-range requests (a proof for a leaf or size the
 * log does not have) are user errors the API maps to 400/404; MERKLE_TILE_* mean the store is
 * damaged and the node must halt with the tile named. Bugs get AssertionError instead.
 */
export type MerkleErrorCode =
  | "MERKLE_INDEX_OUT_OF_RANGE"
  | "MERKLE_TREE_SIZE_OUT_OF_RANGE"
  | "MERKLE_CONSISTENCY_RANGE_INVALID"
  | "MERKLE_SIZE_INVALID"
  | "MERKLE_HASH_LENGTH_INVALID"
  | "MERKLE_TILE_INVALID"
  | "MERKLE_TILE_MISSING"
  | "MERKLE_TILE_CORRUPT";

export type MerkleError = GhostmeshError<MerkleErrorCode>;

export function merkleError(code: MerkleErrorCode, message: string, meta: Record<string, unknown>): MerkleError {
  return new GhostmeshError(code, message, meta);
}

/** Whether `value` is a usable tree size or index: a safe, non-negative integer. */
export function isTreeCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

export function checkTreeSize(treeSize: number, size: number): void {
  if (!isTreeCount(treeSize) || treeSize > size) {
    throw merkleError("MERKLE_TREE_SIZE_OUT_OF_RANGE", `tree size ${treeSize} is outside 0..${size} (the log's size)`, {
      treeSize,
      size,
    });
  }
}

export function checkLeafIndex(leafIndex: number, treeSize: number): void {
  if (!isTreeCount(leafIndex) || leafIndex >= treeSize) {
    throw merkleError("MERKLE_INDEX_OUT_OF_RANGE", `leaf index ${leafIndex} is outside 0..${treeSize - 1} of a tree of size ${treeSize}`, {
      leafIndex,
      treeSize,
    });
  }
}

export function checkConsistencySizes(size1: number, size2: number, size: number): void {
  if (!isTreeCount(size1) || !isTreeCount(size2) || size1 === 0 || size1 > size2 || size2 > size) {
    throw merkleError(
      "MERKLE_CONSISTENCY_RANGE_INVALID",
      `a consistency proof needs 0 < size1 <= size2 <= ${size} (the log's size); got size1 ${size1}, size2 ${size2}`,
      { size1, size2, size },
    );
  }
}

/** `index` is the hash's position in the caller's list, so the message points at the bad one. */
export function checkHashLength(hash: Uint8Array, index: number): void {
  if (!(hash instanceof Uint8Array) || hash.byteLength !== MERKLE_HASH_SIZE_BYTES) {
    const lengthBytes = hash instanceof Uint8Array ? hash.byteLength : undefined;
    throw merkleError("MERKLE_HASH_LENGTH_INVALID", `hash #${index} has ${lengthBytes} bytes; Merkle hashes have ${MERKLE_HASH_SIZE_BYTES}`, {
      index,
      lengthBytes,
      lengthBytesExpected: MERKLE_HASH_SIZE_BYTES,
    });
  }
}
