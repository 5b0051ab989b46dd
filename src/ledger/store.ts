/**
 * The chain store: blocks, transactions, log entries, log tiles and state in one SQLite
 * database (DESIGN §4). A block commits in one SQLite transaction (WAL, synchronous=FULL unless a
 * caller opts out: transaction's `durable`), so a crash leaves either the whole block or none of
 * it; reopening resumes at the last whole block.
 */
import { statSync } from "node:fs";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { TileReader, TileWrite } from "../merkle/index.ts";
import { encodeCanonical } from "../codec/index.ts";
import { GhostmeshError, assert, bytesContain } from "../util/index.ts";
import { decodeStoredHeader, decodeStoredQc } from "./decode.ts";
import { migrate } from "./store-schema.ts";
import type { QuorumCertificate } from "./types.ts";

/** A stored block; its certificate comes from `ChainStore.certificate` (schema 5). */
export type StoredBlockRow = {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly header: Uint8Array;
  readonly logSize: number;
  readonly evidence: Uint8Array;
};

export type StoredTxRow = {
  readonly hash: Uint8Array;
  readonly height: number;
  readonly position: number;
  readonly firstLeaf: number;
  readonly leafCount: number;
  readonly bytes: Uint8Array;
};

export type StoredEntryRow = {
  readonly leafIndex: number;
  readonly height: number;
  readonly sender: Uint8Array;
  readonly action: string | null;
  readonly bytes: Uint8Array;
};

export type StateWrite = { readonly key: Uint8Array; readonly value: Uint8Array };

/** Everything one block adds to the store; written atomically by `commitBlock`. */
export type BlockCommit = {
  /** With the canonical bytes of the QC that certifies it. */
  readonly block: StoredBlockRow & { readonly qc: Uint8Array };
  readonly txs: readonly StoredTxRow[];
  readonly entries: readonly StoredEntryRow[];
  readonly tiles: readonly TileWrite[];
  readonly stateWrites: readonly StateWrite[];
  /** Keys the block deleted (an emergency rollback restoring an absent key): their rows go. */
  readonly stateDeletes?: readonly Uint8Array[];
  /** Keys of the consensus evidence this block carries: committed with it, no longer pending. */
  readonly evidenceKeysCommitted?: readonly string[];
};

/** A validated, uncommitted block kept by a validator so a restart can resume with it. */
export type PendingBlockRow = { readonly hash: Uint8Array; readonly height: number; readonly block: Uint8Array };
export type PendingEvidenceRow = { readonly key: string; readonly evidence: Uint8Array };

export type EntryQuery = {
  readonly action?: string;
  readonly sender?: Uint8Array;
  readonly leafIndexFrom: number;
  readonly leafIndexTo: number;
  readonly limit: number;
};

/**
 * SQLite's default page cache is 2 MiB. A block of 100,000 entries dirties ~40 MiB of table
 * and index pages; with a small cache SQLite spills them to the WAL mid-transaction and reads
 * them back, which more than halves the insert rate (measured: 100k entry rows with both
 * indexes, ~1.1 s with the default cache, ~0.55 s with 64 MiB). Memory, not durability.
 */
const PAGE_CACHE_KIB = 64 * 1024;

/**
 * Where SQLite keeps its temporary files: the sub-journal of a SAVEPOINT and the statement
 * journal of a statement that may fail halfway (multi-row inserts, upserts), which hold the
 * original of each page changed inside them. In files (the build's default) each such page
 * was a `pwrite`: a 10,000-block sync made 951,000 pwrite calls, 236,000 with this (strace,
 * decision 0504 "Session 15"). They are bounded by what one statement or one block changes;
 * the sorts our queries need are small (they read through indexes).
 */
const TEMP_STORE = "MEMORY";

/**
 * Entries are inserted this many rows per statement: one call into SQLite per 64 rows instead
 * of per row (measured ~40% faster for 100k rows). 64 * 5 bound values stays far below
 * SQLite's limit on variables per statement (32,766).
 */
const ENTRY_ROWS_PER_INSERT = 64;

