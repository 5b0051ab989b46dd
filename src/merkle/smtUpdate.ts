import { assert, bytesEqual, compareBytes } from "../util/index.ts";
import { SMT_DEPTH_MAX, emptyHashShared, isEmptyHash, keyBit, smtLeafHash, smtNodeHash, smtPathKey } from "./smtHash.ts";
import { encodeInternalNode, encodeLeafNode, loadNode } from "./smtNode.ts";
import type { SmtLeafNode, SmtNodeSource } from "./smtNode.ts";

/*
 * Batch update of the compressed sparse Merkle tree (docs/decisions/0400-state-tree.md).
 * One depth-first pass over the writes sorted by key hash: each existing node on a written
 * path is read once, each new node hashed and emitted once, whatever the batch size. Leaves
 * sit at the shortest prefix no other key shares; a leaf moves down when a new key joins its
 * prefix and floats up when its sibling subtree empties. Internal nodes never move.
 */

/** One write: `valueHash` null deletes the key. */
export type SmtWrite = { readonly keyHash: Uint8Array; readonly valueHash: Uint8Array | null };
/**
 * A node row to store at the update's version. `hash` is the node's hash (not stored: a
 * store recomputes it when it reads the row back), kept so a store can cache or overlay the
 * new node without hashing it again.
 */
export type SmtNodeWrite = { readonly path: Uint8Array; readonly bytes: Uint8Array; readonly hash: Uint8Array };
/** A node row of the base tree that the new version no longer uses. */
export type SmtStaleNode = { readonly path: Uint8Array; readonly version: number };
/** The value of `keyHash` written at `version` is replaced or deleted by the new version. */
export type SmtStaleValue = { readonly keyHash: Uint8Array; readonly version: number };

export type SmtUpdate = {
  readonly root: Uint8Array;
  /** Version of the row holding the new root node: `version` when this update rewrote it, 0 for an empty tree. */
  readonly rootVersion: number;
  /** New node rows, children before parents; each path at most once. */
  readonly nodes: readonly SmtNodeWrite[];
  readonly staleNodes: readonly SmtStaleNode[];
  readonly staleValues: readonly SmtStaleValue[];
  /** changed[i] is 1 when writes[i] changes the state (new value, or delete of a present key). */
  readonly changed: Uint8Array;
};

const EMPTY = 0;
const LEAF = 1;
const INTERNAL = 2;
/** An untouched subtree of the base tree, known only by its hash until someone must look. */
const UNRESOLVED = 3;

type EmptySub = { readonly t: typeof EMPTY; readonly hash: Uint8Array; readonly version: 0 };
type LeafSub = {
  readonly t: typeof LEAF;
  readonly hash: Uint8Array;
  readonly keyHash: Uint8Array;
  readonly valueHash: Uint8Array;
  readonly valueVersion: number;
  /** Depth of the base-tree row still holding this leaf, or -1 when no row does (new or consumed). */
  readonly originDepth: number;
  readonly originVersion: number;
};
/** `version`: of the row holding the subtree's top node. */
type HashSub = { readonly t: typeof INTERNAL | typeof UNRESOLVED; readonly hash: Uint8Array; readonly version: number };
type Sub = EmptySub | LeafSub | HashSub;

const EMPTY_SUB: EmptySub = { t: EMPTY, hash: emptyHashShared(), version: 0 };

type Context = {
  readonly source: SmtNodeSource;
  readonly writes: readonly SmtWrite[];
  readonly version: number;
  readonly nodes: SmtNodeWrite[];
  readonly staleNodes: SmtStaleNode[];
  readonly staleValues: SmtStaleValue[];
  readonly changed: Uint8Array;
};

/**
 * Applies `writes` (strictly ascending by key hash) to the tree with root `baseRoot` (its node
 * in the row of `baseRootVersion`; 0 for an empty tree) read through `source`, and returns the
 * new root and the rows to store at `version`. Pure: reads the source, writes nothing.
 */
