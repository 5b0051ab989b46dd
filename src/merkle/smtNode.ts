import { HASH_SIZE_BYTES } from "../crypto/index.ts";
import { assert, bytesEqual, toHex } from "../util/index.ts";
import { smtError } from "./smtErrors.ts";
import { smtLeafHash, smtNodeHash } from "./smtHash.ts";

/*
 * Stored form of a state-tree node. Internal nodes keep both child hashes, so a proof reads
 * one node per level and never a sibling. Leaves keep, besides what their hash commits to,
 * the version their value was written at: storage metadata (not hashed) that tells the store
 * which value row a later overwrite makes stale, without a lookup.
 *
 *   internal: 0x01 || left (32) || right (32)                          65 bytes
 *   leaf:     0x02 || keyHash (32) || valueHash (32) || valueVersion   73 bytes (u64 big-endian)
 */

const INTERNAL_TAG = 0x01;
const LEAF_TAG = 0x02;
const INTERNAL_SIZE_BYTES = 1 + 2 * HASH_SIZE_BYTES;
const LEAF_SIZE_BYTES = 1 + 2 * HASH_SIZE_BYTES + 8;
const TWO_POW_32 = 0x1_0000_0000;

/** A node as a store returns it: its bytes and the version that wrote this row. */
export type SmtStoredNode = { readonly version: number; readonly bytes: Uint8Array };

/**
 * Read access to the nodes of one tree version. `readNode` returns the node at `pathKey`
 * (see smtPathKey) as of that version. It is only asked for paths the tree points at, so a store
 * may return the newest row at or below the version without tombstones for removed paths.
 * The returned bytes become the tree's (proofs hand views of them to callers): return a fresh
 * array, never one the source keeps.
 */
export type SmtNodeSource = {
  readNode(pathKey: Uint8Array): SmtStoredNode | undefined;
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

export function encodeInternalNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  const out = new Uint8Array(INTERNAL_SIZE_BYTES);
  out[0] = INTERNAL_TAG;
  out.set(left, 1);
  out.set(right, 1 + HASH_SIZE_BYTES);
  return out;
}

export function encodeLeafNode(keyHash: Uint8Array, valueHash: Uint8Array, valueVersion: number): Uint8Array {
  if (!(Number.isSafeInteger(valueVersion) && valueVersion >= 0)) assert(false, `encodeLeafNode: bad value version ${valueVersion}`);
  const out = new Uint8Array(LEAF_SIZE_BYTES);
  out[0] = LEAF_TAG;
  out.set(keyHash, 1);
  out.set(valueHash, 1 + HASH_SIZE_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(1 + 2 * HASH_SIZE_BYTES, Math.floor(valueVersion / TWO_POW_32));
  view.setUint32(5 + 2 * HASH_SIZE_BYTES, valueVersion % TWO_POW_32);
  return out;
}

/** The stored bytes of a decoded node (a fresh array). */
export function encodeNode(node: SmtNode): Uint8Array {
  return node.kind === "internal" ? encodeInternalNode(node.left, node.right) : encodeLeafNode(node.keyHash, node.valueHash, node.valueVersion);
}

/**
 * Reads the node at `pathKey` and checks it hashes to `expectedHash`, the hash its parent (or
 * the version's root) records. A missing or mismatching node is a damaged store, never bad input.
 */
export function loadNode(source: SmtNodeSource, pathKey: Uint8Array, expectedHash: Uint8Array): SmtNode {
  const cached = source.cachedNode?.(pathKey, expectedHash);
  if (cached !== undefined) return cached;
  const stored = source.readNode(pathKey);
  if (stored === undefined) {
    throw smtError("MERKLE_SMT_NODE_MISSING", `state tree node at path ${toHex(pathKey)} is missing from the store; the state database is damaged`, {
      path: toHex(pathKey),
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
  if (bytes[0] === INTERNAL_TAG && bytes.byteLength === INTERNAL_SIZE_BYTES) {
    // Views, not copies: a source hands over bytes it no longer uses (see SmtNodeSource).
    const left = bytes.subarray(1, 1 + HASH_SIZE_BYTES);
    const right = bytes.subarray(1 + HASH_SIZE_BYTES);
    return { kind: "internal", version: stored.version, hash: knownHash ?? smtNodeHash(left, right), left, right };
  }
  if (bytes[0] === LEAF_TAG && bytes.byteLength === LEAF_SIZE_BYTES) {
    const keyHash = bytes.subarray(1, 1 + HASH_SIZE_BYTES);
    const valueHash = bytes.subarray(1 + HASH_SIZE_BYTES, 1 + 2 * HASH_SIZE_BYTES);
    let high = 0;
    let low = 0;
    for (let i = 0; i < 4; i++) {
      high = high * 256 + (bytes[1 + 2 * HASH_SIZE_BYTES + i] as number);
      low = low * 256 + (bytes[5 + 2 * HASH_SIZE_BYTES + i] as number);
    }
    const valueVersion = high * TWO_POW_32 + low;
    // Not covered by the hash, so checked here: a damaged version must not pass as a number.
    if (!Number.isSafeInteger(valueVersion)) return undefined;
    return { kind: "leaf", version: stored.version, hash: knownHash ?? smtLeafHash(keyHash, valueHash), keyHash, valueHash, valueVersion };
  }
  return undefined;
}
