/**
 * The blocks a validator serves to block sync, as bytes: each `{block, qc}` is assembled from
 * the store's own canonical bytes (header, evidence, QC, each transaction) instead of decoding
 * the block and encoding it again, which was most of the cost of serving a range. A canonical
 * CBOR map is its head followed by its key/value pairs in the bytewise order of the encoded
 * keys (RFC 8949 §4.2.1), and every stored value is already canonical (chain.ts writes them
 * with encodeCanonical), so only heads and keys are added here; the result is checked against
 * encodeSyncedBlock in test/node/p2p/syncServe.test.ts. A block holding an audit.batch takes
 * the decoding path: its records are stored as log entries, not with the transaction.
 */
import { encodeCanonical } from "../../codec/index.ts";
import { decodeStoredQc, type ChainStore, type StoredBlockRow } from "../../ledger/index.ts";
import { assert, compareBytes, concatBytes } from "../../util/index.ts";
import { loadCommittedBlock } from "../consensus/index.ts";
import { encodeSyncedBlock } from "./syncWire.ts";

const CBOR_MAJOR_ARRAY = 4;
const CBOR_MAJOR_MAP = 5;
/** Any stored transaction of type audit.batch holds this text (a record holding it too only costs the slower path). */
const AUDIT_BATCH_TEXT = Buffer.from(encodeCanonical("audit.batch"));

/** A CBOR head (RFC 8949 §3.1) in its shortest form, as canonical encoding requires. */
function cborHead(major: number, count: number): Uint8Array {
  assert(Number.isSafeInteger(count) && count >= 0 && count < 2 ** 32, "cborHead: count fits 32 bits");
  const type = major << 5;
  if (count < 24) return Uint8Array.of(type | count);
  if (count < 0x100) return Uint8Array.of(type | 24, count);
  if (count < 0x10000) return Uint8Array.of(type | 25, count >> 8, count & 0xff);
  return Uint8Array.of(type | 26, (count >>> 24) & 0xff, (count >>> 16) & 0xff, (count >>> 8) & 0xff, count & 0xff);
}

const encodedKeys = new Map<string, Uint8Array>();
function encodedKey(key: string): Uint8Array {
  let encoded = encodedKeys.get(key);
  if (encoded === undefined) {
    encoded = encodeCanonical(key);
    encodedKeys.set(key, encoded);
  }
  return encoded;
}

/** A canonical map from already-encoded values. */
function encodedMap(pairs: Record<string, Uint8Array>): Uint8Array {
  const sorted = Object.entries(pairs)
    .map(([key, value]) => ({ key: encodedKey(key), value }))
    .sort((a, b) => compareBytes(a.key, b.key));
  return concatBytes([cborHead(CBOR_MAJOR_MAP, sorted.length), ...sorted.flatMap(({ key, value }) => [key, value])]);
}

/** encodeSyncedBlock of the committed block in `row`, from the stored bytes when it holds no audit.batch. */
export function encodeStoredSyncedBlock(store: ChainStore, row: StoredBlockRow): Uint8Array {
  const txRows = store.txsOfBlock(row.height);
  if (txRows.some((txRow) => Buffer.from(txRow.bytes.buffer, txRow.bytes.byteOffset, txRow.bytes.byteLength).includes(AUDIT_BATCH_TEXT))) {
    return encodeSyncedBlock({ block: loadCommittedBlock(store, row), qc: decodeStoredQc(row.qc, row.height) });
  }
  const txs = concatBytes([cborHead(CBOR_MAJOR_ARRAY, txRows.length), ...txRows.map((txRow) => txRow.bytes)]);
  return encodedMap({ block: encodedMap({ header: row.header, txs, evidence: row.evidence }), qc: row.qc });
}
