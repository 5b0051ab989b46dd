import { hkdfSync } from "node:crypto";
import { plainBytes } from "./bytes.ts";
import { cryptoError } from "./errors.ts";

/** RFC 5869: at most 255 blocks of output. */
export const HKDF_SHA256_LENGTH_BYTES_MAX = 255 * 32;
/** node:crypto refuses longer info; hash long transcripts into info instead. */
export const HKDF_INFO_SIZE_BYTES_MAX = 1024;

/**
 * HKDF-SHA-256 (RFC 5869), extract then expand.
 * @throws GhostmeshError CRYPTO_INVALID_ARGUMENT for a length or info size outside the limits.
 */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, lengthBytes: number): Uint8Array {
  if (!Number.isSafeInteger(lengthBytes) || lengthBytes < 1 || lengthBytes > HKDF_SHA256_LENGTH_BYTES_MAX) {
    throw cryptoError("CRYPTO_INVALID_ARGUMENT", `HKDF output length must be 1..${HKDF_SHA256_LENGTH_BYTES_MAX} bytes, got ${lengthBytes}`, {
      lengthBytes,
      lengthBytesMax: HKDF_SHA256_LENGTH_BYTES_MAX,
    });
  }
  if (info.byteLength > HKDF_INFO_SIZE_BYTES_MAX) {
    throw cryptoError("CRYPTO_INVALID_ARGUMENT", `HKDF info must be at most ${HKDF_INFO_SIZE_BYTES_MAX} bytes, got ${info.byteLength}`, {
      sizeBytes: info.byteLength,
      sizeBytesMax: HKDF_INFO_SIZE_BYTES_MAX,
    });
  }
  return plainBytes(hkdfSync("sha256", ikm, salt, info, lengthBytes));
}
