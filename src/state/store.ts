import type { DatabaseSync } from "node:sqlite";
import { hashStateWrites, proveSmt, smtEmptyRoot, smtKeyHash, smtValueHash, updateSmt } from "../merkle/index.ts";
import type { SmtNodeSource, SmtNodeWrite, SmtStaleValue, StateProof, StateWrite } from "../merkle/index.ts";
import { assert, bytesEqual, compareBytes, isGhostmeshError, toHex } from "../util/index.ts";
import { stateError } from "./errors.ts";
import { defaultStateStoreOptions, STATE_KEYS_LISTED_MAX } from "./options.ts";
import type { StateStoreOptions } from "./options.ts";
import { StateNodeCache, pathKeyString } from "./nodeCache.ts";
import { checkBases, overlaySource } from "./overlay.ts";
import type { LatestTree } from "./overlay.ts";
import { pruneStateBefore, pruneStateProofsBefore } from "./prune.ts";
import { withSavepoint } from "./savepoint.ts";
import { createStateTables, type StateMigrationProgress } from "./schema.ts";
import { encodeStaleNodes, encodeStaleValues } from "./staleList.ts";
import { NODE_ROWS_PER_INSERT, prepareStateStatements, readProofsPrunedBefore, readPrunedBefore } from "./statements.ts";
import type { StateStatements } from "./statements.ts";
import type {
  PreparedStateUpdate,
  StateApplyOptions,
  StateKeysWrittenOptions,
  StatePrepareOptions,
  StateProofResult,
  StateProofsPruneOptions,
  StateProofsPruneResult,
  StatePruneResult,
  StateStore,
  StateValueRow,
} from "./types.ts";
import { checkKey, checkVersionNumber, copyWrites } from "./validate.ts";

/** A version's root hash, and the version of the row holding its root node (0 for an empty tree). */
type VersionRoot = { readonly version: number | null; readonly root: Uint8Array; readonly rootVersion: number };

/**
 * Opens the state store on the caller's database (creating its tables on first use). The
 * caller owns the connection and its pragmas; the node uses WAL with synchronous=FULL.
 */
export function openStateStore(db: DatabaseSync, opts: Partial<StateStoreOptions> = {}, onMigrationProgress?: StateMigrationProgress): StateStore {
  createStateTables(db, onMigrationProgress);
  return new SqliteStateStore(db, { ...defaultStateStoreOptions, ...opts });
}

class SqliteStateStore implements StateStore {
  private readonly db: DatabaseSync;
  private readonly statements: StateStatements;
  private readonly options: StateStoreOptions;
  private readonly cache: StateNodeCache;

  constructor(db: DatabaseSync, options: StateStoreOptions) {
    this.db = db;
    this.statements = prepareStateStatements(db);
    this.options = options;
    this.cache = new StateNodeCache(options.nodeCacheNodesMax);
  }

  get latestVersion(): number | null {
    return this.readLatest().version;
  }

  get prunedBefore(): number {
    return readPrunedBefore(this.statements);
  }

  get proofsPrunedBefore(): number {
    return readProofsPrunedBefore(this.statements);
  }

  root(version?: number): Uint8Array {
    return this.versionRoot(version, "root", true).root;
  }

  get(key: Uint8Array, version?: number): Uint8Array | null {
    checkKey(key, "get");
    const at = this.versionRoot(version, "get", false);
    if (at.version === null) return null;
    const row = this.statements.valueAt.get(smtKeyHash(key), at.version) as [Uint8Array | null] | undefined;
    return row === undefined ? null : row[0];
  }

  prove(key: Uint8Array, version?: number): StateProofResult {
    checkKey(key, "prove");
    const at = this.versionRoot(version, "prove", false);
    const keyHash = smtKeyHash(key);
    const proof = this.proveInTree(at, keyHash);
    if (proof.leaf === null || !bytesEqual(proof.leaf.keyHash, keyHash)) return { version: at.version, root: at.root, value: null, proof };
    const row = this.statements.valueAt.get(keyHash, at.version) as [Uint8Array | null] | undefined;
    const value = row === undefined ? null : row[0];
    if (value === null || !bytesEqual(smtValueHash(value), proof.leaf.valueHash)) {
      throw stateError("STATE_STORE_CORRUPT", `state_values has no value matching the tree for key ${toHex(key)} at version ${at.version}; the state database is damaged`, {
        key: toHex(key),
        version: at.version,
      });
    }
    return { version: at.version, root: at.root, value, proof };
  }

  /** Below the proofs' bound a node may be gone: pruned, unless its height was kept. The bound is read only then. */
  private proveInTree(at: VersionRoot, keyHash: Uint8Array): StateProof {
    try {
      return proveSmt(this.nodeSource(), at.root, at.rootVersion, keyHash);
    } catch (err) {
      if (!isGhostmeshError(err) || err.code !== "MERKLE_SMT_NODE_MISSING" || at.version === null) throw err;
      const proofsPrunedBefore = this.proofsPrunedBefore;
      if (at.version >= proofsPrunedBefore) throw err;
      throw stateError("STATE_VERSION_PRUNED", `prove: the proofs of version ${at.version} were pruned; every version from ${proofsPrunedBefore} on proves, and below it the heights this node keeps`, {
        version: at.version,
        proofsPrunedBefore,
      });
    }
  }

