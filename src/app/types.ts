import type { SignatureAlgorithmId } from "../crypto/index.ts";
import type { LogEntry, SignedTx } from "../ledger/index.ts";

/** An account as kept in state. `nonce` is the nonce its next transaction must carry. */
export type Account = {
  readonly alg: SignatureAlgorithmId;
  readonly publicKey: Uint8Array;
  readonly nonce: number;
};

/** Read access to committed (or speculatively executed) state. */
export interface AccountReader {
  getAccount(address: Uint8Array): Account | undefined;
}

export type AccountWrite = { readonly address: Uint8Array; readonly account: Account };

/** A transaction the app refused during execution; the block builder leaves it out. */
export type TxRejection = { readonly index: number; readonly code: string; readonly message: string };

export type ExecutedTx = {
  readonly signedTx: SignedTx;
  readonly txHash: Uint8Array;
  /** Index of the transaction's first log entry. */
  readonly firstLeaf: number;
  readonly leafCount: number;
};

export type BlockExecution = {
  readonly executed: readonly ExecutedTx[];
  readonly rejected: readonly TxRejection[];
  readonly entries: readonly LogEntry[];
  /** Canonical bytes of each entry, in log order: the Merkle leaves. */
  readonly entryBytes: readonly Uint8Array[];
  /** Accounts changed by the block, sorted by address. */
  readonly accountWrites: readonly AccountWrite[];
  readonly stateRoot: Uint8Array;
};
