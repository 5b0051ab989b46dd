import { GhostmeshError } from "../util/index.ts";

/**
 * Every operating error the crypto module raises. Bad input (a malformed address, a tampered
 * ciphertext, a wrong passphrase) gets one of these; bugs in the caller get AssertionError.
 */
export type CryptoErrorCode =
  | "CRYPTO_UNKNOWN_ALGORITHM"
  | "CRYPTO_BAD_SEED"
  | "CRYPTO_BAD_ADDRESS"
  | "CRYPTO_INVALID_ARGUMENT"
  | "CRYPTO_AEAD_FAILED"
  | "CRYPTO_KEM_MALFORMED"
  | "CRYPTO_KEM_FAILED"
  | "CRYPTO_KEYFILE_MALFORMED"
  | "CRYPTO_KEYFILE_UNSUPPORTED_VERSION"
  | "CRYPTO_KEYFILE_MISMATCH"
  | "CRYPTO_KEYFILE_PASSPHRASE_REQUIRED"
  | "CRYPTO_KEYFILE_PASSPHRASE_EMPTY"
  | "CRYPTO_KEYFILE_WRONG_PASSPHRASE"
  | "CRYPTO_KEYFILE_NOT_FOUND"
  | "CRYPTO_KEYFILE_EXISTS"
  | "CRYPTO_KEYFILE_IO_FAILED";

export type CryptoError = GhostmeshError<CryptoErrorCode>;

export function cryptoError(
  code: CryptoErrorCode,
  message: string,
  meta: Record<string, unknown> = {},
  cause?: unknown,
): CryptoError {
  return new GhostmeshError(code, message, meta, cause === undefined ? undefined : { cause });
}
