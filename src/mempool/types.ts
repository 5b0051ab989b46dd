import type { SignatureAlgorithmId } from "../crypto/index.ts";
import type { SignedTx } from "../ledger/index.ts";

export type MempoolAccount = { readonly alg: SignatureAlgorithmId; readonly publicKey: Uint8Array; readonly nonce: number };

/** Committed account state, as the mempool sees it. */
export interface MempoolAccountReader {
  getAccount(address: Uint8Array): MempoolAccount | undefined;
}

/** Verifies off the event loop (node:crypto's threadpool); must never reject. */
export interface SignatureVerifier {
  verify(alg: SignatureAlgorithmId, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

export type PoolTx = {
  readonly signedTx: SignedTx;
  readonly txHash: Uint8Array;
  readonly txHashHex: string;
  readonly sizeBytes: number;
  /** Log entries the tx will add: its records for a batch, else 1. */
  readonly entryCount: number;
  /** The key the signature verified under at admission (the sender's, or the one its registration carries). */
  readonly verifiedKey: VerifiedKey;
  /** For audit.batch: each record's canonical bytes, from admission (ledger DecodedTx.recordBytes). */
  readonly recordBytes?: readonly Uint8Array[];
};

export type VerifiedKey = { readonly alg: SignatureAlgorithmId; readonly publicKey: Uint8Array };

/** A signature a pool verified, with the key it verified under (references, not copies). */
export type VerifiedSignature = {
  readonly sig: Uint8Array;
  readonly alg: SignatureAlgorithmId;
  readonly publicKey: Uint8Array;
};

/** A signature a pool is checking now, under that key, and the verdict to come (never rejects). */
export type PendingVerdict = VerifiedSignature & { readonly valid: Promise<boolean> };
