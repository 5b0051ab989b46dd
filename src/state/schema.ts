import type { DatabaseSync } from "node:sqlite";
import { HASH_SIZE_BYTES } from "../crypto/index.ts";
import { decodeSmtNode, encodeSmtInternalNode, isEmptySmtHash, smtPathKey } from "../merkle/index.ts";
import { toHex } from "../util/index.ts";
import { stateError } from "./errors.ts";
import { withSavepoint } from "./savepoint.ts";

/**
 * Tables of the state store, in the caller's database next to its own tables (the node's
 * chain.db), so a block and its state commit in one SQLite transaction. The store keeps its
 * own schema version (table state_schema) rather than PRAGMA user_version, which belongs to
 * the database's owner.
 *
 *   state_versions: one row per version: its root, the version of the row holding the root
 *                   node, and what it made stale (for pruning).
 *   state_nodes:    tree nodes, immutable, keyed by (version that wrote them, path): a version's
 *                   rows are appended together at the end of the table, and each is read by
 *                   its exact key, which its parent records (merkle/smtNode.ts).
 *   state_values:   values, immutable, keyed by (key hash, version); value NULL = deleted.
 *
 * Schema 1 keyed nodes by (path, version) and read the newest row at or below a version;
 * each block's rows then landed on as many pages as it changed paths (decision 0400).
 * Schema 3 adds state_schema.proofs_pruned_before: the versions from which every proof is
 * still answered once tree nodes alone are pruned (StateStore.pruneProofsBefore).
 */
export const STATE_SCHEMA_VERSION = 3;

/** Also what the schema 1 migration creates, once the old table is renamed away. */
const CREATE_STATE_NODES = `
  CREATE TABLE IF NOT EXISTS state_nodes (
    version INTEGER NOT NULL,
    path BLOB NOT NULL,
    node BLOB NOT NULL,
    PRIMARY KEY (version, path)
  ) WITHOUT ROWID;
`;

const CREATE_TABLES = `
  CREATE TABLE IF NOT EXISTS state_schema (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    schema_version INTEGER NOT NULL,
    pruned_before INTEGER NOT NULL,
    proofs_pruned_before INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS state_versions (
    version INTEGER PRIMARY KEY,
    root BLOB NOT NULL,
    stale_nodes BLOB NOT NULL,
    stale_values BLOB NOT NULL,
    root_version INTEGER NOT NULL DEFAULT 0
  );
  ${CREATE_STATE_NODES}
  CREATE TABLE IF NOT EXISTS state_values (
    key_hash BLOB NOT NULL,
    version INTEGER NOT NULL,
    key BLOB NOT NULL,
    value BLOB,
    PRIMARY KEY (key_hash, version)
  ) WITHOUT ROWID;
`;

/** How far an in-place migration of the state tables has come: node rows rewritten of all. */
export type StateMigrationProgress = (progress: { readonly fromSchema: number; readonly rowsDone: number; readonly rowsTotal: number; readonly finished: boolean }) => void;

/** A migration reports at its start, every this many rows, and at its end. */
export const STATE_MIGRATION_PROGRESS_ROWS = 100_000;

/**
 * Creates the tables on first use, brings schema 1 tables to 2 (reporting its progress: a large
 * store takes minutes) and 2 to 3; refuses a database written by a newer store.
 */
export function createStateTables(db: DatabaseSync, onMigrationProgress?: StateMigrationProgress): void {
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
    if (row.schema_version === 1) migrateFromSchema1(db, onMigrationProgress);
    if (row.schema_version <= 2) migrateFromSchema2(db);
  });
}

/** Schema 2 to 3: the proofs' own pruning bound, which starts where the whole state's is. */
function migrateFromSchema2(db: DatabaseSync): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('state_schema')").all() as { name: string }[];
  if (!columns.some((column) => column.name === "proofs_pruned_before")) db.exec("ALTER TABLE state_schema ADD COLUMN proofs_pruned_before INTEGER NOT NULL DEFAULT 0");
  db.prepare("UPDATE state_schema SET proofs_pruned_before = pruned_before, schema_version = 3 WHERE id = 0").run();
}

