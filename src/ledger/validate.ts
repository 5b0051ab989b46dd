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
import type { SignedTx, Tx } from "./types.ts";

export type DecodedTx = {
  /** Its byte fields (from, sig, ...) are views into the wire bytes or a private copy of them. */
  readonly signedTx: SignedTx;
  readonly txHash: Uint8Array;
  readonly sizeBytes: number;
  /**
   * For audit.batch: encodeCanonical(records[i]) for each record, as views into the wire
   * bytes (see spans.ts). Execution builds the log entries from them instead of encoding
   * every record again.
   */
  readonly recordBytes?: readonly Uint8Array[];
};

/**
 * A view may keep this much of its buffer alive beyond the bytes it shows: Node's Buffer
 * pool slab (a small request body is a window into one) is used in place, while a window
 * into a larger buffer (a network read, a batch of messages) is copied out first.
 */
const PINNED_SLACK_BYTES_MAX = 8 * 1024;

/**
 * Decodes and statelessly validates a signed transaction from wire bytes.
 *
 * The result's byte fields (the 3.3 KB ML-DSA-65 signature above all) and record spans are
 * views into `bytes`, not copies: an ArrayBuffer per transaction, allocated, tracked and swept,
 * cost about 10 us of CPU per admission across the event loop and V8's GC threads, some 3% of
 * a verify. So `bytes` must not be modified afterwards (a caller reusing a buffer passes a
 * copy); when `bytes` is a small window into a large buffer, it is copied once here so the
 * views do not keep the large buffer alive.
 * @throws GhostmeshError CODEC_* for malformed bytes, LEDGER_* for rule violations.
 */
export function decodeSignedTx(bytes: Uint8Array, chainId: string): DecodedTx {
  if (bytes.byteLength > TX_WIRE_BYTES_MAX) {
    throw new GhostmeshError("LEDGER_TX_TOO_LARGE", `transaction is ${bytes.byteLength} bytes; the limit is ${TX_WIRE_BYTES_MAX}`, {
      sizeBytes: bytes.byteLength,
      sizeBytesMax: TX_WIRE_BYTES_MAX,
    });
  }
  const owned = wireBytesToKeep(bytes);
  const signedTx = decodeWith(signedTxSchema, owned, "signedTx", { maxBytes: TX_WIRE_BYTES_MAX, byteStringViews: true });
  // The bytes decoded strictly, so their spans are the canonical encodings of the parts.
  const { txBytes, recordBytes } = signedTxSpans(owned, signedTx.records?.length);
  validateSignedTx(signedTx, bytes.byteLength, chainId, recordBytes);
  const txHash = hashTxBytes(txBytes);
  return recordBytes === undefined ? { signedTx, txHash, sizeBytes: bytes.byteLength } : { signedTx, txHash, sizeBytes: bytes.byteLength, recordBytes };
}

/** `bytes` as a plain Uint8Array (views of a Buffer would be Buffers), copied if views into it would pin too much. */
function wireBytesToKeep(bytes: Uint8Array): Uint8Array {
  const { buffer, byteOffset, byteLength } = bytes;
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength - byteLength > PINNED_SLACK_BYTES_MAX) return new Uint8Array(bytes);
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(buffer, byteOffset, byteLength);
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
  const amount = amountField(tx);
  if (amount !== undefined && amount.bytes[0] === 0) {
    throw new GhostmeshError("LEDGER_AMOUNT_NOT_CANONICAL", `${amount.field}: big-endian bytes without a leading zero byte (amounts are at least 1)`, {
      field: amount.field,
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

/** Canonical bytes of signed transactions whose decoder kept them (sync); objects are immutable. */
const encodedSignedTxs = new WeakMap<SignedTx, Uint8Array>();

export function encodeSignedTx(signedTx: SignedTx): Uint8Array {
  return encodedSignedTxs.get(signedTx) ?? encodeCanonical(signedTx);
}

/** As rememberBlockHeaderEncoding: `bytes` must be exactly `signedTx`'s canonical encoding. */
export function rememberSignedTxEncoding(signedTx: SignedTx, bytes: Uint8Array): void {
  if (!encodedSignedTxs.has(signedTx)) encodedSignedTxs.set(signedTx, bytes);
}

/** The one amount a transaction carries, if any: each must have a single encoding (decision 0600). */
function amountField(tx: Tx): { field: string; bytes: Uint8Array } | undefined {
  switch (tx.type) {
    case "token.transfer":
    case "staking.bond":
    case "staking.delegate":
    case "staking.unbond":
      return { field: "tx.body.amount", bytes: tx.body.amount };
    case "gov.propose":
      if (tx.body.content.type === "treasury-spend" && tx.body.content.amount[0] === 0) return { field: "tx.body.content.amount", bytes: tx.body.content.amount };
      return { field: "tx.body.deposit", bytes: tx.body.deposit };
    default:
      return undefined;
  }
}