  prepare(version: number, writes: readonly StateWrite[], opts: StatePrepareOptions = {}): PreparedStateUpdate {
    checkVersionNumber(version, "prepare");
    const copied = copyWrites(writes, this.options.writesPerVersionMax);
    const latest = this.readLatest();
    const bases = opts.bases ?? [];
    checkBases(bases, latest);
    const newest = bases[0];
    const base: VersionRoot = newest === undefined ? latest : { version: newest.version, root: newest.root, rootVersion: newest.rootVersion };
    if (base.version !== null && version <= base.version) {
      throw stateError("STATE_VERSION_NOT_INCREASING", `prepare: version ${version} must be above the ${newest === undefined ? "latest" : "base"} version ${base.version}`, {
        version,
        latestVersion: base.version,
      });
    }
    const hashed = hashStateWrites(copied);
    const update = updateSmt(overlaySource(bases, this.latestTree(latest)), base.root, base.rootVersion, hashed, version);
    const values: StateValueRow[] = [];
    const staleValues: SmtStaleValue[] = [...update.staleValues];
    hashed.forEach((write, i) => {
      if (update.changed[i] !== 1) return;
      values.push({ keyHash: write.keyHash, key: write.key, value: write.value });
      // A deletion row only hides older rows; once those are pruned it can go too.
      if (write.value === null) staleValues.push({ keyHash: write.keyHash, version });
    });
    return Object.freeze({
      version,
      baseVersion: base.version,
      baseRoot: base.root,
      root: update.root,
      rootVersion: update.rootVersion,
      writeCount: copied.length,
      keysChanged: values.length,
      nodesWritten: update.nodes.length,
      rows: Object.freeze({ nodes: update.nodes, values, staleNodes: encodeStaleNodes(update.staleNodes), staleValues: encodeStaleValues(staleValues) }),
    });
  }

  apply(prepared: PreparedStateUpdate, opts: StateApplyOptions = {}): void {
    const latest = this.readLatest();
    if (latest.version !== prepared.baseVersion || !bytesEqual(latest.root, prepared.baseRoot)) {
      throw stateError("STATE_STALE_BASE", `apply: version ${prepared.version} was prepared on version ${prepared.baseVersion}, but the latest version is now ${latest.version}; prepare it again`, {
        version: prepared.version,
        baseVersion: prepared.baseVersion,
        latestVersion: latest.version,
      });
    }
    const s = this.statements;
    const { version, rows } = prepared;
    const write = (): void => {
      insertNodes(s, rows.nodes, version);
      for (const row of rows.values) s.insertValue.run(row.keyHash, version, row.key, row.value);
      s.insertVersion.run(version, prepared.root, prepared.rootVersion, rows.staleNodes, rows.staleValues);
    };
    if (opts.callerTransactionIsAtomic === true) {
      assert(this.db.isTransaction, "apply: callerTransactionIsAtomic inside the caller's open transaction");
      write();
    } else withSavepoint(this.db, "state_apply", write);
    this.cacheApplied(latest, prepared);
  }

  /**
   * The cache follows an applied version: its new rows replace their paths' entries, with the
   * hashes prepare computed (nothing is hashed or decoded). A cache of another version than the
   * applied one's base starts over, empty, at the applied version.
   */
  private cacheApplied(base: VersionRoot, prepared: PreparedStateUpdate): void {
    const next = { version: prepared.version, root: prepared.root };
    if (!this.cache.isFor(base)) {
      this.cache.reset(next);
      return;
    }
    for (const { path, bytes, hash } of prepared.rows.nodes) this.cache.set(pathKeyString(path), prepared.version, hash, bytes);
    this.cache.advance(next);
  }

  keysWrittenAfter(version: number, opts: StateKeysWrittenOptions = {}): Uint8Array[] {
    const keysMax = opts.keysMax ?? STATE_KEYS_LISTED_MAX;
    if (!Number.isSafeInteger(keysMax) || keysMax < 0 || keysMax > STATE_KEYS_LISTED_MAX) {
      throw stateError("STATE_TOO_MANY_KEYS", `keysWrittenAfter: keysMax is 0 to ${STATE_KEYS_LISTED_MAX}, got ${keysMax}`, { keysMax, keysMaxLimit: STATE_KEYS_LISTED_MAX });
    }
    // Both bounds must be readable versions: rows above a pruned version may be gone.
    this.versionRoot(version, "keysWrittenAfter", false);
    const through = opts.throughVersion ?? (this.readLatest().version as number);
    this.versionRoot(through, "keysWrittenAfter", false);
    const rows = this.statements.keysWrittenBetween.all(version, through, keysMax + 1) as unknown as [Uint8Array][];
    if (rows.length > keysMax) {
      throw stateError("STATE_TOO_MANY_KEYS", `keysWrittenAfter: more than ${keysMax} keys were written after version ${version}`, { version, throughVersion: through, keysMax });
    }
    // SQLite orders BLOBs with memcmp: bytewise, as compareBytes.
    return rows.map((row) => row[0]);
  }

