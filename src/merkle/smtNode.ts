import { HASH_SIZE_BYTES } from "../crypto/index.ts";
import { bytesEqual, readUint64BE, toHex, writeUint64BE } from "../util/index.ts";
import { smtError } from "./smtErrors.ts";
import { smtLeafHash, smtNodeHash } from "./smtHash.ts";

/*
 * Stored form of a state-tree node. Internal nodes keep both child hashes, so a proof reads
 * one node per level and never a sibling, and the version of each child's row, so a store
 * finds a child by its exact key (version, path) and can keep its rows in version order: one
 * block's new rows then fill a few pages at the end of the table instead of one page per path
 * (docs/decisions/0400). Leaves keep the version their value was written at, which tells the
 * store which value row a later overwrite makes stale, without a lookup. Versions are storage
 * metadata, not hashed: the same tree has the same root whatever its rows' versions.
 *
 *   internal: 0x01 || left (32) || right (32) || leftVersion || rightVersion   81 bytes
 *   leaf:     0x02 || keyHash (32) || valueHash (32) || valueVersion           73 bytes
 * (versions u64 big-endian; an empty child's version is 0)
 */

const INTERNAL_TAG = 0x01;
const LEAF_TAG = 0x02;
const VERSION_SIZE_BYTES = 8;
export const SMT_INTERNAL_SIZE_BYTES = 1 + 2 * HASH_SIZE_BYTES + 2 * VERSION_SIZE_BYTES;
export const SMT_LEAF_SIZE_BYTES = 1 + 2 * HASH_SIZE_BYTES + VERSION_SIZE_BYTES;

/** A node as a store returns it: its bytes and the version that wrote this row. */
export type SmtStoredNode = { readonly version: number; readonly bytes: Uint8Array };

/**
 * Read access to the nodes of a tree. `readNode` returns the row at `pathKey` (see smtPathKey)
 * written at `version`: the tree only asks for rows its parents (or its root) point at.
 * The returned bytes become the tree's (proofs hand views of them to callers): return a fresh
 * array, never one the source keeps.
 */
export type SmtNodeSource = {
  readNode(pathKey: Uint8Array, version: number): SmtStoredNode | undefined;
  /**
   * Optional fast path: the node at `pathKey` already decoded and checked, when the source
   * holds it (a cache, an unapplied update in memory) AND its hash is `expectedHash`; else
   * undefined, and the node is read through `readNode` and checked as usual. Returned nodes
   * are shared: the tree only reads them and never hands their bytes to a caller of updateSmt.
   */
  cachedNode?(pathKey: Uint8Array, expectedHash: Uint8Array): SmtNode | undefined;
  /** Optional: told of each node read through `readNode` once it matched its parent's hash (`bytes` as stored). */
  nodeLoaded?(pathKey: Uint8Array, node: SmtNode, bytes: Uint8Array): void;
};

export type SmtInternalNode = {
  readonly kind: "internal";
  readonly version: number;
  readonly hash: Uint8Array;
  readonly left: Uint8Array;
  readonly right: Uint8Array;
  readonly leftVersion: number;
  readonly rightVersion: number;
};

export type SmtLeafNode = {
  readonly kind: "leaf";
  readonly version: number;
  readonly hash: Uint8Array;
  readonly keyHash: Uint8Array;
  readonly valueHash: Uint8Array;
  readonly valueVersion: number;
};

export type SmtNode = SmtInternalNode | SmtLeafNode;

/** An internal node: each child's hash and the version of its row (0 for an empty child). */
export function encodeInternalNode(left: Uint8Array, leftVersion: number, right: Uint8Array, rightVersion: number): Uint8Array {
  const out = new Uint8Array(SMT_INTERNAL_SIZE_BYTES);
  out[0] = INTERNAL_TAG;
  out.set(left, 1);
  out.set(right, 1 + HASH_SIZE_BYTES);
  writeUint64BE(out, 1 + 2 * HASH_SIZE_BYTES, leftVersion);
  writeUint64BE(out, 1 + 2 * HASH_SIZE_BYTES + VERSION_SIZE_BYTES, rightVersion);
  return out;
}

