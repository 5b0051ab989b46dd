import type { SmtStaleNode, SmtStaleValue } from "../merkle/index.ts";
import { HASH_SIZE_BYTES } from "../crypto/index.ts";
import { assert } from "../util/index.ts";
import { stateError } from "./errors.ts";

/*
 * What a version made stale, stored as one blob per version (state_versions.stale_nodes /
 * stale_values) instead of one row per entry: one insert per version, and pruning reads the
 * lists back in version order. Entries:
 *   node:  pathLength (1 byte) || path || version (u64 big-endian)
 *   value: keyHash (32) || version (u64 big-endian)
 */

const VERSION_SIZE_BYTES = 8;
const TWO_POW_32 = 0x1_0000_0000;
/** A path is at most 32 bytes of bits plus 2 of depth (merkle smtPathKey). */
const PATH_SIZE_BYTES_MAX = 34;

function writeVersion(view: DataView, offset: number, version: number): void {
  view.setUint32(offset, Math.floor(version / TWO_POW_32));
  view.setUint32(offset + 4, version % TWO_POW_32);
}

function readVersion(view: DataView, offset: number): number {
  return view.getUint32(offset) * TWO_POW_32 + view.getUint32(offset + 4);
}

export function encodeStaleNodes(stale: readonly SmtStaleNode[]): Uint8Array {
  let size = 0;
  for (const entry of stale) size += 1 + entry.path.byteLength + VERSION_SIZE_BYTES;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const { path, version } of stale) {
    if (path.byteLength > PATH_SIZE_BYTES_MAX) assert(false, `encodeStaleNodes: path of ${path.byteLength} bytes`);
    out[offset] = path.byteLength;
    // A loop, not out.set: paths are a few bytes, below what a native copy pays off for.
    for (let i = 0; i < path.byteLength; i++) out[offset + 1 + i] = path[i] as number;
    offset += 1 + path.byteLength;
    writeVersion(view, offset, version);
    offset += VERSION_SIZE_BYTES;
  }
  return out;
}

export function encodeStaleValues(stale: readonly SmtStaleValue[]): Uint8Array {
  const entryBytes = HASH_SIZE_BYTES + VERSION_SIZE_BYTES;
  const out = new Uint8Array(stale.length * entryBytes);
  const view = new DataView(out.buffer);
  stale.forEach(({ keyHash, version }, i) => {
    out.set(keyHash, i * entryBytes);
    writeVersion(view, i * entryBytes + HASH_SIZE_BYTES, version);
  });
  return out;
}

function corrupt(version: number, what: string): Error {
  return stateError("STATE_STORE_CORRUPT", `state_versions row ${version}: the ${what} list is damaged; the state database is damaged`, { version, list: what });
}

/** `version` names the row, for the error message. */
export function decodeStaleNodes(bytes: Uint8Array, version: number): SmtStaleNode[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SmtStaleNode[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    const pathBytes = bytes[offset] as number;
    const end = offset + 1 + pathBytes + VERSION_SIZE_BYTES;
    if (pathBytes < 2 || pathBytes > PATH_SIZE_BYTES_MAX || end > bytes.byteLength) throw corrupt(version, "stale node");
    out.push({ path: bytes.slice(offset + 1, offset + 1 + pathBytes), version: readVersion(view, offset + 1 + pathBytes) });
    offset = end;
  }
  return out;
}

export function decodeStaleValues(bytes: Uint8Array, version: number): SmtStaleValue[] {
  const entryBytes = HASH_SIZE_BYTES + VERSION_SIZE_BYTES;
  if (bytes.byteLength % entryBytes !== 0) throw corrupt(version, "stale value");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SmtStaleValue[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += entryBytes) {
    out.push({ keyHash: bytes.slice(offset, offset + HASH_SIZE_BYTES), version: readVersion(view, offset + HASH_SIZE_BYTES) });
  }
  return out;
}
