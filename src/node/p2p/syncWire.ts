/**
 * Block sync by range (`/ghostmesh/<chainId>/req/blocksByRange/1`), wire forms:
 * request  = {fromHeight, countMax}
 * response = {headHeight, blocks: [bytes of {block, qc}]}  (committed blocks from fromHeight up)
 * Each block is encoded on its own so the server measures the response as it builds it.
 */
import { decodeWith, encodeCanonical, s } from "../../codec/index.ts";
import { blockSchema } from "../../consensus/index.ts";
import { quorumCertificateSchema, type Block, type QuorumCertificate } from "../../ledger/index.ts";

/** Blocks one request may ask for, and one SQLite transaction when applied: a few MiB of typical blocks. */
export const SYNC_BLOCKS_PER_REQUEST_MAX = 256;
/** The server stops adding blocks once the response passes this (a single block may exceed it). */
export const SYNC_RESPONSE_BYTES_TARGET = 8 * 1024 * 1024;
/** Requester's cap: the target plus one largest block (a proposal is at most 16 MiB). */
export const SYNC_RESPONSE_BYTES_MAX = SYNC_RESPONSE_BYTES_TARGET + 17 * 1024 * 1024;
const SYNC_REQUEST_BYTES_MAX = 64;

export type SyncRequest = { readonly fromHeight: number; readonly countMax: number };
export type SyncedBlock = { readonly block: Block; readonly qc: QuorumCertificate };
export type SyncResponse = { readonly headHeight: number; readonly blocks: readonly Uint8Array[] };

const requestSchema = s.object({ fromHeight: s.uint({ min: 1 }), countMax: s.uint({ min: 1, max: SYNC_BLOCKS_PER_REQUEST_MAX }) });
const responseSchema = s.object({ headHeight: s.uint(), blocks: s.array(s.bytes({ minSize: 1, maxSize: SYNC_RESPONSE_BYTES_MAX }), { maxLength: SYNC_BLOCKS_PER_REQUEST_MAX }) });
const syncedBlockSchema = s.object({ block: blockSchema, qc: quorumCertificateSchema });

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

export function encodeSyncResponse(response: SyncResponse): Uint8Array {
  return encodeCanonical(response, "syncResponse");
}

/** @throws GhostmeshError CODEC_* */
export function decodeSyncResponse(bytes: Uint8Array): SyncResponse {
  return decodeWith(responseSchema, bytes, "syncResponse", { maxBytes: SYNC_RESPONSE_BYTES_MAX + 1024 });
}