export class ChainStore implements TileReader {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** Inside `transaction` (not a caller's own BEGIN): the newest block's QC row is deferred. */
  private inOwnTransaction = false;
  /**
   * A write inside `transaction` threw. Its rows may be half written (writes inside the store's
   * own transaction take no SAVEPOINT), so the transaction must not commit, even if a caller
   * caught the error and went on: it rolls back instead.
   */
  private ownTransactionFailed = false;
  /**
   * The newest block's QC while `transaction` runs, not written yet: written when it commits,
   * unless a later block of the same transaction carries it as justify, and then never written
   * (schema 5 keeps one copy). A synced range of 100 blocks inserted and deleted 99 of them.
   */
  private headQcPending: { readonly height: number; readonly qc: Uint8Array } | null = null;

  constructor(path: string) {
    this.path = path;
    try {
      this.db = new DatabaseSync(path);
      this.db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -${PAGE_CACHE_KIB}; PRAGMA temp_store = ${TEMP_STORE};`);
      migrate(this.db);
    } catch (err) {
      throw new GhostmeshError("LEDGER_STORE_OPEN_FAILED", `cannot open chain database ${path}: ${(err as Error).message}`, { path }, { cause: err });
    }
    this.statements = prepareStatements(this.db);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /** SQLite's automatic checkpoint threshold for this connection, in WAL pages (0: never). */
  setWalAutocheckpointPages(pages: number): void {
    assert(Number.isSafeInteger(pages) && pages >= 0, "setWalAutocheckpointPages: a page count");
    if (this.db.isOpen) this.db.exec(`PRAGMA wal_autocheckpoint = ${pages}`);
  }

  getMeta(key: string): Uint8Array | undefined {
    const row = this.statements.getMeta.get(key) as { value: Uint8Array } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: Uint8Array): void {
    this.statements.setMeta.run(key, value);
  }

  /**
   * Writes one block and everything it adds in a single transaction. Asserts the block is
   * the next height, so a caller bug cannot leave a gap.
   */
  commitBlock(commit: BlockCommit): void {
    const head = this.headHeight();
    assert(commit.block.height === head + 1, `commitBlock: height ${commit.block.height} follows head ${head}`);
    if (this.inOwnTransaction) {
      // All or nothing with the rest of `transaction`, which rolls back if this throws (and
      // then resets the pending QC): no SAVEPOINT, whose sub-journal copies every page the
      // block changes first (decision 0504).
      this.joinOwnTransaction(() => this.insertBlockRows(commit));
      return;
    }
    if (this.db.isTransaction) {
      // Inside a caller's own BEGIN (a bundle import): all or nothing with the rest of it.
      const headQcBefore = this.headQcPending;
      this.db.exec("SAVEPOINT commit_block");
      try {
        this.insertBlockRows(commit);
        this.db.exec("RELEASE commit_block");
      } catch (err) {
        this.db.exec("ROLLBACK TO commit_block");
        this.db.exec("RELEASE commit_block");
        this.headQcPending = headQcBefore;
        throw err;
      }
      return;
    }
    this.db.exec("BEGIN IMMEDIATE");
    try {
      this.insertBlockRows(commit);
      this.db.exec("COMMIT");
    } catch (err) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw err;
    }
  }

  /**
   * Runs `write` in one transaction: several writes cost one commit (one WAL fsync with
   * synchronous=FULL) instead of one each, and are durable together when it returns. Nested
   * calls join the outer transaction. All or nothing: if a write inside throws, nothing of it
   * commits, even when a caller catches the error and goes on (then it throws on return).
   *
   * `durable: false` commits without the fsync (synchronous=NORMAL for this one commit): the
   * writes survive a crash of the process at once, and a crash of the machine once any later
   * durable commit has synced the WAL. For writes that can be recovered from elsewhere (a
   * block a quorum certified, decision 0200).
   */
  transaction<T>(write: () => T, opts: { durable?: boolean } = {}): T {
    if (this.db.isTransaction) return this.inOwnTransaction ? this.joinOwnTransaction(write) : write();
    const relaxed = opts.durable === false;
    if (relaxed) this.db.exec("PRAGMA synchronous = NORMAL");
    try {
      this.db.exec("BEGIN IMMEDIATE");
      this.inOwnTransaction = true;
      try {
        const result = write();
        assert(!this.ownTransactionFailed, "transaction: a write inside it failed and the error was caught; rolled back");
        this.writeHeadQcPending();
        this.db.exec("COMMIT");
        return result;
      } catch (err) {
        if (this.db.isTransaction) this.db.exec("ROLLBACK");
        throw err;
      }
    } finally {
      this.inOwnTransaction = false;
      this.ownTransactionFailed = false;
      this.headQcPending = null;
      if (relaxed) this.db.exec("PRAGMA synchronous = FULL");
    }
  }

  /** Runs `write` inside the store's own open transaction, marking it failed if `write` throws. */
  private joinOwnTransaction<T>(write: () => T): T {
    try {
      return write();
    } catch (err) {
      this.ownTransactionFailed = true;
      throw err;
    }
  }

  /**
   * True inside `transaction` when it began the SQLite transaction: a write that throws then
   * rolls all of it back (see `ownTransactionFailed`), so writes inside need no SAVEPOINT.
   */
  get atomicTransactionOpen(): boolean {
    return this.inOwnTransaction;
  }

  /**
   * Runs `read` in one read transaction: every read sees the store as of the first one, while
   * another connection (a running node) goes on committing; in WAL mode the writer is not
   * held up, only the WAL's checkpoint cannot pass the snapshot until it ends. For reads that
   * must agree with each other across many statements (`ghostmesh verify`). `read` must not write.
   */
  async readSnapshot<T>(read: () => Promise<T>): Promise<T> {
    assert(!this.db.isTransaction, "readSnapshot: not inside another transaction");
    this.db.exec("BEGIN DEFERRED");
    try {
      return await read();
    } finally {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
    }
  }

  private insertBlockRows(commit: BlockCommit): void {
    const s = this.statements;
    const b = commit.block;
    s.insertBlock.run(b.height, b.hash, b.header, b.logSize, b.evidence);
    // The parent's certificate is now the justify in this header: kept once (schema 5). Both
    // are canonical, so an equal QC appears verbatim in the header's bytes, and nothing else
    // in a header is long enough to hold a QC's encoding (any one signature is shorter).
    const pending = this.headQcPending;
    if (pending !== null) {
      assert(pending.height === b.height - 1, "insertBlockRows: the pending QC is the parent's");
      this.headQcPending = null;
      if (!bytesContain(b.header, pending.qc)) s.insertQc.run(pending.height, pending.qc);
    } else {
      const parentQc = this.storedCertificateBytes(b.height - 1);
      if (parentQc !== undefined && bytesContain(b.header, parentQc)) s.deleteQc.run(b.height - 1);
    }
    if (this.inOwnTransaction) this.headQcPending = { height: b.height, qc: b.qc };
    else s.insertQc.run(b.height, b.qc);
    for (const tx of commit.txs) s.insertTx.run(tx.hash, tx.height, tx.position, tx.firstLeaf, tx.leafCount, tx.bytes);
    insertEntries(s.insertEntry, s.insertEntries, commit.entries);
    for (const tile of commit.tiles) s.upsertTile.run(tile.tileLevel, tile.tileIndex, tile.hashes);
    for (const w of commit.stateWrites) s.upsertState.run(w.key, w.value);
    for (const key of commit.stateDeletes ?? []) s.deleteState.run(key);
    // Pending consensus blocks at or below a committed height can never be built on again.
    s.deletePendingBlocksUpTo.run(b.height);
    for (const key of commit.evidenceKeysCommitted ?? []) {
      s.deletePendingEvidence.run(key);
      s.insertCommittedEvidence.run(key, b.height);
    }
  }

  private writeHeadQcPending(): void {
    if (this.headQcPending === null) return;
    this.statements.insertQc.run(this.headQcPending.height, this.headQcPending.qc);
    this.headQcPending = null;
  }

  /** Height of the last committed block; 0 when only genesis exists. */
  headHeight(): number {
    const row = this.statements.headHeight.get() as { height: number | null };
    return row.height ?? 0;
  }

  getBlock(height: number): StoredBlockRow | undefined {
    return toBlockRow(this.statements.blockByHeight.get(height));
  }

  /**
   * The QC that certifies the stored block at `height` (callers hold its row): its own row
   * (the head's, or one that differs from its child's justify), else the justify in the
   * header of the block above (schema 5).
   * @throws GhostmeshError LEDGER_STORE_CORRUPT when there is neither, or it does not decode.
   */
  certificate(height: number): QuorumCertificate {
    const own = this.storedCertificateBytes(height);
    return own === undefined ? this.justifyAbove(height) : decodeStoredQc(own, height);
  }

  /** `certificate` as canonical bytes. */
  certificateBytes(height: number): Uint8Array {
    return this.storedCertificateBytes(height) ?? encodeCanonical(this.justifyAbove(height));
  }

  /** The certificate row of `height`, if it has one (see `certificate`). */
  storedCertificateBytes(height: number): Uint8Array | undefined {
    if (this.headQcPending?.height === height) return this.headQcPending.qc;
    return (this.statements.qcByHeight.get(height) as { qc: Uint8Array } | undefined)?.qc;
  }

  private justifyAbove(height: number): QuorumCertificate {
    const above = this.getBlock(height + 1);
    const justify = above === undefined ? null : decodeStoredHeader(above.header, height + 1).justify;
    if (justify === null) throw new GhostmeshError("LEDGER_STORE_CORRUPT", `block ${height} has no stored certificate, and no block above it carries one`, { height });
    return justify;
  }

  getBlockByHash(hash: Uint8Array): StoredBlockRow | undefined {
    return toBlockRow(this.statements.blockByHash.get(hash));
  }

  getTx(hash: Uint8Array): StoredTxRow | undefined {
    return toTxRow(this.statements.txByHash.get(hash));
  }

  txsOfBlock(height: number): StoredTxRow[] {
    return this.statements.txsByHeight.all(height).map((row) => toTxRow(row) as StoredTxRow);
  }

  getEntry(leafIndex: number): StoredEntryRow | undefined {
    return toEntryRow(this.statements.entryByIndex.get(leafIndex));
  }

  /** Entries with leafIndexFrom <= leaf_index < leafIndexTo, in log order. */
  entriesInRange(leafIndexFrom: number, leafIndexTo: number): StoredEntryRow[] {
    return this.statements.entriesRange.all(leafIndexFrom, leafIndexTo).map((row) => toEntryRow(row) as StoredEntryRow);
  }

  /** Iterates entries in log order without loading them all; for verify and export. */
  *iterateEntries(leafIndexFrom: number): Generator<StoredEntryRow> {
    for (const row of this.statements.entriesFrom.iterate(leafIndexFrom)) yield toEntryRow(row) as StoredEntryRow;
  }

  *iterateBlocks(heightFrom: number): Generator<StoredBlockRow> {
    for (const row of this.statements.blocksFrom.iterate(heightFrom)) yield toBlockRow(row) as StoredBlockRow;
  }

  queryEntries(query: EntryQuery): StoredEntryRow[] {
    const where = ["leaf_index >= ?", "leaf_index < ?", "action IS NOT NULL"];
    const params: (number | string | Uint8Array)[] = [query.leafIndexFrom, query.leafIndexTo];
    if (query.action !== undefined) {
      where.push("action = ?");
      params.push(query.action);
    }
    if (query.sender !== undefined) {
      where.push("sender = ?");
      params.push(query.sender);
    }
    const sql = `SELECT leaf_index, height, sender, action, bytes FROM entries WHERE ${where.join(" AND ")} ORDER BY leaf_index LIMIT ?`;
    params.push(query.limit);
    return this.db.prepare(sql).all(...params).map((row) => toEntryRow(row) as StoredEntryRow);
  }

  readTile(tileLevel: number, tileIndex: number): Uint8Array | undefined {
    const row = this.statements.tile.get(tileLevel, tileIndex) as { hashes: Uint8Array } | undefined;
    return row?.hashes;
  }

  *iterateTiles(): Generator<TileWrite> {
    for (const row of this.statements.tilesAll.iterate()) {
      const r = row as { level: number; idx: number; hashes: Uint8Array };
      yield { tileLevel: r.level, tileIndex: r.idx, hashes: r.hashes };
    }
  }

  getState(key: Uint8Array): Uint8Array | undefined {
    const row = this.statements.state.get(key) as { value: Uint8Array } | undefined;
    return row?.value;
  }

  *iterateState(): Generator<StateWrite> {
    for (const row of this.statements.stateAll.iterate()) {
      const r = row as { key: Uint8Array; value: Uint8Array };
      yield { key: r.key, value: r.value };
    }
  }

  // ---- consensus state of a validator (written inside the host's step transaction) -----------

  /** The persisted consensus safety state (encoded by the caller), if any. */
  loadSafetyState(): Uint8Array | undefined {
    const row = this.statements.safety.get() as { state: Uint8Array } | undefined;
    return row?.state;
  }

  /** Durable with the transaction it is written in (synchronous=FULL, or the caller's WAL sync after it); only then may a vote that depends on it leave. */
  saveSafetyState(state: Uint8Array): void {
    this.statements.upsertSafety.run(state);
  }

  savePendingBlock(row: PendingBlockRow): void {
    this.statements.insertPendingBlock.run(row.hash, row.height, row.block);
  }

  /** Pending blocks above `heightAbove`, lowest first. */
  pendingBlocks(heightAbove: number): PendingBlockRow[] {
    return this.statements.pendingBlocksAbove.all(heightAbove).map((row) => {
      const r = row as { hash: Uint8Array; height: number; block: Uint8Array };
      return { hash: r.hash, height: r.height, block: r.block };
    });
  }

  savePendingEvidence(row: PendingEvidenceRow): void {
    this.statements.insertPendingEvidence.run(row.key, row.evidence);
  }

  /** Forgets pending evidence that can no longer be committed (its epoch's set is gone). */
  deletePendingEvidence(key: string): void {
    this.statements.deletePendingEvidence.run(key);
  }

  pendingEvidence(): PendingEvidenceRow[] {
    return this.statements.pendingEvidenceAll.all().map((row) => {
      const r = row as { key: string; evidence: Uint8Array };
      return { key: r.key, evidence: r.evidence };
    });
  }

  /** Whether a committed block carried the evidence with this key. */
  isEvidenceCommitted(key: string): boolean {
    return this.statements.committedEvidence.get(key) !== undefined;
  }

  /** Raw access for offline tools and tests that corrupt a store on purpose. */
  unsafeDatabase(): DatabaseSync {
    return this.db;
  }

  /** The file's pages, those holding data and those free for reuse (`ghostmesh compact` gives the free ones back); null once closed. */
  pageSpace(): PageSpace | null {
    return this.db.isOpen ? pageSpaceOf(this.db) : null;
  }
}

/**
 * Takes SQLite's exclusive lock on `db` and holds it until `db` closes, for offline tools that
 * must be the store's only user (bundle import, compact). In WAL mode every open connection
 * holds a shared lock, so this throws SQLite's "database is locked" exactly when another
 * process (a running node) has the store open, and a node started meanwhile fails to open it.
 */
export function holdExclusiveLock(db: DatabaseSync): void {
  db.exec("PRAGMA busy_timeout = 0");
  db.exec("PRAGMA locking_mode = EXCLUSIVE");
  db.exec("BEGIN EXCLUSIVE");
  db.exec("COMMIT");
}

export type PageSpace = { readonly pageBytes: number; readonly pagesTotal: number; readonly pagesFree: number };

/** A SQLite store's database file and its write-ahead log on disk (0 for either not there). */
export function storeFileBytes(path: string): { readonly fileBytes: number; readonly walBytes: number } {
  const sizeOf = (file: string): number => statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  return { fileBytes: sizeOf(path), walBytes: sizeOf(`${path}-wal`) };
}

/** A SQLite database's page counts, as its header and free list give them (no table is read). */
export function pageSpaceOf(db: DatabaseSync): PageSpace {
  const pragma = (name: string): number => {
    const value = (db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown> | undefined)?.[name];
    assert(typeof value === "number", `PRAGMA ${name} answers a number`);
    return value;
  };
  return { pageBytes: pragma("page_size"), pagesTotal: pragma("page_count"), pagesFree: pragma("freelist_count") };
}

type SqlValue = number | string | null | Uint8Array;

/** Inserts the rows ENTRY_ROWS_PER_INSERT at a time, the remainder one by one. */
function insertEntries(insertOne: StatementSync, insertMany: StatementSync, entries: readonly StoredEntryRow[]): void {
  const values: SqlValue[] = new Array<SqlValue>(ENTRY_ROWS_PER_INSERT * 5);
  const fullChunksEnd = entries.length - (entries.length % ENTRY_ROWS_PER_INSERT);
  for (let start = 0; start < fullChunksEnd; start += ENTRY_ROWS_PER_INSERT) {
    for (let i = 0; i < ENTRY_ROWS_PER_INSERT; i++) {
      const e = entries[start + i] as StoredEntryRow;
      const at = i * 5;
      values[at] = e.leafIndex;
      values[at + 1] = e.height;
      values[at + 2] = e.sender;
      values[at + 3] = e.action;
      values[at + 4] = e.bytes;
    }
    insertMany.run(...values);
  }
  for (let i = fullChunksEnd; i < entries.length; i++) {
    const e = entries[i] as StoredEntryRow;
    insertOne.run(e.leafIndex, e.height, e.sender, e.action, e.bytes);
  }
}

function prepareStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  return {
    getMeta: p("SELECT value FROM meta WHERE key = ?"),
    setMeta: p("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
    insertBlock: p("INSERT INTO blocks (height, hash, header, log_size, evidence) VALUES (?, ?, ?, ?, ?)"),
    insertQc: p("INSERT INTO block_qcs (height, qc) VALUES (?, ?)"),
    qcByHeight: p("SELECT qc FROM block_qcs WHERE height = ?"),
    deleteQc: p("DELETE FROM block_qcs WHERE height = ?"),
    insertTx: p("INSERT INTO txs (hash, height, position, first_leaf, leaf_count, bytes) VALUES (?, ?, ?, ?, ?, ?)"),
    insertEntry: p("INSERT INTO entries (leaf_index, height, sender, action, bytes) VALUES (?, ?, ?, ?, ?)"),
    insertEntries: p(`INSERT INTO entries (leaf_index, height, sender, action, bytes) VALUES ${new Array(ENTRY_ROWS_PER_INSERT).fill("(?, ?, ?, ?, ?)").join(", ")}`),
    upsertTile: p("INSERT INTO log_tiles (level, idx, hashes) VALUES (?, ?, ?) ON CONFLICT(level, idx) DO UPDATE SET hashes = excluded.hashes"),
    upsertState: p("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
    deleteState: p("DELETE FROM state WHERE key = ?"),
    headHeight: p("SELECT MAX(height) AS height FROM blocks"),
    blockByHeight: p("SELECT height, hash, header, log_size, evidence FROM blocks WHERE height = ?"),
    blockByHash: p("SELECT height, hash, header, log_size, evidence FROM blocks WHERE hash = ?"),
    blocksFrom: p("SELECT height, hash, header, log_size, evidence FROM blocks WHERE height >= ? ORDER BY height"),
    txByHash: p("SELECT hash, height, position, first_leaf, leaf_count, bytes FROM txs WHERE hash = ?"),
    txsByHeight: p("SELECT hash, height, position, first_leaf, leaf_count, bytes FROM txs WHERE height = ? ORDER BY position"),
    entryByIndex: p("SELECT leaf_index, height, sender, action, bytes FROM entries WHERE leaf_index = ?"),
    entriesRange: p("SELECT leaf_index, height, sender, action, bytes FROM entries WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index"),
    entriesFrom: p("SELECT leaf_index, height, sender, action, bytes FROM entries WHERE leaf_index >= ? ORDER BY leaf_index"),
    tile: p("SELECT hashes FROM log_tiles WHERE level = ? AND idx = ?"),
    tilesAll: p("SELECT level, idx, hashes FROM log_tiles ORDER BY level, idx"),
    state: p("SELECT value FROM state WHERE key = ?"),
    stateAll: p("SELECT key, value FROM state ORDER BY key"),
    safety: p("SELECT state FROM consensus_safety WHERE id = 0"),
    upsertSafety: p("INSERT INTO consensus_safety (id, state) VALUES (0, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state"),
    insertPendingBlock: p("INSERT INTO consensus_blocks (hash, height, block) VALUES (?, ?, ?) ON CONFLICT(hash) DO NOTHING"),
    pendingBlocksAbove: p("SELECT hash, height, block FROM consensus_blocks WHERE height > ? ORDER BY height, hash"),
    deletePendingBlocksUpTo: p("DELETE FROM consensus_blocks WHERE height <= ?"),
    insertPendingEvidence: p("INSERT INTO consensus_evidence (key, evidence) VALUES (?, ?) ON CONFLICT(key) DO NOTHING"),
    pendingEvidenceAll: p("SELECT key, evidence FROM consensus_evidence ORDER BY key"),
    deletePendingEvidence: p("DELETE FROM consensus_evidence WHERE key = ?"),
    insertCommittedEvidence: p("INSERT INTO evidence_committed (key, height) VALUES (?, ?)"),
    committedEvidence: p("SELECT height FROM evidence_committed WHERE key = ?"),
  };
}

type Row = Record<string, unknown> | undefined;

function toBlockRow(row: Row): StoredBlockRow | undefined {
  if (!row) return undefined;
  return {
    height: row.height as number,
    hash: row.hash as Uint8Array,
    header: row.header as Uint8Array,
    logSize: row.log_size as number,
    evidence: row.evidence as Uint8Array,
  };
}

function toTxRow(row: Row): StoredTxRow | undefined {
  if (!row) return undefined;
  return {
    hash: row.hash as Uint8Array,
    height: row.height as number,
    position: row.position as number,
    firstLeaf: row.first_leaf as number,
    leafCount: row.leaf_count as number,
    bytes: row.bytes as Uint8Array,
  };
}

function toEntryRow(row: Row): StoredEntryRow | undefined {
  if (!row) return undefined;
  return {
    leafIndex: row.leaf_index as number,
    height: row.height as number,
    sender: row.sender as Uint8Array,
    action: row.action as string | null,
    bytes: row.bytes as Uint8Array,
  };
}
