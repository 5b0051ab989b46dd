/**
 * Where the parts of a signed transaction lie inside its wire bytes.
 *
 * decodeCanonical accepts bytes only when they are exactly the canonical encoding of the
 * value it returns, and a canonical encoding is built from the canonical encodings of its
 * parts. So, once a transaction has decoded, `bytes[txStart, txEnd)` IS encodeCanonical(tx)
 * and each record's range IS encodeCanonical(record). Hashing those ranges gives the same
 * hashes as re-encoding, without re-encoding: for a 10,000-record batch that saves 10,000
 * encodings at admission, and execution reuses the record bytes for the log entries.
 *
 * The scan reads CBOR heads only and runs on bytes the strict decoder has already accepted;
 * any surprise is a broken invariant (assert), never a verdict on the input.
 * A decode in codec/ that reported these spans would make this scan unnecessary.
 */
import { assert } from "../util/index.ts";

export type SignedTxSpans = {
  /** encodeCanonical(signedTx.tx), as a view into the wire bytes. */
  readonly txBytes: Uint8Array;
  /** encodeCanonical(record) for each batch record, as views into the wire bytes. */
  readonly recordBytes: readonly Uint8Array[] | undefined;
};

/** Canonical keys of a SignedTx, in canonical (length-first) order, with their text heads. */
const KEY_TX = Uint8Array.of(0x62, 0x74, 0x78); // "tx"
const KEY_SIG = Uint8Array.of(0x63, 0x73, 0x69, 0x67); // "sig"
const KEY_RECORDS = Uint8Array.of(0x67, 0x72, 0x65, 0x63, 0x6f, 0x72, 0x64, 0x73); // "records"
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;

/** @param recordCount signedTx.records?.length of the decoded transaction. */
export function signedTxSpans(bytes: Uint8Array, recordCount: number | undefined): SignedTxSpans {
  const fieldCount = recordCount === undefined ? 2 : 3;
  assert(bytes[0] === ((MAJOR_MAP << 5) | fieldCount), "signedTxSpans: a decoded signed tx is a map of its fields");
  let offset = expectKey(bytes, 1, KEY_TX);
  const txStart = offset;
  offset = itemEnd(bytes, offset);
  const txBytes = bytes.subarray(txStart, offset);
  offset = itemEnd(bytes, expectKey(bytes, offset, KEY_SIG));
  let recordBytes: Uint8Array[] | undefined;
  if (recordCount !== undefined) {
    offset = expectKey(bytes, offset, KEY_RECORDS);
    const head = readHead(bytes, offset);
    assert(head.major === MAJOR_ARRAY && head.argument === recordCount, "signedTxSpans: records is the decoded array");
    offset += head.headBytes;
    recordBytes = new Array<Uint8Array>(recordCount);
    for (let i = 0; i < recordCount; i++) {
      const start = offset;
      offset = itemEnd(bytes, start);
      recordBytes[i] = bytes.subarray(start, offset);
    }
  }
  assert(offset === bytes.byteLength, "signedTxSpans: the spans cover the whole transaction");
  return { txBytes, recordBytes };
}

function expectKey(bytes: Uint8Array, offset: number, key: Uint8Array): number {
  for (let i = 0; i < key.length; i++) {
    assert(bytes[offset + i] === key[i], "signedTxSpans: fields are in canonical order");
  }
  return offset + key.length;
}

type Head = { readonly major: number; readonly argument: number; readonly headBytes: number };

/** The head at `offset`; floats (major 7, info 25-27) count their payload as head bytes. */
function readHead(bytes: Uint8Array, offset: number): Head {
  const initial = bytes[offset] as number;
  const major = initial >>> 5;
  const info = initial & 0x1f;
  if (info < 24) return { major, argument: info, headBytes: 1 };
  if (info === 24) return { major, argument: bytes[offset + 1] as number, headBytes: 2 };
  if (info === 25) return { major, argument: ((bytes[offset + 1] as number) << 8) | (bytes[offset + 2] as number), headBytes: 3 };
  if (info === 26) return { major, argument: readUint32(bytes, offset + 1), headBytes: 5 };
  assert(info === 27, "signedTxSpans: canonical CBOR has no indefinite or reserved heads");
  return { major, argument: readUint32(bytes, offset + 1) * 2 ** 32 + readUint32(bytes, offset + 5), headBytes: 9 };
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset] as number) * 2 ** 24 + (((bytes[offset + 1] as number) << 16) | ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number))
  );
}

/** Offset just past the data item starting at `offset` (iterative: depth costs no stack). */
function itemEnd(bytes: Uint8Array, offset: number): number {
  let pending = 1;
  while (pending > 0) {
    assert(offset < bytes.byteLength, "signedTxSpans: items end inside the bytes");
    const { major, argument, headBytes } = readHead(bytes, offset);
    offset += headBytes;
    pending -= 1;
    if (major === MAJOR_BYTES || major === MAJOR_TEXT) offset += argument;
    else if (major === MAJOR_ARRAY) pending += argument;
    else if (major === MAJOR_MAP) pending += 2 * argument;
    else assert(major !== MAJOR_TAG, "signedTxSpans: the data model has no tags");
  }
  return offset;
}