export function updateSmt(source: SmtNodeSource, baseRoot: Uint8Array, baseRootVersion: number, writes: readonly SmtWrite[], version: number): SmtUpdate {
  assert(Number.isSafeInteger(version) && version >= 0, `updateSmt: version ${version} is not a safe non-negative integer`);
  for (let i = 1; i < writes.length; i++) {
    assert(compareBytes((writes[i - 1] as SmtWrite).keyHash, (writes[i] as SmtWrite).keyHash) < 0, "updateSmt: writes must be sorted by key hash, without duplicates");
  }
  const ctx: Context = { source, writes, version, nodes: [], staleNodes: [], staleValues: [], changed: new Uint8Array(writes.length) };
  const top = updateAt(ctx, baseRoot, baseRootVersion, 0, 0, writes.length);
  const rootVersion = top.t === LEAF ? placeLeaf(ctx, top, 0) : top.version;
  return { root: top.hash.slice(), rootVersion, nodes: ctx.nodes, staleNodes: ctx.staleNodes, staleValues: ctx.staleValues, changed: ctx.changed };
}

/**
 * writes[lo..hi) share the first `depth` bits; the base subtree at that path hashes to `hash`,
 * its top node in the row of `version`.
 */
function updateAt(ctx: Context, hash: Uint8Array, version: number, depth: number, lo: number, hi: number): Sub {
  if (lo === hi) return isEmptyHash(hash) ? EMPTY_SUB : { t: UNRESOLVED, hash, version };
  if (isEmptyHash(hash)) return build(ctx, depth, mergeLeaves(ctx, lo, hi, undefined));
  const pathSource = (ctx.writes[lo] as SmtWrite).keyHash;
  const path = smtPathKey(pathSource, depth);
  const node = loadNode(ctx.source, path, hash, version);
  if (node.kind === "leaf") {
    const existing = leafSubOf(node, depth);
    const leaves = mergeLeaves(ctx, lo, hi, existing);
    if (leaves.length === 1 && leaves[0] === existing) return existing;
    ctx.staleNodes.push({ path, version: node.version });
    // Its row is gone now: if the leaf survives, it is written again wherever it lands.
    return build(ctx, depth, leaves.map((leaf) => (leaf === existing ? { ...existing, originDepth: -1 } : leaf)));
  }
  const mid = firstWithBitSet(ctx.writes, lo, hi, depth);
  const left = updateAt(ctx, node.left, node.leftVersion, depth + 1, lo, mid);
  const right = updateAt(ctx, node.right, node.rightVersion, depth + 1, mid, hi);
  if (bytesEqual(left.hash, node.left) && bytesEqual(right.hash, node.right)) return { t: INTERNAL, hash: node.hash, version: node.version };
  ctx.staleNodes.push({ path, version: node.version });
  return join(ctx, depth, left, right, pathSource);
}

/**
 * The leaves of writes[lo..hi) merged with `existing` (the base leaf at this path, if any), in
 * key-hash order; marks which writes change the state and which old values they replace.
 */
function mergeLeaves(ctx: Context, lo: number, hi: number, existing: LeafSub | undefined): LeafSub[] {
  const leaves: LeafSub[] = [];
  let existingDone = existing === undefined;
  for (let i = lo; i < hi; i++) {
    const write = ctx.writes[i] as SmtWrite;
    const order = existingDone ? -1 : compareBytes(write.keyHash, (existing as LeafSub).keyHash);
    if (order > 0) {
      leaves.push(existing as LeafSub);
      existingDone = true;
    }
    if (order === 0) {
      existingDone = true;
      const old = existing as LeafSub;
      if (write.valueHash !== null && bytesEqual(write.valueHash, old.valueHash)) {
        leaves.push(old);
        continue;
      }
      // A copy: the leaf may be a source's shared node (SmtNodeSource.cachedNode); the update is the caller's.
      ctx.staleValues.push({ keyHash: old.keyHash.slice(), version: old.valueVersion });
    }
    if (write.valueHash === null && order !== 0) continue; // deleting an absent key changes nothing
    ctx.changed[i] = 1;
    if (write.valueHash !== null) leaves.push(newLeaf(write, ctx.version));
  }
  if (!existingDone) leaves.push(existing as LeafSub);
  return leaves;
}

function newLeaf(write: SmtWrite, version: number): LeafSub {
  const valueHash = write.valueHash as Uint8Array;
  return { t: LEAF, hash: smtLeafHash(write.keyHash, valueHash), keyHash: write.keyHash, valueHash, valueVersion: version, originDepth: -1, originVersion: 0 };
}

