/**
 * The offline bundle file (decision 0504): a CBOR sequence (RFC 8742) of byte strings, each
 * holding one canonical-CBOR item, so a reader streams it item by item without decoding
 * ahead:
 *   bstr(header)  header = {format: "ghostmesh-bundle", version: 1, chainId, genesisHash, fromHeight, toHeight}
 *   bstr(block)   one per height fromHeight..toHeight: {block, qc}, exactly as block sync sends it
 * The file ends right after the last block. Every length is checked before bytes are
 * buffered: a hostile file costs at most one block's size in memory.
 */
import { decodeWith, encodeCanonical, s } from "../../codec/index.ts";
import { chainIdSchema } from "../../ledger/index.ts";
import { GhostmeshError, concatBytes, errorMessage } from "../../util/index.ts";
import { SYNC_RESPONSE_BYTES_MAX, decodeSyncedBlock, encodeSyncedBlock, type SyncedBlock } from "../p2p/index.ts";

export const BUNDLE_FORMAT = "ghostmesh-bundle";
export const BUNDLE_VERSION = 1;
const HEADER_BYTES_MAX = 1024;
/** One block item: the largest block sync accepts. */
const ITEM_BYTES_MAX = SYNC_RESPONSE_BYTES_MAX;

export type BundleHeader = {
  readonly format: typeof BUNDLE_FORMAT;
  readonly version: typeof BUNDLE_VERSION;
  readonly chainId: string;
  readonly genesisHash: Uint8Array;
  readonly fromHeight: number;
  readonly toHeight: number;
};

const headerSchema = s.object({
  format: s.literal(BUNDLE_FORMAT),
  version: s.literal(BUNDLE_VERSION),
  chainId: chainIdSchema,
  genesisHash: s.bytes({ size: 32 }),
  fromHeight: s.uint({ min: 1 }),
  toHeight: s.uint({ min: 1 }),
});

function malformed(message: string, meta: Record<string, number> = {}): GhostmeshError<"NODE_BUNDLE_MALFORMED"> {
  return new GhostmeshError("NODE_BUNDLE_MALFORMED", `not a valid bundle: ${message}`, meta);
}

