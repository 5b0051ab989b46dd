import type { SignatureAlgorithmId } from "../crypto/index.ts";
import type { LogEntry, SignedTx } from "../ledger/index.ts";
import type { PreparedStateUpdate } from "../state/index.ts";

/** An account as kept in state. `nonce` is the nonce its next transaction must carry. */
export type Account = {
  readonly alg: SignatureAlgorithmId;
  readonly publicKey: Uint8Array;
  readonly nonce: number;
};

/** Read access to committed (or speculatively executed) state. */
export interface AccountReader {
  getAccount(address: Uint8Array): Account | undefined;
  /** See StateKvReader: balances, roles and policies are read through this when present. */
  readState?(key: Uint8Array): Uint8Array | undefined;
  /** Past states, for an emergency rollback (decision 0603); absent, a rollback executes as "failed". */
  readonly stateHistory?: StateHistory;
}

/**
 * Read access to the states after earlier blocks, as the reader sees them (committed and,
 * for a speculative reader, its uncommitted ancestry). `height` is at most the reader's own.
 */
export interface StateHistory {
  /**
   * Keys written (set or deleted) by a block above `height`, each once, sorted bytewise;
   * undefined when there are more than `keysMax`. Throws when `height` is not readable (pruned).
   */
  keysChangedSince(height: number, keysMax: number): Uint8Array[] | undefined;
  /** The value of `key` after block `height` (undefined: absent). */
  valueAt(key: Uint8Array, height: number): Uint8Array | undefined;
}

/** `created`: the block registered the account (its key record is written, not only its nonce). */
export type AccountWrite = { readonly address: Uint8Array; readonly account: Account; readonly created: boolean };

/** A transaction the app refused during execution; the block builder leaves it out. */
export type TxRejection = { readonly index: number; readonly code: string; readonly message: string };

export type ExecutedTx = {
  readonly signedTx: SignedTx;
  readonly txHash: Uint8Array;
  /** Index of the transaction's first log entry. */
  readonly firstLeaf: number;
  readonly leafCount: number;
  /** encodeCanonical({tx, sig}) when execution was given it (ExecutionTx.signedTxBytes). */
  readonly signedTxBytes?: Uint8Array;
};

export type BlockExecution = {
  readonly executed: readonly ExecutedTx[];
  readonly rejected: readonly TxRejection[];
  readonly entries: readonly LogEntry[];
  /** Canonical bytes of each entry, in log order: the Merkle leaves. */
  readonly entryBytes: readonly Uint8Array[];
  /** Accounts changed by the block, sorted by address. */
  readonly accountWrites: readonly AccountWrite[];
  /** The same writes as state keys and values (accounts: 0x01 || address → canonical account). */
  readonly stateWrites: readonly { readonly key: Uint8Array; readonly value: Uint8Array }[];
  /** Module keys the block deleted (only an emergency rollback deletes), sorted; in stateUpdate as value null. */
  readonly stateDeletes: readonly Uint8Array[];
  /** The block's state version, prepared (not applied): applied with the block at commit. */
  readonly stateUpdate: PreparedStateUpdate;
  /** Root of the state tree after the block: stateUpdate.root. */
  readonly stateRoot: Uint8Array;
};

/** Why a module refused a transaction at execution: a stable code and a message naming the problem. */
export type ModuleRejection = { readonly code: string; readonly message: string };

