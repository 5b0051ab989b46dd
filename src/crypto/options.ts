import { assert } from "../util/index.ts";

/** scrypt cost parameters, stored in every encrypted key file so old files stay readable. */
export type ScryptParams = { readonly n: number; readonly r: number; readonly p: number };

/**
 * N = 2^16, r = 8, p = 1: 64 MiB of memory and about 0.3 s on one core of this 2-core
 * machine (measured, Node 24.21). A key file is unlocked once at start-up, so a third of a
 * second costs an operator nothing while every passphrase guess costs an attacker 64 MiB and
 * the same time; r = 8, p = 1 are the values scrypt's author and RFC 7914 use.
 * Raise n here for new files only: decoding reads the parameters from the file.
 */
export const defaultScryptParams: ScryptParams = { n: 2 ** 16, r: 8, p: 1 };

/**
 * Upper bounds accepted when decoding, so a corrupt or hostile key file cannot make the node
 * allocate gigabytes or spin for minutes: 2^20 is 16x the default (1 GiB with r = 8).
 */
export const SCRYPT_N_MAX = 2 ** 20;
export const SCRYPT_R_MAX = 32;
export const SCRYPT_P_MAX = 16;
export const SCRYPT_MEMORY_BYTES_MAX = 2 ** 30;

/** A key file is a few hundred bytes of JSON (plus hex public key); anything far larger is not one. */
export const KEY_FILE_SIZE_BYTES_MAX = 64 * 1024;

export type KeyFileEncodeOptions = {
  /** scrypt cost for encrypted files; tests lower it to run fast. */
  readonly scryptParams: ScryptParams;
};

export const defaultKeyFileEncodeOptions: KeyFileEncodeOptions = { scryptParams: defaultScryptParams };

/** Memory scrypt allocates: 128 * r * (N + p + 2) bytes (V array, B array, XY scratch). */
export function scryptMemoryBytes(params: ScryptParams): number {
  return 128 * params.r * (params.n + params.p + 2);
}

assert(scryptMemoryBytes(defaultScryptParams) <= SCRYPT_MEMORY_BYTES_MAX, "default scrypt parameters must be within the decode limits");
assert(defaultScryptParams.n <= SCRYPT_N_MAX && defaultScryptParams.r <= SCRYPT_R_MAX, "default scrypt parameters must be decodable");
