/**
 * Stateless validation: everything about a transaction that can be checked without state.
 * Signature checks need the sender's public key, so they live with the caller (mempool,
 * block validation), which looks the key up and verifies `hashTx(tx)`.
 */
import { decodeWith, encodeCanonical } from "../codec/index.ts";
import { GhostmeshError, assert, bytesEqual } from "../util/index.ts";
import { hashTxBytes, recordsRoot, recordsRootOfEncoded } from "./hashing.ts";
import { BATCH_TX_BYTES_MAX, TX_BYTES_MAX, TX_WIRE_BYTES_MAX } from "./limits.ts";
import { signedTxSchema } from "./schemas.ts";
import { signedTxSpans } from "./spans.ts";
import type { SignedTx } from "./types.ts";

export type DecodedTx = {
  readonly signedTx: SignedTx;
  readonly txHash: Uint8Array;
  readonly sizeBytes: number;
  /**
   * For audit.batch: encodeCanonical(records[i]) for each record, as views into a private
   * copy of the wire bytes (see spans.ts). Execution builds the log entries from them
   * instead of encoding every record again.
   */
  readonly recordBytes?: readonly Uint8Array[];
};

/**
 * Decodes and statelessly validates a signed transaction from wire bytes.
 * @throws GhostmeshError CODEC_* for malformed bytes, LEDGER_* for rule violations.
 */
export function decodeSignedTx(bytes: Uint8Array, chainId: string): DecodedTx {
  if (bytes.byteLength > TX_WIRE_BYTES_MAX) {
    throw new GhostmeshError("LEDGER_TX_TOO_LARGE", `transaction is ${bytes.byteLength} bytes; the limit is ${TX_WIRE_BYTES_MAX}`, {
      sizeBytes: bytes.byteLength,
      sizeBytesMax: TX_WIRE_BYTES_MAX,
    });
  }
  const signedTx = decodeWith(signedTxSchema, bytes, "signedTx", { maxBytes: TX_WIRE_BYTES_MAX });
  // The bytes decoded strictly, so their spans are the canonical encodings of the parts.
  // Record spans outlive this call (execution builds entries from them): take them from a
  // private copy, so a caller that reuses its buffer cannot change them behind the records.
  const owned = signedTx.records === undefined ? bytes : new Uint8Array(bytes);
  const { txBytes, recordBytes } = signedTxSpans(owned, signedTx.records?.length);
  validateSignedTx(signedTx, bytes.byteLength, chainId, recordBytes);
  const txHash = hashTxBytes(txBytes);
  return recordBytes === undefined ? { signedTx, txHash, sizeBytes: bytes.byteLength } : { signedTx, txHash, sizeBytes: bytes.byteLength, recordBytes };
}

/**
 * @param recordBytes encodeCanonical of each of `signedTx.records` when the caller already
 *   has them (decodeSignedTx); otherwise the records are encoded here to check their root.
 */
export function validateSignedTx(signedTx: SignedTx, sizeBytes: number, chainId: string, recordBytes?: readonly Uint8Array[]): void {
  const { tx } = signedTx;
  if (tx.chainId !== chainId) {
    throw new GhostmeshError("LEDGER_WRONG_CHAIN", `transaction is for chain "${tx.chainId}"; this is chain "${chainId}"`, {
      chainId: tx.chainId,
      chainIdExpected: chainId,
    });
  }
  const sizeBytesMax = tx.type === "audit.batch" ? BATCH_TX_BYTES_MAX : TX_BYTES_MAX;
  if (sizeBytes > sizeBytesMax) {
    throw new GhostmeshError("LEDGER_TX_TOO_LARGE", `${tx.type} transaction is ${sizeBytes} bytes; the limit is ${sizeBytesMax}`, {
      sizeBytes,
      sizeBytesMax,
    });
  }
  if (tx.type !== "audit.batch") {
    if (signedTx.records !== undefined) {
      throw new GhostmeshError("LEDGER_UNEXPECTED_RECORDS", `signedTx.records: only audit.batch carries records, not ${tx.type}`, {
        field: "signedTx.records",
      });
    }
    return;
  }
  const records = signedTx.records;
  if (records === undefined || records.length !== tx.body.recordCount) {
    throw new GhostmeshError(
      "LEDGER_BATCH_COUNT_MISMATCH",
      `signedTx.records: body.recordCount is ${tx.body.recordCount} but ${records?.length ?? 0} records were sent`,
      { field: "signedTx.records", recordCount: tx.body.recordCount, recordsSent: records?.length ?? 0 },
    );
  }
  assert(recordBytes === undefined || recordBytes.length === records.length, "validateSignedTx: one encoding per record");
  const root = recordBytes === undefined ? recordsRoot(records) : recordsRootOfEncoded(recordBytes);
  if (!bytesEqual(root, tx.body.recordsRoot)) {
    throw new GhostmeshError("LEDGER_BATCH_ROOT_MISMATCH", "tx.body.recordsRoot does not match the records sent", {
      field: "tx.body.recordsRoot",
    });
  }
}

export function encodeSignedTx(signedTx: SignedTx): Uint8Array {
  return encodeCanonical(signedTx);
}
