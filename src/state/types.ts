import type { SmtNodeWrite, StateProof, StateWrite } from "../merkle/index.ts";

export type { StateWrite };

/** A value row apply() inserts: value null records a deletion. */
export type StateValueRow = {
  readonly keyHash: Uint8Array;
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
};

/** The rows apply() writes; built by prepare, not meant to be read by callers. */
export type PreparedStateRows = {
  readonly nodes: readonly SmtNodeWrite[];
  readonly values: readonly StateValueRow[];
  readonly staleNodes: Uint8Array;
  readonly staleValues: Uint8Array;
};

/**
 * The outcome of StateStore.prepare: the next version's root, computed but not stored.
 * Valid only while the store's latest version is still `baseVersion` with root `baseRoot`.
 */
export type PreparedStateUpdate = {
  readonly version: number;
  /** Latest version when prepared; null for a store with no version yet (empty state). */
  readonly baseVersion: number | null;
  readonly baseRoot: Uint8Array;
  readonly root: Uint8Array;
  /** Version of the row holding the root node: `version` when the update rewrote it, else the base's (0 for an empty tree). */
  readonly rootVersion: number;
  readonly writeCount: number;
  /** Writes that change the state (a new value, or deleting a present key). */
  readonly keysChanged: number;
  readonly nodesWritten: number;
  readonly rows: PreparedStateRows;
};

export type StatePrepareOptions = {
  /**
   * Prepared, not yet applied updates to build on, newest first: bases[i] was prepared on
   * bases[i + 1], the last on the store's latest version (STATE_STALE_BASE otherwise). The
   * result applies after them, in order; its root equals preparing each after applying the
   * previous. At most STATE_PREPARE_BASES_MAX.
   */
  readonly bases?: readonly PreparedStateUpdate[];
};

export type StateKeysWrittenOptions = { readonly throughVersion?: number; readonly keysMax?: number };

export type StateProofResult = {
  /** The version asked for (latest when none was given); null when the store has no version yet. */
  readonly version: number | null;
  readonly root: Uint8Array;
  readonly value: Uint8Array | null;
  readonly proof: StateProof;
};

export type StatePruneResult = {
  readonly prunedBefore: number;
  readonly nodesDeleted: number;
  readonly valuesDeleted: number;
};

export type StateProofsPruneOptions = {
  /**
   * Heights h with (h + 1) % keptHeightInterval === 0 keep every node of their tree, so their
   * proofs are still answered (the node passes its epoch length: the last block of each epoch,
   * where a light client proves the next validator set). 0 (default): no height is kept.
   */
  readonly keptHeightInterval?: number;
  /** At most this many versions' stale lists per call (bounds one call's work); default: all up to the bound. */
  readonly versionsMax?: number;
};

export type StateProofsPruneResult = {
  /** The new bound: every version from it on proves as before. */
  readonly proofsPrunedBefore: number;
  readonly nodesDeleted: number;
  /** Stale lists read (versions); below opts.versionsMax, the bound reached the one asked for. */
  readonly versionsDone: number;
};

export type StateApplyOptions = {
  /**
   * The caller's open transaction rolls back as a whole when apply throws (the chain store's
   * own transactions do): the rows are then written without a SAVEPOINT of their own, whose
   * sub-journal would first copy every page the version changes (decision 0504, "Session 15").
   */
  readonly callerTransactionIsAtomic?: boolean;
};

/**
 * Authenticated, versioned key-value state in SQLite. A version is a block height; the state
 * "at version v" is the state written by the latest version <= v, so heights without writes
 * need no version of their own. Versions at or above `prunedBefore` can be read and proven.
 *
 * Atomicity contract: prepare() only reads. apply() writes every row of one version inside a
 * SAVEPOINT, so when the caller has BEGUN a transaction on the same DatabaseSync, the version
 * commits or rolls back with the caller's block (or, with `callerTransactionIsAtomic`, inside
 * the caller's transaction, which then rolls back as a whole if apply throws). The node cache
 * of the latest version (see nodeCache.ts) is checked against the database's latest version
 * and root on every prepare and apply and emptied on a mismatch, so a rollback leaves this
 * object consistent too.
 */
export type StateStore = {
  /** Latest applied version, or null when none has been applied (the state is empty). Reads the database. */
  readonly latestVersion: number | null;
  /** Oldest readable version; 0 until pruneBefore is used. */
  readonly prunedBefore: number;
  /** Root at `version` (default latest). Roots are kept for pruned versions too. */
  root(version?: number): Uint8Array;
  get(key: Uint8Array, version?: number): Uint8Array | null;
  /** Value and proof of presence or absence of `key` at `version` (default latest). */
  prove(key: Uint8Array, version?: number): StateProofResult;
  /**
   * Computes version `version` = latest state + `writes` (each key at most once; value null
   * deletes), or, with `opts.bases`, the state after the newest of those unapplied updates +
   * `writes`. Pure: reads the database, writes nothing.
   */
  prepare(version: number, writes: readonly StateWrite[], opts?: StatePrepareOptions): PreparedStateUpdate;
  /** Writes `prepared`; fails with STATE_STALE_BASE if another version was applied since it was prepared. */
  apply(prepared: PreparedStateUpdate, opts?: StateApplyOptions): void;
  /**
   * Keys written (set or deleted) by a version in (`version`, `opts.throughVersion`, default
   * latest], each once, sorted bytewise. At most `opts.keysMax` (default and cap
   * STATE_KEYS_LISTED_MAX): more fail with STATE_TOO_MANY_KEYS. `version` must be readable
   * (STATE_VERSION_PRUNED below prunedBefore): rows after it are only complete then.
   */
  keysWrittenAfter(version: number, opts?: StateKeysWrittenOptions): Uint8Array[];
  /** Deletes what only versions below `version` need; afterwards versions >= `version` stay readable. */
  pruneBefore(version: number): StatePruneResult;
  /**
   * Oldest version from which every proof is answered; >= prunedBefore, and 0 until a prune.
   * Below it, get, keysWrittenAfter and root answer as before, and prove only where the
   * tree's nodes were kept (StateProofsPruneOptions.keptHeightInterval), else STATE_VERSION_PRUNED.
   */
  readonly proofsPrunedBefore: number;
  /**
   * Deletes the tree nodes that only versions below `version` reach, except those of kept
   * heights; every value stays, so reads at any version, an emergency rollback's among them
   * (decision 0603), give what they gave before. `version` <= latest.
   */
  pruneProofsBefore(version: number, opts?: StateProofsPruneOptions): StateProofsPruneResult;
};
