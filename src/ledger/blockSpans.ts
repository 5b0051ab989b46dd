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
import { skipValue, skipValueSpan, walkArray, walkMap, type WalkCursor } from "../codec/index.ts";
import { rememberBlockEncoding, rememberBlockHeaderEncoding, rememberQcEncoding } from "./hashing.ts";
import type { Block, QuorumCertificate, SignedTx } from "./types.ts";
import { rememberSignedTxEncoding } from "./validate.ts";

/**
 * Walks the block that starts at `cursor` (decoded as `block` from `bytes`) and remembers its
 * spans; leaves the cursor just past it. False when the walk met something unexpected (the
 * cursor is then somewhere inside the block).
 */
export function rememberBlockSpans(bytes: Uint8Array, cursor: WalkCursor, block: Block): boolean {
  const blockStart = cursor.offset;
  const walked = walkMap(bytes, cursor, (name) => {
    if (name === "txs") {
      return walkArray(bytes, cursor, block.txs.length, (index) => {
        const span = skipValueSpan(bytes, cursor);
        if (span !== undefined) rememberSignedTxEncoding(block.txs[index] as SignedTx, span);
        return span !== undefined;
      });
    }
    if (name !== "header") return skipValue(bytes, cursor);
    const start = cursor.offset;
    if (!rememberJustifySpan(bytes, cursor, block.header.justify)) return false;
    rememberBlockHeaderEncoding(block.header, bytes.subarray(start, cursor.offset));
    return true;
  });
  if (walked) rememberBlockEncoding(block, bytes.subarray(blockStart, cursor.offset));
  return walked;
}

/** Walks a header, handing over the span of its justify QC; false when it met something unexpected. */
function rememberJustifySpan(bytes: Uint8Array, cursor: WalkCursor, justify: QuorumCertificate | null): boolean {
  return walkMap(bytes, cursor, (name) => {
    const span = skipValueSpan(bytes, cursor);
    if (span !== undefined && name === "justify" && justify !== null) rememberQcEncoding(justify, span);
    return span !== undefined;
  });
}
