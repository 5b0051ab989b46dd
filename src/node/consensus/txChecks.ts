/**
 * Checks of the transactions inside a block that a validator did not build: stateless
 * validation (as admission does), hashes, and signatures against the sender's key in the
 * block's parent state. Signature checks are the cost that bounds everything (DESIGN §6),
 * so each (transaction, signature, key) is verified once: the mempool remembers what it
 * verified at admission (gossip brings every transaction to every pool before its block),
 * and the host verifies the rest on the threadpool before the block reaches the engine,
 * leaving only stragglers for the synchronous check inside validateBlock.
 */
import { verify, verifyAsync, type SignatureAlgorithmId } from "../../crypto/index.ts";
import type { ExecutionTx } from "../../app/index.ts";
import { TX_WIRE_BYTES_MAX, encodeSignedTx, hashTxBytes, signedTxSpans, validateSignedTx, type SignedTx } from "../../ledger/index.ts";
import { verifiedAs, type PendingVerdict, type SignatureVerifier, type VerifiedSignature } from "../../mempool/index.ts";
import { GhostmeshError, toHex } from "../../util/index.ts";

export type PreparedTx = ExecutionTx & { readonly txHashHex: string; readonly entryCount: number };

export type TxKey = { readonly alg: SignatureAlgorithmId; readonly publicKey: Uint8Array };

/** Where verified signatures may already be known (the mempool's admission cache). */
export type VerifiedSignatureSource = (txHashHex: string) => VerifiedSignature | undefined;

/** Where a signature may be being checked now (the mempool's admissions). */
export type PendingVerdictSource = (txHashHex: string) => PendingVerdict | undefined;

/** Verified signatures this validator checked itself, beyond the mempool's; ~3.3 KB each (the signature is held). */
export const TX_SIGNATURES_VERIFIED_MAX = 20_000;

export class TxSignatureCache {
  private readonly source: VerifiedSignatureSource;
  private readonly pending: PendingVerdictSource;
  private readonly entriesMax: number;
  /** Insertion order is eviction order. */
  private readonly verified = new Map<string, VerifiedSignature>();

  constructor(source: VerifiedSignatureSource, entriesMax: number = TX_SIGNATURES_VERIFIED_MAX, pending: PendingVerdictSource = () => undefined) {
    this.source = source;
    this.pending = pending;
    this.entriesMax = entriesMax;
  }

  /** Whether this exact signature is known to verify under `key`, or (key null) under some key. */
  isVerified(txHashHex: string, sig: Uint8Array, key: TxKey | null): boolean {
    return verifiedAs(this.source(txHashHex), sig, key) || verifiedAs(this.verified.get(txHashHex), sig, key);
  }

  /** The verdict of a check of this exact signature under `key` already under way, if any. */
  pendingCheck(txHashHex: string, sig: Uint8Array, key: TxKey): Promise<boolean> | undefined {
    const pending = this.pending(txHashHex);
    return pending !== undefined && verifiedAs(pending, sig, key) ? pending.valid : undefined;
  }

  remember(txHashHex: string, verified: VerifiedSignature): void {
    if (this.verified.size >= this.entriesMax) {
      const oldest = this.verified.keys().next();
      if (oldest.done !== true) this.verified.delete(oldest.value);
    }
    this.verified.set(txHashHex, verified);
  }

  /** Synchronous check through the cache; remembers a success. */
  check(tx: PreparedTx, key: TxKey): boolean {
    const { sig } = tx.signedTx;
    if (this.isVerified(tx.txHashHex, sig, key)) return true;
    if (!verify(key.alg, key.publicKey, tx.txHash, sig)) return false;
    this.remember(tx.txHashHex, { sig, alg: key.alg, publicKey: key.publicKey });
    return true;
  }
}

/**
 * The mempool's verifier in a validator: under a flood, a proposal can carry a transaction
 * before its gossiped copy is admitted here, and the host then checks its signature ahead
 * (verifyBlockTxsAhead, remembered in the application's cache); the gossiped copy's admission
 * does not check it again. `signatures` is the application's cache once it exists (it is
 * built after the mempool, which it reads).
 */
export function admissionVerifier(signatures: () => TxSignatureCache | null): SignatureVerifier {
  return {
    verify(alg, publicKey, txHash, sig) {
      if (signatures()?.isVerified(toHex(txHash), sig, { alg, publicKey }) === true) return Promise.resolve(true);
      return verifyAsync(alg, publicKey, txHash, sig);
    },
  };
}

/**
 * Stateless preparation of decoded transactions, memoised per object: the host prepares a
 * proposal's transactions while verifying them ahead, and validateBlock reuses the result.
 */
export class TxPreparer {
  private readonly chainId: string;
  private readonly signatures: TxSignatureCache;
  private readonly prepared = new WeakMap<SignedTx, PreparedTx>();

  constructor(chainId: string, signatures: TxSignatureCache) {
    this.chainId = chainId;
    this.signatures = signatures;
  }

  /** @throws GhostmeshError LEDGER_* naming what is wrong with the transaction. */
  prepare(signedTx: SignedTx): PreparedTx {
    let prepared = this.prepared.get(signedTx);
    if (prepared === undefined) {
      prepared = this.prepareUncached(signedTx);
      this.prepared.set(signedTx, prepared);
    }
    return prepared;
  }

  private prepareUncached(signedTx: SignedTx): PreparedTx {
    const { tx } = signedTx;
    // One encoding gives the hash (its tx span), the size, the batch's record bytes and, for a
    // transaction without records, the bytes the store keeps.
    const bytes = encodeSignedTx(signedTx);
    const { txBytes, recordBytes } = signedTxSpans(bytes, signedTx.records?.length);
    const txHash = hashTxBytes(txBytes);
    const txHashHex = toHex(txHash);
    const stored = signedTx.records === undefined ? { signedTxBytes: bytes } : {};
    // The hash fixes every field but the signature; a (hash, signature) pair already verified
    // was admitted whole, so its stateless checks passed on these exact contents.
    if (tx.type !== "audit.batch" && signedTx.records === undefined && this.signatures.isVerified(txHashHex, signedTx.sig, null)) {
      return { signedTx, txHash, txHashHex, entryCount: 1, ...stored };
    }
    if (bytes.byteLength > TX_WIRE_BYTES_MAX) {
      throw new GhostmeshError("LEDGER_TX_TOO_LARGE", `transaction is ${bytes.byteLength} bytes; the limit is ${TX_WIRE_BYTES_MAX}`, { sizeBytes: bytes.byteLength, sizeBytesMax: TX_WIRE_BYTES_MAX });
    }
    validateSignedTx(signedTx, bytes.byteLength, this.chainId, recordBytes);
    const entryCount = tx.type === "audit.batch" ? tx.body.recordCount : 1;
    const base = { signedTx, txHash, txHashHex, entryCount, ...stored };
    return recordBytes === undefined ? base : { ...base, recordBytes };
  }
}