  pruneBefore(version: number): StatePruneResult {
    checkVersionNumber(version, "pruneBefore");
    const latest = this.readLatest().version;
    if (latest === null || version > latest) {
      throw stateError("STATE_VERSION_UNKNOWN", `pruneBefore: version ${version} is above the latest version ${latest}; the latest state must stay readable`, {
        version,
        latestVersion: latest,
      });
    }
    return pruneStateBefore(this.db, this.statements, version);
  }

  pruneProofsBefore(version: number, opts: StateProofsPruneOptions = {}): StateProofsPruneResult {
    checkVersionNumber(version, "pruneProofsBefore");
    const { keptHeightInterval, versionsMax } = opts;
    assert(keptHeightInterval === undefined || (Number.isSafeInteger(keptHeightInterval) && keptHeightInterval >= 0), "pruneProofsBefore: keptHeightInterval is a non-negative integer");
    assert(versionsMax === undefined || (Number.isSafeInteger(versionsMax) && versionsMax >= 1), "pruneProofsBefore: versionsMax is a positive integer");
    const latest = this.readLatest().version;
    if (latest === null || version > latest) {
      throw stateError("STATE_VERSION_UNKNOWN", `pruneProofsBefore: version ${version} is above the latest version ${latest}; the latest state must stay provable`, {
        version,
        latestVersion: latest,
      });
    }
    return pruneStateProofsBefore(this.db, this.statements, version, opts);
  }

  private readLatest(): VersionRoot {
    const row = this.statements.latest.get() as [number, Uint8Array, number] | undefined;
    return row === undefined ? { version: null, root: smtEmptyRoot(), rootVersion: 0 } : { version: row[0], root: row[1], rootVersion: row[2] };
  }

  /** Version and root to read at; `version` undefined means the latest. */
  private versionRoot(version: number | undefined, what: string, allowPruned: boolean): VersionRoot {
    if (version === undefined) return this.readLatest();
    checkVersionNumber(version, what);
    const latest = this.readLatest().version;
    if (latest === null || version > latest) {
      throw stateError("STATE_VERSION_UNKNOWN", `${what}: version ${version} is above the latest version ${latest}`, { version, latestVersion: latest });
    }
    const prunedBefore = this.prunedBefore;
    if (!allowPruned && version < prunedBefore) {
      throw stateError("STATE_VERSION_PRUNED", `${what}: version ${version} was pruned; versions from ${prunedBefore} on can be read`, { version, prunedBefore });
    }
    const row = this.statements.rootAt.get(version) as [number, Uint8Array, number] | undefined;
    // Below the first version the state is empty.
    return row === undefined ? { version, root: smtEmptyRoot(), rootVersion: 0 } : { version, root: row[1], rootVersion: row[2] };
  }

  /**
   * The latest version's tree for a prepare: its rows, and the node cache, emptied first when it
   * was filled for another version or root (a rolled-back apply, another store object).
   */
  private latestTree(latest: VersionRoot): LatestTree {
    if (!this.cache.isFor(latest)) this.cache.reset(latest);
    return { readNode: this.nodeSource().readNode, cache: this.cache };
  }

  /** Rows by their exact key: a tree of any version finds its nodes from its root down. */
  private nodeSource(): SmtNodeSource {
    const node = this.statements.node;
    return {
      readNode(path, version) {
        const row = node.get(version, path) as [Uint8Array] | undefined;
        return row === undefined ? undefined : { version, bytes: row[0] };
      },
    };
  }
}

function insertNodes(s: StateStatements, unsorted: readonly SmtNodeWrite[], version: number): void {
  // In key order, as the primary key B-tree holds them: (version, path), all of one version, so
  // each insert lands on the page the previous one filled (the rows are the same either way).
  const nodes = [...unsorted].sort((a, b) => compareBytes(a.path, b.path));
  const values: (number | Uint8Array)[] = new Array<number | Uint8Array>(NODE_ROWS_PER_INSERT * 3);
  const fullChunksEnd = nodes.length - (nodes.length % NODE_ROWS_PER_INSERT);
  for (let start = 0; start < fullChunksEnd; start += NODE_ROWS_PER_INSERT) {
    for (let i = 0; i < NODE_ROWS_PER_INSERT; i++) {
      const node = nodes[start + i] as SmtNodeWrite;
      values[i * 3] = version;
      values[i * 3 + 1] = node.path;
      values[i * 3 + 2] = node.bytes;
    }
    s.insertNodes.run(...values);
  }
  for (let i = fullChunksEnd; i < nodes.length; i++) {
    const node = nodes[i] as SmtNodeWrite;
    s.insertNode.run(version, node.path, node.bytes);
  }
}
