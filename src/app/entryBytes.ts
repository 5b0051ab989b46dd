/**
 * Canonical bytes of the log entries of an audit.batch, assembled from the records' own
 * canonical bytes instead of encoding 10,000 entry objects one by one.
 *
 * A canonical CBOR map is its head followed by its key/value pairs, each the canonical
 * encoding of key and value, in the bytewise order of the encoded keys (RFC 8949 §4.2.1).
 * The entries of one batch differ only in `recordIndex` and `record`, so every other pair is
 * encoded once per transaction, `recordIndex` comes from a table of small integers, and
 * `record` is the record's canonical bytes. Every piece is made by encodeCanonical; this file
 * only puts them in the order the RFC prescribes, and checks itself against
 * encodeCanonical(entry) when the module loads.
 */
import { encodeCanonical } from "../codec/index.ts";
import { BATCH_RECORDS_MAX, type LogEntry } from "../ledger/index.ts";
import { assert, bytesEqual, compareBytes, concatBytes } from "../util/index.ts";

type EntryKey = keyof LogEntry;
type Piece = Uint8Array | "record" | "recordIndex";

const ENTRY_KEYS: readonly EntryKey[] = ["height", "txHash", "from", "type", "recordIndex", "record"];
/** The keys as encodeCanonical orders them: by their encoded bytes. */
const ENTRY_KEYS_CANONICAL = ENTRY_KEYS.map((key) => ({ key, encoded: encodeCanonical(key) })).sort((a, b) => compareBytes(a.encoded, b.encoded));
/** Head of a map of ENTRY_KEYS.length pairs (major type 5, count below 24). */
const ENTRY_MAP_HEAD = Uint8Array.of(0xa0 | ENTRY_KEYS.length);

/** encodeCanonical(i) for record indices, filled on first use. */
const recordIndexBytes: Uint8Array[] = [];

function encodedRecordIndex(recordIndex: number): Uint8Array {
  assert(Number.isSafeInteger(recordIndex) && recordIndex >= 0 && recordIndex < BATCH_RECORDS_MAX, "entryBytes: record index in range");
  let bytes = recordIndexBytes[recordIndex];
  if (bytes === undefined) {
    bytes = encodeCanonical(recordIndex);
    recordIndexBytes[recordIndex] = bytes;
  }
  return bytes;
}

/**
 * The canonical bytes of each entry of one batch: `common` holds every field but record and
 * recordIndex (the index is the position in `recordBytes`). The entries are views into one
 * buffer: 10,000 small ArrayBuffers per batch cost the garbage collector more than the copying.
 */
export function encodeBatchEntries(common: Omit<LogEntry, "record" | "recordIndex">, recordBytes: readonly Uint8Array[]): Uint8Array[] {
  const pieces = entryPieces(common);
  let constantBytes = 0;
  for (const piece of pieces) if (typeof piece !== "string") constantBytes += piece.byteLength;
  let totalBytes = 0;
  for (let i = 0; i < recordBytes.length; i++) {
    totalBytes += constantBytes + encodedRecordIndex(i).byteLength + (recordBytes[i] as Uint8Array).byteLength;
  }
  const buffer = new Uint8Array(totalBytes);
  const entries = new Array<Uint8Array>(recordBytes.length);
  let offset = 0;
  for (let i = 0; i < recordBytes.length; i++) {
    const start = offset;
    const indexBytes = encodedRecordIndex(i);
    for (const piece of pieces) {
      const bytes = piece === "record" ? (recordBytes[i] as Uint8Array) : piece === "recordIndex" ? indexBytes : piece;
      buffer.set(bytes, offset);
      offset += bytes.byteLength;
    }
    entries[i] = buffer.subarray(start, offset);
  }
  assert(offset === totalBytes, "encodeBatchEntries: entries fill the buffer exactly");
  return entries;
}

/** The entry map split at its per-record values; constant pairs merged into runs (at most 3). */
function entryPieces(common: Omit<LogEntry, "record" | "recordIndex">): Piece[] {
  const pieces: Piece[] = [];
  let run: Uint8Array[] = [ENTRY_MAP_HEAD];
  for (const { key, encoded } of ENTRY_KEYS_CANONICAL) {
    run.push(encoded);
    if (key === "record" || key === "recordIndex") {
      pieces.push(concatBytes(run), key);
      run = [];
    } else {
      run.push(encodeCanonical(common[key], `entry.${key}`));
    }
  }
  pieces.push(concatBytes(run));
  return pieces;
}

/** The assembly must agree with the one encoder, or nothing may be built on it. */
function checkAgainstEncoder(): void {
  const entry: LogEntry = {
    height: 70_000,
    txHash: new Uint8Array(32).fill(7),
    from: new Uint8Array(20).fill(9),
    type: "audit.batch",
    recordIndex: 300,
    record: { action: "self.check", subject: "entryBytes", data: { n: -1, ok: true, x: 0.5, list: [null, "é"] } },
  };
  const recordBytes = Array.from({ length: entry.recordIndex + 1 }, () => encodeCanonical(entry.record));
  const assembled = encodeBatchEntries(entry, recordBytes)[entry.recordIndex] as Uint8Array;
  assert(bytesEqual(assembled, encodeCanonical(entry)), "entryBytes: assembled entry differs from encodeCanonical(entry)");
}
checkAgainstEncoder();