export function encodeLeafNode(keyHash: Uint8Array, valueHash: Uint8Array, valueVersion: number): Uint8Array {
  const out = new Uint8Array(SMT_LEAF_SIZE_BYTES);
  out[0] = LEAF_TAG;
  out.set(keyHash, 1);
  out.set(valueHash, 1 + HASH_SIZE_BYTES);
  writeUint64BE(out, 1 + 2 * HASH_SIZE_BYTES, valueVersion);
  return out;
}

/** The stored bytes of a decoded node (a fresh array). */
export function encodeNode(node: SmtNode): Uint8Array {
  return node.kind === "internal"
    ? encodeInternalNode(node.left, node.leftVersion, node.right, node.rightVersion)
    : encodeLeafNode(node.keyHash, node.valueHash, node.valueVersion);
}

/**
 * Reads the node at `pathKey` written at `version` and checks it hashes to `expectedHash`: both
 * as its parent (or the version's root) records them. A missing or mismatching node is a
 * damaged store, never bad input.
 */
export function loadNode(source: SmtNodeSource, pathKey: Uint8Array, expectedHash: Uint8Array, version: number): SmtNode {
  const cached = source.cachedNode?.(pathKey, expectedHash);
  if (cached !== undefined) return cached;
  const stored = source.readNode(pathKey, version);
  if (stored === undefined) {
    throw smtError("MERKLE_SMT_NODE_MISSING", `state tree node at path ${toHex(pathKey)} (version ${version}) is missing from the store; the state database is damaged`, {
      path: toHex(pathKey),
      version,
    });
  }
  const node = decodeNode(stored);
  if (node === undefined || !bytesEqual(node.hash, expectedHash)) {
    throw smtError("MERKLE_SMT_NODE_CORRUPT", `state tree node at path ${toHex(pathKey)} (version ${stored.version}) does not match the hash its parent records; the state database is damaged`, {
      path: toHex(pathKey),
      version: stored.version,
      hashExpected: toHex(expectedHash),
    });
  }
  source.nodeLoaded?.(pathKey, node, stored.bytes);
  return node;
}

/**
 * Decodes a stored node; undefined when the bytes are no node. `knownHash` is the node's hash
 * when the caller computed it itself (updateSmt's SmtNodeWrite.hash), which saves hashing;
 * without it the hash is computed from the bytes, as a read from storage must.
 */
export function decodeNode(stored: SmtStoredNode, knownHash?: Uint8Array): SmtNode | undefined {
  const bytes = stored.bytes;
  if (bytes[0] === INTERNAL_TAG && bytes.byteLength === SMT_INTERNAL_SIZE_BYTES) {
    // Views, not copies: a source hands over bytes it no longer uses (see SmtNodeSource).
    const left = bytes.subarray(1, 1 + HASH_SIZE_BYTES);
    const right = bytes.subarray(1 + HASH_SIZE_BYTES, 1 + 2 * HASH_SIZE_BYTES);
    const leftVersion = readUint64BE(bytes, 1 + 2 * HASH_SIZE_BYTES);
    const rightVersion = readUint64BE(bytes, 1 + 2 * HASH_SIZE_BYTES + VERSION_SIZE_BYTES);
    // Not covered by the hash, so checked here: a damaged version must not pass as a number.
    if (Number.isNaN(leftVersion) || Number.isNaN(rightVersion)) return undefined;
    return { kind: "internal", version: stored.version, hash: knownHash ?? smtNodeHash(left, right), left, right, leftVersion, rightVersion };
  }
  if (bytes[0] === LEAF_TAG && bytes.byteLength === SMT_LEAF_SIZE_BYTES) {
    const keyHash = bytes.subarray(1, 1 + HASH_SIZE_BYTES);
    const valueHash = bytes.subarray(1 + HASH_SIZE_BYTES, 1 + 2 * HASH_SIZE_BYTES);
    const valueVersion = readUint64BE(bytes, 1 + 2 * HASH_SIZE_BYTES);
    if (Number.isNaN(valueVersion)) return undefined;
    return { kind: "leaf", version: stored.version, hash: knownHash ?? smtLeafHash(keyHash, valueHash), keyHash, valueHash, valueVersion };
  }
  return undefined;
}
