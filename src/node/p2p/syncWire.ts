/**
 * Block sync by range (`/ghostmesh/<chainId>/req/blocksByRange/2`), wire forms:
 * request  = {fromHeight, countMax}
 * response = {headHeight, blocks: [bytes of {block, qc?}]}  (committed blocks from fromHeight up)
 * Each block is encoded on its own so the server measures the response as it builds it.
 * A block's `qc` is left out when it is the `justify` of the next block in the same response:
 * the same certificate (three ML-DSA-65 signatures, ~10 KB) otherwise travels twice, as block
 * h's qc and inside block h+1's header, and was over a third of the bytes of a typical range.
 * The last block of a response always carries its qc (version 1 carried every qc).
 */
import { decodeWith, encodeCanonical, s, skipValueSpan, walkCursor, walkMap } from "../../codec/index.ts";
import { blockSchema } from "../../consensus/index.ts";
import { quorumCertificateSchema, rememberBlockSpans, rememberQcEncoding, type Block, type QuorumCertificate } from "../../ledger/index.ts";
import { p2pError } from "../../p2p/index.ts";

/** Blocks one request may ask for, and one SQLite transaction when applied: a few MiB of typical blocks. */
export const SYNC_BLOCKS_PER_REQUEST_MAX = 256;
/** The server stops adding blocks once the response passes this (a single block may exceed it). */
export const SYNC_RESPONSE_BYTES_TARGET = 8 * 1024 * 1024;
/** Requester's cap: the target plus one largest block (a proposal is at most 16 MiB). */
export const SYNC_RESPONSE_BYTES_MAX = SYNC_RESPONSE_BYTES_TARGET + 17 * 1024 * 1024;
const SYNC_REQUEST_BYTES_MAX = 64;

export type SyncRequest = { readonly fromHeight: number; readonly countMax: number };
export type SyncedBlock = { readonly block: Block; readonly qc: QuorumCertificate };
/** A block as a range response carries it: without `qc` when the next block's justify is it. */
export type RangeBlock = { readonly block: Block; readonly qc?: QuorumCertificate };
export type SyncResponse = { readonly headHeight: number; readonly blocks: readonly Uint8Array[] };

const requestSchema = s.object({ fromHeight: s.uint({ min: 1 }), countMax: s.uint({ min: 1, max: SYNC_BLOCKS_PER_REQUEST_MAX }) });
const responseSchema = s.object({ headHeight: s.uint(), blocks: s.array(s.bytes({ minSize: 1, maxSize: SYNC_RESPONSE_BYTES_MAX }), { maxLength: SYNC_BLOCKS_PER_REQUEST_MAX }) });
const syncedBlockSchema = s.object({ block: blockSchema, qc: quorumCertificateSchema });
const rangeBlockSchema = s.object({ block: blockSchema, qc: s.optional(quorumCertificateSchema) });

export function encodeSyncRequest(request: SyncRequest): Uint8Array {
  return encodeCanonical(request, "syncRequest");
}

/** @throws GhostmeshError CODEC_* */
export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  return decodeWith(requestSchema, bytes, "syncRequest", { maxBytes: SYNC_REQUEST_BYTES_MAX });
}

export function encodeSyncedBlock(synced: SyncedBlock): Uint8Array {
  return encodeCanonical(synced, "syncedBlock");
}

/** @throws GhostmeshError CODEC_* */
export function decodeSyncedBlock(bytes: Uint8Array): SyncedBlock {
  return decodeWith(syncedBlockSchema, bytes, "syncedBlock", { maxBytes: SYNC_RESPONSE_BYTES_MAX });
}

export function encodeRangeBlock(rangeBlock: RangeBlock): Uint8Array {
  return encodeCanonical(rangeBlock, "rangeBlock");
}

/** @throws GhostmeshError CODEC_* */
export function decodeRangeBlock(bytes: Uint8Array): RangeBlock {
  const rangeBlock = decodeWith(rangeBlockSchema, bytes, "rangeBlock", { maxBytes: SYNC_RESPONSE_BYTES_MAX });
  rememberEncodings(bytes, rangeBlock);
  return rangeBlock;
}

/**
 * The spans of the block (ledger/blockSpans.ts) and of the range block's own qc go to the
 * ledger's encoders, as views into the range response, which a header's span keeps in memory
 * while the header lives (the chain head's, until the next commit). A walk that meets anything
 * unexpected stops; whatever it did not reach is encoded as before.
 */
function rememberEncodings(bytes: Uint8Array, { block, qc }: RangeBlock): void {
  const cursor = walkCursor();
  walkMap(bytes, cursor, (key) => {
    if (key === "block") return rememberBlockSpans(bytes, cursor, block);
    const span = skipValueSpan(bytes, cursor);
    if (span !== undefined && key === "qc" && qc !== undefined) rememberQcEncoding(qc, span);
    return span !== undefined;
  });
}

/**
 * The blocks of a range response, each with its qc: a left-out qc is the justify of the next
 * block. Whether that certificate is valid and certifies the block is the applier's to check,
 * as for any qc.
 * @throws GhostmeshError P2P_RESPONSE_MALFORMED when a qc is left out with no next block, or
 *   the next block carries no justify.
 */
export function resolveRangeBlocks(blocks: readonly RangeBlock[]): SyncedBlock[] {
  return blocks.map(({ block, qc }, i) => {
    if (qc !== undefined) return { block, qc };
    const justify = blocks[i + 1]?.block.header.justify;
    if (justify === undefined || justify === null) {
      throw p2pError("P2P_RESPONSE_MALFORMED", `blocksByRange: block ${block.header.height} comes without its qc, and no next block in the response carries it as justify`, { height: block.header.height });
    }
    return { block, qc: justify };
  });
}

export function encodeSyncResponse(response: SyncResponse): Uint8Array {
  return encodeCanonical(response, "syncResponse");
}

/**
 * Each block's bytes are a view into `bytes`, not a copy (a range is megabytes, and each block
 * is decoded again at once, into copies): callers keep neither past decoding the blocks.
 * @throws GhostmeshError CODEC_*
 */
export function decodeSyncResponse(bytes: Uint8Array): SyncResponse {
  return decodeWith(responseSchema, bytes, "syncResponse", { maxBytes: SYNC_RESPONSE_BYTES_MAX + 1024, byteStringViews: true });
}