/**
 * Schema 1 to 2, inside createStateTables' savepoint: node rows move to the (version, path)
 * key, each internal node gains its children's row versions and each version its root node's
 * row version. The row a schema 1 read found for a child of a node written at version V, or
 * for the root of version V, is the newest row at that path at or below V; the migration looks
 * that up once per row. A child whose rows were all pruned (only versions below pruned_before
 * point at it, and they can no longer be read) gets 0.
 */
function migrateFromSchema1(db: DatabaseSync, onProgress: StateMigrationProgress = () => {}): void {
  db.exec("ALTER TABLE state_nodes RENAME TO state_nodes_schema1");
  const rowsTotal = (db.prepare("SELECT count(*) AS rows FROM state_nodes_schema1").get() as { rows: number }).rows;
  let rowsDone = 0;
  onProgress({ fromSchema: 1, rowsDone, rowsTotal, finished: false });
  db.exec(CREATE_STATE_NODES);
  db.exec("ALTER TABLE state_versions ADD COLUMN root_version INTEGER NOT NULL DEFAULT 0");
  const newestAtOrBelow = db.prepare("SELECT version FROM state_nodes_schema1 WHERE path = ? AND version <= ? ORDER BY version DESC LIMIT 1");
  newestAtOrBelow.setReturnArrays(true);
  const rowVersion = (path: Uint8Array, version: number): number => (newestAtOrBelow.get(path, version) as [number] | undefined)?.[0] ?? 0;
  const insert = db.prepare("INSERT INTO state_nodes (version, path, node) VALUES (?, ?, ?)");
  for (const row of db.prepare("SELECT path, version, node FROM state_nodes_schema1 ORDER BY version, path").iterate()) {
    const { path, version, node } = row as { path: Uint8Array; version: number; node: Uint8Array };
    insert.run(version, path, migratedNode(path, version, node, rowVersion));
    rowsDone++;
    if (rowsDone % STATE_MIGRATION_PROGRESS_ROWS === 0) onProgress({ fromSchema: 1, rowsDone, rowsTotal, finished: false });
  }
  const setRootVersion = db.prepare("UPDATE state_versions SET root_version = ? WHERE version = ?");
  const rootPath = smtPathKey(new Uint8Array(HASH_SIZE_BYTES), 0);
  for (const row of db.prepare("SELECT version, root FROM state_versions").all()) {
    const { version, root } = row as { version: number; root: Uint8Array };
    setRootVersion.run(isEmptySmtHash(root) ? 0 : rowVersion(rootPath, version), version);
  }
  db.exec("DROP TABLE state_nodes_schema1");
  db.prepare("UPDATE state_schema SET schema_version = 2 WHERE id = 0").run();
  onProgress({ fromSchema: 1, rowsDone, rowsTotal, finished: true });
}

const SCHEMA1_INTERNAL_SIZE_BYTES = 1 + 2 * HASH_SIZE_BYTES;

/** A schema 1 row in the schema 2 form: leaves are unchanged, internal nodes gain their children's row versions. */
function migratedNode(path: Uint8Array, version: number, node: Uint8Array, rowVersion: (path: Uint8Array, version: number) => number): Uint8Array {
  if (node[0] !== 0x01 || node.byteLength !== SCHEMA1_INTERNAL_SIZE_BYTES) {
    if (decodeSmtNode({ version, bytes: node }) === undefined) {
      throw stateError("STATE_STORE_CORRUPT", `state_nodes row at path ${toHex(path)} (version ${version}) is no tree node; the state database is damaged`, { path: toHex(path), version });
    }
    return node;
  }
  const depth = ((path[path.byteLength - 2] as number) << 8) | (path[path.byteLength - 1] as number);
  const prefix = new Uint8Array(HASH_SIZE_BYTES);
  prefix.set(path.subarray(0, path.byteLength - 2));
  const left = node.subarray(1, 1 + HASH_SIZE_BYTES);
  const right = node.subarray(1 + HASH_SIZE_BYTES);
  const leftVersion = isEmptySmtHash(left) ? 0 : rowVersion(smtPathKey(prefix, depth + 1), version);
  const rightVersion = isEmptySmtHash(right) ? 0 : rowVersion(smtPathKey(prefix, depth + 1, true), version);
  return encodeSmtInternalNode(left, leftVersion, right, rightVersion);
}
