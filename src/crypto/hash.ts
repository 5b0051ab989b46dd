import { createHash, hash } from "node:crypto";
import { assert, utf8 } from "../util/index.ts";
import { plainBytes } from "./bytes.ts";

export const HASH_SIZE_BYTES = 32;

/**
 * SHA-256 of `data`. The one-shot `crypto.hash` with a "binary" (latin1) string digest is ~5x faster than
 * a Buffer digest for small inputs (allocating the Buffer costs more than hashing 65 bytes);
 * each char of such a digest is one byte.
 */
export function sha256(data: Uint8Array): Uint8Array {
  const digest = hash("sha256", data, "binary");
  const out = new Uint8Array(HASH_SIZE_BYTES);
  for (let i = 0; i < HASH_SIZE_BYTES; i++) out[i] = digest.charCodeAt(i);
  return out;
}

/** SHA-256 of `data` as a string (one char per digest byte), for map keys: no bytes to allocate or hex-encode. */
export function sha256Key(data: Uint8Array): string {
  return hash("sha256", data, "binary");
}

/** utf8(tag) || 0x00, computed once per tag; tags are a small fixed set (ledger/hashing.ts). */
const tagPrefixes = new Map<string, Uint8Array>();
const TAG_PREFIXES_MAX = 256;

function tagPrefix(tag: string): Uint8Array {
  let prefix = tagPrefixes.get(tag);
  if (prefix === undefined) {
    assert(tag.length > 0 && !tag.includes("\u0000"), `hashTagged: tag must be non-empty and free of NUL, got ${JSON.stringify(tag)}`);
    const bytes = utf8(tag);
    prefix = new Uint8Array(bytes.byteLength + 1);
    prefix.set(bytes);
    if (tagPrefixes.size < TAG_PREFIXES_MAX) tagPrefixes.set(tag, prefix);
  }
  return prefix;
}

/** Inputs up to this size are joined in a scratch buffer and hashed in one call. */
const SCRATCH_BYTES_MAX = 64 * 1024;
const scratch = new Uint8Array(SCRATCH_BYTES_MAX);

/**
 * Domain-separated hash: SHA-256(utf8(tag) || 0x00 || part0 || part1 || ...).
 * The tag (like "ghostmesh/v1/tx") keeps a hash computed for one purpose from ever being
 * accepted for another; the 0x00 ends the tag so no tag is a prefix-collision of another
 * tag followed by data. Parts are concatenated as-is: callers hash only fixed-size parts or
 * canonical (self-delimiting) encodings, so the concatenation is unambiguous.
 */
export function hashTagged(tag: string, ...parts: Uint8Array[]): Uint8Array {
  const prefix = tagPrefix(tag);
  let length = prefix.byteLength;
  for (const part of parts) length += part.byteLength;
  if (length > SCRATCH_BYTES_MAX) {
    const streaming = createHash("sha256").update(prefix);
    for (const part of parts) streaming.update(part);
    return plainBytes(streaming.digest());
  }
  // Synchronous and single-threaded: the scratch buffer cannot be observed half-written.
  scratch.set(prefix, 0);
  let offset = prefix.byteLength;
  for (const part of parts) {
    scratch.set(part, offset);
    offset += part.byteLength;
  }
  return sha256(scratch.subarray(0, offset));
}

