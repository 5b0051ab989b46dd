import type { DatabaseSync, StatementSync } from "node:sqlite";
import { stateError } from "./errors.ts";

/**
 * Node rows are inserted this many per statement: one call into SQLite per 64 rows instead
 * of one per row (the ledger measured ~40% faster inserts this way). 64 * 3 bound values is
 * far below SQLite's limit of 32,766 variables per statement.
 */
export const NODE_ROWS_PER_INSERT = 64;

export type StateStatements = ReturnType<typeof prepareStateStatements>;

export function prepareStateStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  const rows = (sql: string): StatementSync => {
    // Arrays instead of objects per row: the hot reads skip building a property map.
    const statement = db.prepare(sql);
    statement.setReturnArrays(true);
    return statement;
  };
  return {
    latest: rows("SELECT version, root, root_version FROM state_versions ORDER BY version DESC LIMIT 1"),
    rootAt: rows("SELECT version, root, root_version FROM state_versions WHERE version <= ? ORDER BY version DESC LIMIT 1"),
    prunedBefore: rows("SELECT pruned_before FROM state_schema WHERE id = 0"),
    proofsPrunedBefore: rows("SELECT proofs_pruned_before FROM state_schema WHERE id = 0"),
    node: rows("SELECT node FROM state_nodes WHERE version = ? AND path = ?"),
    valueAt: rows("SELECT value FROM state_values WHERE key_hash = ? AND version <= ? ORDER BY version DESC LIMIT 1"),
    // No index on version: a full scan, for the rare emergency rollback (decision 0603), not per block.
    keysWrittenBetween: rows("SELECT DISTINCT key FROM state_values WHERE version > ? AND version <= ? ORDER BY key LIMIT ?"),
    insertNode: p("INSERT INTO state_nodes (version, path, node) VALUES (?, ?, ?)"),
    insertNodes: p(`INSERT INTO state_nodes (version, path, node) VALUES ${new Array(NODE_ROWS_PER_INSERT).fill("(?, ?, ?)").join(", ")}`),
    insertValue: p("INSERT INTO state_values (key_hash, version, key, value) VALUES (?, ?, ?, ?)"),
    insertVersion: p("INSERT INTO state_versions (version, root, root_version, stale_nodes, stale_values) VALUES (?, ?, ?, ?, ?)"),
    staleLists: rows("SELECT version, stale_nodes, stale_values FROM state_versions WHERE version > ? AND version <= ? ORDER BY version"),
    staleNodeLists: rows("SELECT version, stale_nodes FROM state_versions WHERE version > ? AND version <= ? ORDER BY version LIMIT ?"),
    setStaleNodes: p("UPDATE state_versions SET stale_nodes = ? WHERE version = ?"),
    clearStaleLists: p("UPDATE state_versions SET stale_nodes = x'', stale_values = x'' WHERE version > ? AND version <= ?"),
    deleteNode: p("DELETE FROM state_nodes WHERE version = ? AND path = ?"),
    deleteValue: p("DELETE FROM state_values WHERE key_hash = ? AND version = ?"),
    // The whole state's bound is the proofs' too: nothing below it is left to prove with.
    setPrunedBefore: p("UPDATE state_schema SET pruned_before = ?, proofs_pruned_before = max(proofs_pruned_before, ?) WHERE id = 0"),
    setProofsPrunedBefore: p("UPDATE state_schema SET proofs_pruned_before = ? WHERE id = 0"),
  };
}

/** The oldest readable version (state_schema.pruned_before); the row exists from openStateStore on. */
export function readPrunedBefore(s: StateStatements): number {
  return readStateSchemaBound(s.prunedBefore);
}

/** The oldest version whose every proof is answered (state_schema.proofs_pruned_before; >= pruned_before). */
export function readProofsPrunedBefore(s: StateStatements): number {
  return readStateSchemaBound(s.proofsPrunedBefore);
}

function readStateSchemaBound(statement: StatementSync): number {
  const row = statement.get() as [number] | undefined;
  if (row === undefined) {
    throw stateError("STATE_STORE_CORRUPT", "the state_schema row is missing; the state database is damaged", { table: "state_schema" });
  }
  return row[0];
}
