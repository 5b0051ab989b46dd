/**
 * The spans of a decoded block inside the canonical bytes it was decoded from, handed to the
 * ledger's encoders: the block's own, its header's, its justify QC's and each transaction's.
 * Decoding is strictly canonical, so each value was decoded from exactly its own encoding; the
 * block is then saved, its header hashed and stored, its transactions prepared and stored, and
 * its justify stored with the block below it, from these spans instead of being encoded again
 * (~10 KB for a header with its justify QC, ~3.6 KB per transaction). The spans are views: the
 * decoded input stays in memory while any of these values lives. A walk that meets anything
 * unexpected stops; whatever it did not reach is encoded as before.
 */
import { CBOR_MAJOR_ARRAY, CBOR_MAJOR_MAP, readHead, readText, skipValue, type WalkCursor } from "../codec/index.ts";
import { rememberBlockEncoding, rememberBlockHeaderEncoding, rememberQcEncoding } from "./hashing.ts";
import type { Block, QuorumCertificate } from "./types.ts";
import { rememberSignedTxEncoding } from "./validate.ts";

/**
 * Walks the block that starts at `cursor` (decoded as `block` from `bytes`) and remembers its
 * spans; leaves the cursor just past it. False when the walk met something unexpected (the
 * cursor is then somewhere inside the block).
 */
export function rememberBlockSpans(bytes: Uint8Array, cursor: WalkCursor, block: Block): boolean {
  const blockStart = cursor.offset;
  const fields = readHead(bytes, cursor);
  if (fields?.major !== CBOR_MAJOR_MAP) return false;
  for (let field = 0; field < fields.value; field++) {
    const name = readText(bytes, cursor);
    if (name === undefined) return false;
    if (name === "txs") {
      const txs = readHead(bytes, cursor);
      if (txs?.major !== CBOR_MAJOR_ARRAY || txs.value !== block.txs.length) return false;
      for (const signedTx of block.txs) {
        const start = cursor.offset;
        if (!skipValue(bytes, cursor)) return false;
        rememberSignedTxEncoding(signedTx, bytes.subarray(start, cursor.offset));
      }
      continue;
    }
    const start = cursor.offset;
    if (name === "header") {
      if (!rememberJustifySpan(bytes, cursor, block.header.justify)) return false;
      rememberBlockHeaderEncoding(block.header, bytes.subarray(start, cursor.offset));
      continue;
    }
    if (!skipValue(bytes, cursor)) return false;
  }
  rememberBlockEncoding(block, bytes.subarray(blockStart, cursor.offset));
  return true;
}

/** Walks a header, handing over the span of its justify QC; false when it met something unexpected. */
function rememberJustifySpan(bytes: Uint8Array, cursor: WalkCursor, justify: QuorumCertificate | null): boolean {
  const fields = readHead(bytes, cursor);
  if (fields?.major !== CBOR_MAJOR_MAP) return false;
  for (let field = 0; field < fields.value; field++) {
    const name = readText(bytes, cursor);
    if (name === undefined) return false;
    const start = cursor.offset;
    if (!skipValue(bytes, cursor)) return false;
    if (name === "justify" && justify !== null) rememberQcEncoding(justify, bytes.subarray(start, cursor.offset));
  }
  return true;
}
