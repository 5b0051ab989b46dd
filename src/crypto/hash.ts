import { createHash } from "node:crypto";
import { assert, utf8 } from "../util/index.ts";
import { plainBytes } from "./bytes.ts";

export const HASH_SIZE_BYTES = 32;
const tagTerminator = new Uint8Array([0]);

export function sha256(data: Uint8Array): Uint8Array {
  return plainBytes(createHash("sha256").update(data).digest());
}

/**
 * Domain-separated hash: SHA-256(utf8(tag) || 0x00 || part0 || part1 || ...).
 * The tag (like "ghostmesh/v1/tx") keeps a hash computed for one purpose from ever being
 * accepted for another; the 0x00 ends the tag so no tag is a prefix-collision of another
 * tag followed by data. Parts are concatenated as-is: callers hash only fixed-size parts or
 * canonical (self-delimiting) encodings, so the concatenation is unambiguous.
 */
export function hashTagged(tag: string, ...parts: Uint8Array[]): Uint8Array {
  assert(tag.length > 0 && !tag.includes("\u0000"), `hashTagged: tag must be non-empty and free of NUL, got ${JSON.stringify(tag)}`);
  const hash = createHash("sha256").update(utf8(tag)).update(tagTerminator);
  for (const part of parts) hash.update(part);
  const digest = plainBytes(hash.digest());
  assert(digest.byteLength === HASH_SIZE_BYTES, "hashTagged: SHA-256 digest must be 32 bytes");
  return digest;
}
