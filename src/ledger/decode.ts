/**
 * Decoders for stored objects. A stored object that does not decode means the store is
 * damaged: the error says which object at which height, never "skips" it (DESIGN §1.6).
 */
import { decodeWith, type Schema } from "../codec/index.ts";
import { GhostmeshError, errorMessage } from "../util/index.ts";
import { blockHeaderSchema, evidenceListSchema, logEntrySchema, quorumCertificateSchema, storedTxSchema } from "./schemas.ts";
import type { BlockHeader, Evidence, LogEntry, QuorumCertificate, SignedTx } from "./types.ts";

function decodeStored<T>(schema: Schema<T>, bytes: Uint8Array, what: string): T {
  try {
    return decodeWith(schema, bytes, what);
  } catch (err) {
    throw new GhostmeshError("LEDGER_STORE_CORRUPT", `stored ${what} does not decode: ${errorMessage(err)}`, { object: what }, { cause: err });
  }
}

export function decodeStoredHeader(bytes: Uint8Array, height: number): BlockHeader {
  return decodeStored(blockHeaderSchema, bytes, `block ${height} header`);
}

export function decodeStoredQc(bytes: Uint8Array, height: number): QuorumCertificate {
  return decodeStored(quorumCertificateSchema, bytes, `block ${height} certificate`);
}

export function decodeStoredEvidence(bytes: Uint8Array, height: number): Evidence[] {
  return decodeStored(evidenceListSchema, bytes, `block ${height} evidence`) as Evidence[];
}

export function decodeStoredTx(bytes: Uint8Array, label: string): SignedTx {
  return decodeStored(storedTxSchema, bytes, `transaction ${label}`) as SignedTx;
}

export function decodeStoredEntry(bytes: Uint8Array, leafIndex: number): LogEntry {
  return decodeStored(logEntrySchema, bytes, `log entry ${leafIndex}`);
}
