import type { DatabaseSync } from "node:sqlite";
import { stateError } from "./errors.ts";
import { withSavepoint } from "./savepoint.ts";

/**
 * Tables of the state store, in the caller's database next to its own tables (the node's
 * chain.db), so a block and its state commit in one SQLite transaction. The store keeps its
 * own schema version (table state_schema) rather than PRAGMA user_version, which belongs to
 * the database's owner.
 *
 *   state_versions: one row per version: its root and what it made stale (for pruning).
 *   state_nodes:    tree nodes, immutable, keyed by (path, version that wrote them).
 *   state_values:   values, immutable, keyed by (key hash, version); value NULL = deleted.
 */
export const STATE_SCHEMA_VERSION = 1;

const CREATE_TABLES = `
  CREATE TABLE IF NOT EXISTS state_schema (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    schema_version INTEGER NOT NULL,
    pruned_before INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS state_versions (
    version INTEGER PRIMARY KEY,
    root BLOB NOT NULL,
    stale_nodes BLOB NOT NULL,
    stale_values BLOB NOT NULL
  );
  CREATE TABLE IF NOT EXISTS state_nodes (
    path BLOB NOT NULL,
    version INTEGER NOT NULL,
    node BLOB NOT NULL,
    PRIMARY KEY (path, version)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS state_values (
    key_hash BLOB NOT NULL,
    version INTEGER NOT NULL,
    key BLOB NOT NULL,
    value BLOB,
    PRIMARY KEY (key_hash, version)
  ) WITHOUT ROWID;
`;

/** Creates the tables on first use; refuses a database written by a newer store. */
export function createStateTables(db: DatabaseSync): void {
  withSavepoint(db, "state_open", () => {
    db.exec(CREATE_TABLES);
    const row = db.prepare("SELECT schema_version FROM state_schema WHERE id = 0").get() as { schema_version: number } | undefined;
    if (row === undefined) {
      db.prepare("INSERT INTO state_schema (id, schema_version, pruned_before) VALUES (0, ?, 0)").run(STATE_SCHEMA_VERSION);
      return;
    }
    if (row.schema_version > STATE_SCHEMA_VERSION) {
      throw stateError("STATE_SCHEMA_TOO_NEW", `the state tables have schema version ${row.schema_version}, newer than this ghostmesh supports (${STATE_SCHEMA_VERSION}); upgrade ghostmesh`, {
        schemaVersion: row.schema_version,
        schemaVersionSupported: STATE_SCHEMA_VERSION,
      });
    }
  });
}
