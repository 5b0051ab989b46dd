/**
 * Reading a tree version that is prepared but not applied: the base of a speculative block
 * (consensus executes a block on top of an uncommitted parent, docs/decisions/0200). A chain
 * of prepared updates, newest first, is laid over the store's latest version: a node path is
 * read from the newest update that wrote it, else from the store. This is exact because an
 * update writes every node it changes and a read only follows paths its parent points at, so
 * rows of removed paths below an overlay are never reached (as in the store, 0400).
 */
import { decodeSmtNode } from "../merkle/index.ts";
import type { SmtNode, SmtNodeSource, SmtNodeWrite, SmtStoredNode } from "../merkle/index.ts";
import { assert, bytesEqual } from "../util/index.ts";
import { stateError } from "./errors.ts";
import { pathKeyString } from "./nodeCache.ts";
import type { StateNodeCache } from "./nodeCache.ts";
import type { PreparedStateUpdate } from "./types.ts";

/**
 * At most this many unapplied versions under one prepare. The consensus engine stages at most
 * 4,096 blocks ahead of its committed head (consensus stagedBlocksMax), so a validator never
 * executes deeper; each read checks every layer, so the bound also bounds a read's cost.
 */
export const STATE_PREPARE_BASES_MAX = 4096;

type LatestVersion = { readonly version: number | null; readonly root: Uint8Array };

/**
 * Node rows of a prepared update keyed by path (pathKeyString), built once per update on first
 * use as a base. Rows are decoded only when read, with the hash the update computed (no hashing).
 */
const nodeIndexes = new WeakMap<PreparedStateUpdate, ReadonlyMap<string, SmtNodeWrite>>();

function nodeIndexOf(prepared: PreparedStateUpdate): ReadonlyMap<string, SmtNodeWrite> {
  let index = nodeIndexes.get(prepared);
  if (index === undefined) {
    const built = new Map<string, SmtNodeWrite>();
    for (const row of prepared.rows.nodes) built.set(pathKeyString(row.path), row);
    assert(built.size === prepared.rows.nodes.length, "nodeIndexOf: an update writes each path once");
    index = built;
    nodeIndexes.set(prepared, index);
  }
  return index;
}

/**
 * Checks that `bases` (newest first) form one chain ending on the store's latest version:
 * each was prepared on the next, and the oldest on `latest`. Anything else means a base was
 * applied, replaced or never belonged here: STATE_STALE_BASE, prepare on the current state.
 */
export function checkBases(bases: readonly PreparedStateUpdate[], latest: LatestVersion): void {
  if (bases.length > STATE_PREPARE_BASES_MAX) {
    throw stateError("STATE_TOO_MANY_BASES", `prepare: ${bases.length} unapplied base versions, above the limit ${STATE_PREPARE_BASES_MAX}`, {
      baseCount: bases.length,
      baseCountMax: STATE_PREPARE_BASES_MAX,
    });
  }
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i] as PreparedStateUpdate;
    const below = bases[i + 1];
    const expected: LatestVersion = below === undefined ? latest : { version: below.version, root: below.root };
    if (base.baseVersion !== expected.version || !bytesEqual(base.baseRoot, expected.root)) {
      const what = below === undefined ? `the latest version ${expected.version}` : `base version ${expected.version}`;
      throw stateError("STATE_STALE_BASE", `prepare: base version ${base.version} was prepared on version ${base.baseVersion}, not on ${what}; prepare it again on the current state`, {
        version: base.version,
        baseVersion: base.baseVersion,
        expectedBaseVersion: expected.version,
      });
    }
  }
}

/**
 * The store's latest version as the overlay reads it: SQLite rows, and its node cache.
 */
export type LatestTree = {
  readonly readNode: (path: Uint8Array, version: number) => SmtStoredNode | undefined;
  readonly cache: StateNodeCache;
};

/**
 * The tree after the newest of `bases`: their node rows, newest first, over `latest` (the
 * store's latest applied version, through its node cache). Without bases, that version itself.
 */
export function overlaySource(bases: readonly PreparedStateUpdate[], latest: LatestTree): SmtNodeSource {
  const layers = bases.map((prepared) => ({ version: prepared.version, rows: nodeIndexOf(prepared) }));
  const { cache } = latest;
  const layerRow = (pathKey: string): { version: number; row: SmtNodeWrite } | undefined => {
    for (const layer of layers) {
      const row = layer.rows.get(pathKey);
      if (row !== undefined) return { version: layer.version, row };
    }
    return undefined;
  };
  return {
    cachedNode(path: Uint8Array, expectedHash: Uint8Array): SmtNode | undefined {
      const pathKey = pathKeyString(path);
      const found = layerRow(pathKey);
      if (found === undefined) return cache.get(pathKey, expectedHash);
      // A mismatch falls through to readNode, which returns the same layer row, and loadNode reports it.
      if (!bytesEqual(found.row.hash, expectedHash)) return undefined;
      const node = decodeSmtNode({ version: found.version, bytes: found.row.bytes }, found.row.hash);
      assert(node !== undefined, "overlaySource: an update writes well-formed nodes");
      return node;
    },
    readNode(path: Uint8Array, version: number): SmtStoredNode | undefined {
      const layer = layers.find((candidate) => candidate.version === version);
      if (layer === undefined) return latest.readNode(path, version);
      const row = layer.rows.get(pathKeyString(path));
      // A copy: the tree hands views of node bytes to its callers (SmtNodeSource contract).
      return row === undefined ? undefined : { version, bytes: row.bytes.slice() };
    },
    nodeLoaded(path: Uint8Array, node: SmtNode, bytes: Uint8Array): void {
      // Only reached for rows read from the store (a layer's rows are always found by cachedNode).
      const pathKey = pathKeyString(path);
      if (layerRow(pathKey) === undefined) cache.set(pathKey, node.version, node.hash, bytes);
    },
  };
}
