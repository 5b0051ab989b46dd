/**
 * SQLite schema of a node's chain database, with migrations in code. `user_version` holds
 * the schema version; each migration runs once, inside a transaction.
 */
import type { DatabaseSync } from "node:sqlite";

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
  CREATE TABLE blocks (
    height INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    header BLOB NOT NULL,
    log_size INTEGER NOT NULL,
    evidence BLOB NOT NULL,
    qc BLOB NOT NULL
  );
  CREATE TABLE txs (
    hash BLOB PRIMARY KEY,
    height INTEGER NOT NULL,
    position INTEGER NOT NULL,
    first_leaf INTEGER NOT NULL,
    leaf_count INTEGER NOT NULL,
    bytes BLOB NOT NULL
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX txs_by_height ON txs(height, position);
  CREATE TABLE entries (
    leaf_index INTEGER PRIMARY KEY,
    height INTEGER NOT NULL,
    sender BLOB NOT NULL,
    action TEXT,
    bytes BLOB NOT NULL
  );
  CREATE INDEX entries_by_action ON entries(action, leaf_index) WHERE action IS NOT NULL;
  CREATE INDEX entries_by_sender ON entries(sender, leaf_index);
  CREATE TABLE log_tiles (
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hashes BLOB NOT NULL,
    PRIMARY KEY (level, idx)
  ) WITHOUT ROWID;
  CREATE TABLE state (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
  `,
  // 2: consensus state of a validator (docs/decisions/0200): its safety rules (one row),
  // validated blocks not yet committed, equivocation evidence not yet committed, and the
  // keys of evidence already committed (a block may carry an equivocation only once).
  `
  CREATE TABLE consensus_safety (id INTEGER PRIMARY KEY CHECK (id = 0), state BLOB NOT NULL);
  CREATE TABLE consensus_blocks (hash BLOB PRIMARY KEY, height INTEGER NOT NULL, block BLOB NOT NULL) WITHOUT ROWID;
  CREATE INDEX consensus_blocks_by_height ON consensus_blocks(height);
  CREATE TABLE consensus_evidence (key TEXT PRIMARY KEY, evidence BLOB NOT NULL) WITHOUT ROWID;
  CREATE TABLE evidence_committed (key TEXT PRIMARY KEY, height INTEGER NOT NULL) WITHOUT ROWID;
  `,
  // 3: transactions in a rowid table, found by hash through a unique index. WITHOUT ROWID
  // suits small rows; a signed transaction is ~3.5 KB (its ML-DSA-65 signature alone is
  // 3,309 bytes), and inserting such rows keyed by a random hash cost ~70-80 µs each against
  // ~30-35 µs here (20,000 rows, 200 per transaction, WAL, synchronous=FULL). Rows are
  // appended in (height, position) order.
  `
  CREATE TABLE txs_by_rowid (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    height INTEGER NOT NULL,
    position INTEGER NOT NULL,
    first_leaf INTEGER NOT NULL,
    leaf_count INTEGER NOT NULL,
    bytes BLOB NOT NULL
  );
  INSERT INTO txs_by_rowid (hash, height, position, first_leaf, leaf_count, bytes)
    SELECT hash, height, position, first_leaf, leaf_count, bytes FROM txs ORDER BY height, position;
  DROP TABLE txs;
  ALTER TABLE txs_by_rowid RENAME TO txs;
  CREATE UNIQUE INDEX txs_by_height ON txs(height, position);
  `,
  // 4: blocks whose txRoot commits to each transaction's signature (decision 0005). No table
  // changes; `migrate` refuses a store that already holds transactions, whose blocks have
  // the earlier txRoot that this build can neither verify nor serve to its peers.
  `SELECT 1;`,
  // 5: each certificate stored once. A committed block's QC is almost always the justify in
  // its child's header (consensus commits a block with exactly that QC), ~10 KB of ML-DSA-65
  // signatures at n = 4 that the blocks table held twice. block_qcs keeps the head's
  // certificate, which no stored header carries yet, and any that differs from its child's
  // justify; a block without a row is certified by the justify of the block above it.
  `
  CREATE TABLE block_qcs (height INTEGER PRIMARY KEY, qc BLOB NOT NULL);
  INSERT INTO block_qcs (height, qc) SELECT height, qc FROM blocks;
  ALTER TABLE blocks DROP COLUMN qc;
  `,
];

const TXROOT_WITH_SIGNATURES_VERSION = 4;

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the schema to `targetVersion` (the latest unless a test wants an older one to migrate from). */
export function migrate(db: DatabaseSync, targetVersion: number = SCHEMA_VERSION): void {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  const current = row.user_version;
  if (current > SCHEMA_VERSION) {
    throw new Error(`database schema version ${current} is newer than this ghostmesh supports (${SCHEMA_VERSION}); upgrade ghostmesh`);
  }
  if (current < TXROOT_WITH_SIGNATURES_VERSION && targetVersion >= TXROOT_WITH_SIGNATURES_VERSION && current > 0 && holdsTransactions(db)) {
    throw new Error(
      `it holds blocks of an earlier ghostmesh (schema ${current}), whose txRoot leaves transaction signatures out; this ghostmesh can neither verify nor extend them. Start a new chain (ghostmesh init, or devnet with a new --dir), or keep running the ghostmesh that wrote it`,
    );
  }
  for (let version = current; version < targetVersion; version++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(MIGRATIONS[version] as string);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  }
}

function holdsTransactions(db: DatabaseSync): boolean {
  return db.prepare("SELECT 1 FROM txs LIMIT 1").get() !== undefined;
}
