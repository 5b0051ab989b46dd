import type { DatabaseSync } from "node:sqlite";
import type { SmtStaleNode } from "../merkle/index.ts";
import { withSavepoint } from "./savepoint.ts";
import { decodeStaleNodes, decodeStaleValues, encodeStaleNodes } from "./staleList.ts";
import { readProofsPrunedBefore, readPrunedBefore } from "./statements.ts";
import type { StateStatements } from "./statements.ts";
import type { StateProofsPruneOptions, StateProofsPruneResult, StatePruneResult } from "./types.ts";

/**
 * Deletes the rows no version >= `version` can reach. A row listed as stale by version V is
 * used only by versions below V, so every list of a version <= `version` is done with. Lists
 * are processed once: from the previous bound (exclusive) to `version` (inclusive), then
 * emptied; roots stay. One savepoint: all or nothing, inside or outside the caller's transaction.
 */
export function pruneStateBefore(db: DatabaseSync, s: StateStatements, version: number): StatePruneResult {
  const previous = readPrunedBefore(s);
  if (version <= previous) return { prunedBefore: previous, nodesDeleted: 0, valuesDeleted: 0 };
  return withSavepoint(db, "state_prune", () => {
    let nodesDeleted = 0;
    let valuesDeleted = 0;
    for (const row of s.staleLists.iterate(previous, version)) {
      const [listVersion, staleNodes, staleValues] = row as unknown as [number, Uint8Array, Uint8Array];
      for (const node of decodeStaleNodes(staleNodes, listVersion)) {
        nodesDeleted += Number(s.deleteNode.run(node.version, node.path).changes);
      }
      for (const value of decodeStaleValues(staleValues, listVersion)) {
        valuesDeleted += Number(s.deleteValue.run(value.keyHash, value.version).changes);
      }
    }
    s.clearStaleLists.run(previous, version);
    s.setPrunedBefore.run(version, version);
    return { prunedBefore: version, nodesDeleted, valuesDeleted };
  });
}

/**
 * Deletes the tree nodes that neither a version >= `version` nor a kept height reaches; values,
 * roots and stale value lists stay, so every version still reads (get, keysWrittenAfter, root).
 * A node written by version W and listed stale by version V is in the tree of every height from
 * W to V - 1 (the state at a height is its latest version's). It stays when one of those heights
 * is kept (opts.keptHeightInterval), and so does its entry in V's list, which pruneBefore
 * processes later. Lists are read once, from the previous bound (exclusive); at most
 * opts.versionsMax of them per call, and the bound then ends at the last one done (a node listed
 * by version V is only in trees below V). One savepoint: all or nothing.
 */
export function pruneStateProofsBefore(db: DatabaseSync, s: StateStatements, version: number, opts: StateProofsPruneOptions = {}): StateProofsPruneResult {
  const previous = readProofsPrunedBefore(s);
  if (version <= previous) return { proofsPrunedBefore: previous, nodesDeleted: 0, versionsDone: 0 };
  const interval = opts.keptHeightInterval ?? 0;
  const versionsMax = opts.versionsMax;
  return withSavepoint(db, "state_prune_proofs", () => {
    let nodesDeleted = 0;
    // all(), not iterate(): the loop rewrites rows of the table it reads.
    const lists = s.staleNodeLists.all(previous, version, versionsMax ?? -1) as unknown as [number, Uint8Array][];
    for (const [listVersion, staleNodes] of lists) {
      if (staleNodes.byteLength === 0) continue;
      const stale = decodeStaleNodes(staleNodes, listVersion);
      const kept: SmtStaleNode[] = [];
      for (const node of stale) {
        if (keepsHeightBetween(node.version, listVersion, interval)) kept.push(node);
        else nodesDeleted += Number(s.deleteNode.run(node.version, node.path).changes);
      }
      if (kept.length !== stale.length) s.setStaleNodes.run(encodeStaleNodes(kept), listVersion);
    }
    const last = lists.at(-1)?.[0];
    const bound = versionsMax !== undefined && lists.length === versionsMax && last !== undefined ? last : version;
    s.setProofsPrunedBefore.run(bound);
    return { proofsPrunedBefore: bound, nodesDeleted, versionsDone: lists.length };
  });
}

/** Whether a kept height h ((h + 1) % interval === 0; none when interval is 0) lies in [from, toExclusive). */
function keepsHeightBetween(from: number, toExclusive: number, interval: number): boolean {
  if (interval === 0) return false;
  // The largest multiple of the interval at or below toExclusive is h + 1 for the last kept h below it.
  return Math.floor(toExclusive / interval) * interval >= from + 1;
}