/** One item of the sequence: a CBOR byte string head (shortest form) and its contents. */
export function encodeBundleItem(contents: Uint8Array): Uint8Array {
  const n = contents.byteLength;
  const head = n < 24 ? [0x40 | n] : n < 0x100 ? [0x58, n] : n < 0x10000 ? [0x59, n >>> 8, n & 0xff] : [0x5a, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return concatBytes([Uint8Array.from(head), contents]);
}

export function encodeBundleHeader(header: BundleHeader): Uint8Array {
  return encodeBundleItem(encodeCanonical(header, "bundleHeader"));
}

export function encodeBundleBlock(synced: SyncedBlock): Uint8Array {
  return encodeBundleItem(encodeSyncedBlock(synced));
}

/**
 * The length an item head announces, or undefined when `buffer` does not hold the whole head
 * yet. @throws NODE_BUNDLE_MALFORMED for anything but a shortest-form definite byte string.
 */
function itemHead(buffer: Uint8Array, offset: number): { readonly headBytes: number; readonly length: number } | undefined {
  const initial = buffer[offset] as number;
  if (initial >>> 5 !== 2) throw malformed(`item at byte ${offset} is not a byte string`, { offset });
  const info = initial & 0x1f;
  if (info < 24) return { headBytes: 1, length: info };
  if (info > 26) throw malformed(`item at byte ${offset} has a length above 4 GiB or an indefinite length`, { offset });
  const argBytes = 1 << (info - 24);
  if (buffer.byteLength - offset < 1 + argBytes) return undefined;
  let length = 0;
  for (let i = 1; i <= argBytes; i++) length = length * 256 + (buffer[offset + i] as number);
  const minimum = info === 24 ? 24 : info === 25 ? 0x100 : 0x10000;
  if (length < minimum) throw malformed(`item at byte ${offset} is not in shortest form (not canonical)`, { offset });
  return { headBytes: 1 + argBytes, length };
}

/**
 * The items of a bundle stream, each checked against `itemBytesMax` before it is buffered.
 * Chunks of an incomplete item are only collected, and joined once it is whole.
 */
export async function* readBundleItems(chunks: AsyncIterable<Uint8Array>, itemBytesMax: number = ITEM_BYTES_MAX): AsyncGenerator<Uint8Array> {
  let buffer: Uint8Array = new Uint8Array(0);
  let offset = 0;
  /** Bytes before `buffer` (for error offsets). */
  let consumed = 0;
  let parts: Uint8Array[] = [];
  let partsBytes = 0;
  /** Bytes from `offset` that complete the current item, once its head is known. */
  let needed = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    partsBytes += chunk.byteLength;
    if (buffer.byteLength - offset + partsBytes < needed) continue;
    consumed += offset;
    buffer = concatBytes([buffer.subarray(offset), ...parts]);
    offset = 0;
    parts = [];
    partsBytes = 0;
    needed = 0;
    while (offset < buffer.byteLength) {
      const head = itemHead(buffer, offset);
      if (head === undefined) break;
      if (head.length > itemBytesMax) throw malformed(`item at byte ${consumed + offset} is ${head.length} bytes, above the ${itemBytesMax}-byte limit`, { offset: consumed + offset, sizeBytes: head.length });
      const end = offset + head.headBytes + head.length;
      if (end > buffer.byteLength) {
        needed = end - offset;
        break;
      }
      yield buffer.subarray(offset + head.headBytes, end);
      offset = end;
    }
  }
  if (offset !== buffer.byteLength || partsBytes > 0) throw malformed(`the file ends inside an item (byte ${consumed + offset})`, { offset: consumed + offset });
}

export function decodeBundleHeader(item: Uint8Array): BundleHeader {
  try {
    const header = decodeWith(headerSchema, item, "bundleHeader", { maxBytes: HEADER_BYTES_MAX });
    if (header.toHeight < header.fromHeight) throw malformed(`range ${header.fromHeight}..${header.toHeight} is empty`);
    return header as BundleHeader;
  } catch (err) {
    if (err instanceof GhostmeshError && err.code === "NODE_BUNDLE_MALFORMED") throw err;
    throw malformed(`header: ${errorMessage(err)}`);
  }
}

/** @throws NODE_BUNDLE_MALFORMED naming the height the item should hold. */
export function decodeBundleBlock(item: Uint8Array, expectedHeight: number): SyncedBlock {
  try {
    return decodeSyncedBlock(item);
  } catch (err) {
    throw new GhostmeshError("NODE_BUNDLE_MALFORMED", `not a valid bundle: block ${expectedHeight} does not decode: ${errorMessage(err)}`, { height: expectedHeight });
  }
}

/**
 * The header and then the blocks of a bundle stream, in order, each decoded (not verified:
 * that is import's job). @throws NODE_BUNDLE_MALFORMED for any malformed input.
 */
export async function* readBundle(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<{ readonly header: BundleHeader } | { readonly block: SyncedBlock }> {
  let header: BundleHeader | undefined;
  let height = 0;
  for await (const item of readBundleItems(chunks)) {
    if (header === undefined) {
      if (item.byteLength > HEADER_BYTES_MAX) throw malformed(`header is ${item.byteLength} bytes`);
      header = decodeBundleHeader(item);
      height = header.fromHeight;
      yield { header };
      continue;
    }
    if (height > header.toHeight) throw malformed(`more blocks than the range ${header.fromHeight}..${header.toHeight}`);
    yield { block: decodeBundleBlock(item, height) };
    height++;
  }
  if (header === undefined) throw malformed("the file is empty");
  if (height <= header.toHeight) throw malformed(`the file ends at block ${height - 1}; its header promises ${header.toHeight}`, { height });
}