/** The subtree holding exactly `leaves` (sorted, sharing the first `depth` bits). */
function build(ctx: Context, depth: number, leaves: readonly LeafSub[], lo = 0, hi = leaves.length): Sub {
  if (lo === hi) return EMPTY_SUB;
  if (hi - lo === 1) return leaves[lo] as LeafSub;
  // Two distinct 256-bit key hashes differ at some bit below 256.
  assert(depth < SMT_DEPTH_MAX, "build: distinct key hashes share all 256 bits");
  const mid = firstWithBitSet(leaves, lo, hi, depth);
  const left = build(ctx, depth + 1, leaves, lo, mid);
  const right = build(ctx, depth + 1, leaves, mid, hi);
  return makeInternal(ctx, depth, left, right, (leaves[lo] as LeafSub).keyHash);
}

/** Parent of two rebuilt children; a lone leaf floats up, as the compressed tree requires. */
function join(ctx: Context, depth: number, left: Sub, right: Sub, pathSource: Uint8Array): Sub {
  if (left.t === EMPTY && right.t === EMPTY) return EMPTY_SUB;
  if (left.t === EMPTY || right.t === EMPTY) {
    const side = left.t === EMPTY ? 1 : 0;
    let other = side === 1 ? right : left;
    if (other.t === UNRESOLVED) other = resolve(ctx, other, childPath(pathSource, depth, side), depth + 1);
    if (other.t === LEAF) return other;
  }
  return makeInternal(ctx, depth, left, right, pathSource);
}

function makeInternal(ctx: Context, depth: number, left: Sub, right: Sub, pathSource: Uint8Array): HashSub {
  const leftVersion = left.t === LEAF ? placeLeaf(ctx, left, depth + 1) : left.version;
  const rightVersion = right.t === LEAF ? placeLeaf(ctx, right, depth + 1) : right.version;
  const hash = smtNodeHash(left.hash, right.hash);
  ctx.nodes.push({ path: smtPathKey(pathSource, depth), bytes: encodeInternalNode(left.hash, leftVersion, right.hash, rightVersion), hash });
  return { t: INTERNAL, hash, version: ctx.version };
}

/**
 * A leaf's final position is known: write it there unless its base row already is there.
 * Returns the version of the row that holds it.
 */
function placeLeaf(ctx: Context, leaf: LeafSub, depth: number): number {
  if (leaf.originDepth === depth) return leaf.originVersion;
  // The hash is copied: a base leaf's may be a view of a source's cache (SmtNodeSource.cachedNode).
  ctx.nodes.push({ path: smtPathKey(leaf.keyHash, depth), bytes: encodeLeafNode(leaf.keyHash, leaf.valueHash, leaf.valueVersion), hash: leaf.hash.slice() });
  if (leaf.originDepth >= 0) ctx.staleNodes.push({ path: smtPathKey(leaf.keyHash, leaf.originDepth), version: leaf.originVersion });
  return ctx.version;
}

function resolve(ctx: Context, sub: HashSub, path: Uint8Array, depth: number): Sub {
  const node = loadNode(ctx.source, path, sub.hash, sub.version);
  if (node.kind === "internal") return { t: INTERNAL, hash: node.hash, version: node.version };
  return leafSubOf(node, depth);
}

function leafSubOf(node: SmtLeafNode, depth: number): LeafSub {
  const { hash, keyHash, valueHash, valueVersion, version } = node;
  return { t: LEAF, hash, keyHash, valueHash, valueVersion, originDepth: depth, originVersion: version };
}

/** Path of the child on `side` of the node at `depth` on the path of `pathSource`. */
function childPath(pathSource: Uint8Array, depth: number, side: number): Uint8Array {
  return smtPathKey(pathSource, depth + 1, keyBit(pathSource, depth) !== side);
}

/** First index in [lo, hi) whose key hash has bit `depth` set; items are sorted and share the first `depth` bits. */
function firstWithBitSet(items: readonly { readonly keyHash: Uint8Array }[], lo: number, hi: number, depth: number): number {
  let low = lo;
  let high = hi;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keyBit((items[middle] as { keyHash: Uint8Array }).keyHash, depth) === 1) high = middle;
    else low = middle + 1;
  }
  return low;
}
