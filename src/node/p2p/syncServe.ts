/**
 * The blocks a validator serves to block sync, as bytes: each `{block, qc?}` is assembled from
 * the store's own canonical bytes (header, evidence, each transaction; a QC is needed only for
 * the last block of a response, and comes from `ChainStore.certificateBytes`) instead of decoding
 * the block and encoding it again, which was most of the cost of serving a range. A canonical
 * CBOR map is its head followed by its key/value pairs in the bytewise order of the encoded
 * keys (RFC 8949 §4.2.1), and every stored value is already canonical (chain.ts writes them
 * with encodeCanonical), so only heads and keys are added here; the result is checked against
 * encodeSyncedBlock in test/node/p2p/syncServe.test.ts. A block holding an audit.batch takes
 * the decoding path: its records are stored as log entries, not with the transaction.
 */
import { encodeCanonical } from "../../codec/index.ts";
import type { ChainStore, StoredBlockRow } from "../../ledger/index.ts";
import { assert, bytesContain, compareBytes, concatBytes } from "../../util/index.ts";
import type { Chain } from "../chain.ts";
import { loadCommittedBlock } from "../consensus/index.ts";
import { SYNC_RESPONSE_BYTES_TARGET, encodeRangeBlock } from "./syncWire.ts";

const CBOR_MAJOR_BYTES = 2;
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

/**
 * Canonical CBOR kept as the pieces it is made of, joined once (`joined`): a response is a few
 * MiB, and joining each nesting level (transactions, block, range block, response) copied every
 * byte of it four times.
 */
type Pieces = { readonly parts: readonly Uint8Array[]; readonly sizeBytes: number };

function piecesOf(parts: readonly Uint8Array[]): Pieces {
  let sizeBytes = 0;
  for (const part of parts) sizeBytes += part.byteLength;
  return { parts, sizeBytes };
}

function joined(pieces: Pieces): Uint8Array {
  return concatBytes(pieces.parts);
}

/** A canonical map from already-encoded values. */
function encodedMap(pairs: Record<string, Pieces>): Pieces {
  const sorted = Object.entries(pairs)
    .map(([key, value]) => ({ key: encodedKey(key), value }))
    .sort((a, b) => compareBytes(a.key, b.key));
  return piecesOf([cborHead(CBOR_MAJOR_MAP, sorted.length), ...sorted.flatMap(({ key, value }) => [key, ...value.parts])]);
}

function encodedArray(items: readonly Pieces[]): Pieces {
  return piecesOf([cborHead(CBOR_MAJOR_ARRAY, items.length), ...items.flatMap((item) => item.parts)]);
}

/** A byte string holding `content`'s encoding. */
function encodedByteString(content: Pieces): Pieces {
  return piecesOf([cborHead(CBOR_MAJOR_BYTES, content.sizeBytes), ...content.parts]);
}

/**
 * encodeRangeBlock of the committed block in `row`, with its qc unless `withQc` is false;
 * from the stored bytes when it holds no audit.batch.
 */
export function encodeStoredSyncedBlock(store: ChainStore, row: StoredBlockRow, withQc = true): Uint8Array {
  return joined(storedSyncedBlock(store, row, withQc));
}

function storedSyncedBlock(store: ChainStore, row: StoredBlockRow, withQc: boolean): Pieces {
  const txRows = store.txsOfBlock(row.height);
  if (txRows.some((txRow) => bytesContain(txRow.bytes, AUDIT_BATCH_TEXT))) {
    const block = loadCommittedBlock(store, row);
    return piecesOf([encodeRangeBlock(withQc ? { block, qc: store.certificate(row.height) } : { block })]);
  }
  const txs = piecesOf([cborHead(CBOR_MAJOR_ARRAY, txRows.length), ...txRows.map((txRow) => txRow.bytes)]);
  const block = encodedMap({ header: piecesOf([row.header]), txs, evidence: piecesOf([row.evidence]) });
  return encodedMap(withQc ? { block, qc: piecesOf([store.certificateBytes(row.height)]) } : { block });
}

/**
 * Whether the stored block above (`next`) carries the certificate of the block at `height`
 * as its justify: always unless the store keeps a different one for it (schema 5). Both are
 * canonical CBOR, so an equal certificate appears verbatim in the header. A false positive
 * could only make the requester refuse the range (it checks that the justify certifies the
 * block below), never accept a wrong one.
 */
function carriesQc(store: ChainStore, height: number, next: StoredBlockRow): boolean {
  const own = store.storedCertificateBytes(height);
  return own === undefined || bytesContain(next.header, own);
}

/**
 * A blocksByRange response: committed blocks from `fromHeight`, at most `countMax`, stopping
 * once the encoded blocks pass `sizeBytesTarget` (a single block may exceed it). A block's qc
 * is left out when the next block in the response carries it as justify; the last block
 * always carries its own.
 */
export function serveRange(chain: Chain, fromHeight: number, countMax: number, sizeBytesTarget: number = SYNC_RESPONSE_BYTES_TARGET): Uint8Array {
  const { store } = chain;
  const headHeight = chain.head.height;
  const blocks: Pieces[] = [];
  let sizeBytes = 0;
  let last: { readonly row: StoredBlockRow; readonly withQc: boolean } | undefined;
  let row = fromHeight <= headHeight ? store.getBlock(fromHeight) : undefined;
  while (row !== undefined) {
    const next = blocks.length + 1 < countMax && row.height < headHeight ? store.getBlock(row.height + 1) : undefined;
    const withQc = next === undefined || !carriesQc(store, row.height, next);
    const encoded = storedSyncedBlock(store, row, withQc);
    if (blocks.length > 0 && sizeBytes + encoded.sizeBytes > sizeBytesTarget) break;
    blocks.push(encoded);
    sizeBytes += encoded.sizeBytes;
    last = { row, withQc };
    row = next;
  }
  // Cut short by size: the last block sent must carry its own qc after all.
  if (last !== undefined && !last.withQc) blocks[blocks.length - 1] = storedSyncedBlock(store, last.row, true);
  // syncWire's response, {headHeight, blocks}, with each block a byte string of its encoding.
  return joined(encodedMap({ headHeight: piecesOf([encodeCanonical(headHeight)]), blocks: encodedArray(blocks.map(encodedByteString)) }));
}
