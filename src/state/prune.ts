import type { DatabaseSync } from "node:sqlite";
import { withSavepoint } from "./savepoint.ts";
import { decodeStaleNodes, decodeStaleValues } from "./staleList.ts";
import { readPrunedBefore } from "./statements.ts";
import type { StateStatements } from "./statements.ts";
import type { StatePruneResult } from "./types.ts";

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
    s.setPrunedBefore.run(version);
    return { prunedBefore: version, nodesDeleted, valuesDeleted };
  });
}
