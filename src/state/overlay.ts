/**
 * Reading a tree version that is prepared but not applied: the base of a speculative block
 * (consensus executes a block on top of an uncommitted parent, docs/decisions/0200). A chain
 * of prepared updates, newest first, is laid over the store's latest version: a node path is
 * read from the newest update that wrote it, else from the store. This is exact because an
 * update writes every node it changes and a read only follows paths its parent points at, so
 * rows of removed paths below an overlay are never reached (as in the store, 0400).
 */
import type { SmtNodeSource, SmtStoredNode } from "../merkle/index.ts";
import { assert, bytesEqual, toHex } from "../util/index.ts";
import { stateError } from "./errors.ts";
import type { PreparedStateUpdate } from "./types.ts";

/**
 * At most this many unapplied versions under one prepare. The consensus engine stages at most
 * 4,096 blocks ahead of its committed head (consensus stagedBlocksMax), so a validator never
 * executes deeper; each read checks every layer, so the bound also bounds a read's cost.
 */
export const STATE_PREPARE_BASES_MAX = 4096;

type LatestVersion = { readonly version: number | null; readonly root: Uint8Array };

/** Node rows of a prepared update by hex path, built once per update on first use as a base. */
const nodeIndexes = new WeakMap<PreparedStateUpdate, ReadonlyMap<string, Uint8Array>>();

function nodeIndexOf(prepared: PreparedStateUpdate): ReadonlyMap<string, Uint8Array> {
  let index = nodeIndexes.get(prepared);
  if (index === undefined) {
    const built = new Map<string, Uint8Array>();
    for (const node of prepared.rows.nodes) built.set(toHex(node.path), node.bytes);
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

/** The tree after the newest of `bases`: their node rows, newest first, over `store` (the latest applied version). */
export function overlaySource(bases: readonly PreparedStateUpdate[], store: SmtNodeSource): SmtNodeSource {
  if (bases.length === 0) return store;
  const layers = bases.map((prepared) => ({ version: prepared.version, nodes: nodeIndexOf(prepared) }));
  return {
    readNode(path: Uint8Array): SmtStoredNode | undefined {
      const pathHex = toHex(path);
      for (const layer of layers) {
        const bytes = layer.nodes.get(pathHex);
        // A copy: the tree hands views of node bytes to its callers (SmtNodeSource contract).
        if (bytes !== undefined) return { version: layer.version, bytes: bytes.slice() };
      }
      return store.readNode(path);
    },
  };
}
