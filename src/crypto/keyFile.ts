import { randomBytes, scrypt, scryptSync } from "node:crypto";
import { assert, bytesEqual, toHex, utf8 } from "../util/index.ts";
import { addressFromPublicKey, formatAddress } from "./address.ts";
import { signatureAlgorithmName } from "./algorithms.ts";
import { AEAD_KEY_SIZE_BYTES, AEAD_NONCE_SIZE_BYTES, aeadOpen, aeadSeal } from "./aead.ts";
import { plainBytes } from "./bytes.ts";
import { cryptoError } from "./errors.ts";
import { hashTagged } from "./hash.ts";
import {
  KEY_FILE_SALT_SIZE_BYTES,
  KEY_FILE_VERSION,
  parseKeyFile,
  scryptParamsProblem,
  type KeyFileEncrypted,
  type KeyFilePlain,
  type ParsedKeyFile,
} from "./keyFileFormat.ts";
import { defaultKeyFileEncodeOptions, scryptMemoryBytes, type KeyFileEncodeOptions, type ScryptParams } from "./options.ts";
import { signingKeyFromSeed, type SigningKey } from "./signingKey.ts";

/** Encrypt with a passphrase, or (devnets, tests) store the seed in clear only when asked. */
export type KeyFileProtection = { readonly passphrase: string } | { readonly plain: true };

/** What the scrypt step needs; the sync and async paths differ only in how they run it. */
type ScryptJob = { readonly passphrase: Uint8Array; readonly salt: Uint8Array; readonly params: ScryptParams };

/**
 * Passphrases are NFKC-normalised (as BIP-39 normalises mnemonics) so the same passphrase
 * typed on systems that compose accents differently unlocks the same file.
 */
function passphraseBytes(passphrase: string): Uint8Array {
  return utf8(passphrase.normalize("NFKC"));
}

function scryptOptions(params: ScryptParams): { N: number; r: number; p: number; maxmem: number } {
  // Node's default maxmem (32 MiB) is below the default cost (64 MiB); allow exactly what is needed.
  return { N: params.n, r: params.r, p: params.p, maxmem: scryptMemoryBytes(params) + 1024 * 1024 };
}

function runScryptSync(job: ScryptJob): Uint8Array {
  try {
    return plainBytes(scryptSync(job.passphrase, job.salt, AEAD_KEY_SIZE_BYTES, scryptOptions(job.params)));
  } catch (err) {
    throw scryptFailed(err);
  }
}

/** Parameters are bounds-checked first, so this is only reachable when memory runs out. */
function scryptFailed(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  return cryptoError("CRYPTO_INVALID_ARGUMENT", `scrypt key derivation failed: ${message}`, {}, err);
}

function runScryptAsync(job: ScryptJob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scrypt(job.passphrase, job.salt, AEAD_KEY_SIZE_BYTES, scryptOptions(job.params), (err, derived) => {
      if (err !== null) reject(scryptFailed(err));
      else resolve(plainBytes(derived));
    });
  });
}

/** The seed ciphertext is bound to the algorithm and public key it claims to belong to. */
function keyFileAad(algName: string, publicKey: Uint8Array): Uint8Array {
  return hashTagged("ghostmesh/v1/keyfile", utf8(algName), publicKey);
}

function plainKeyFileJson(key: SigningKey): string {
  const file: KeyFilePlain = {
    version: KEY_FILE_VERSION,
    alg: signatureAlgorithmName(key.alg),
    address: formatAddress(addressFromPublicKey(key.alg, key.publicKey)),
    encryption: "none",
    seed: toHex(key.seed),
    publicKey: toHex(key.publicKey),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Validates the protection and, for encryption, draws salt and nonce. undefined = plain. */
function prepareEncryption(protection: KeyFileProtection, options: Partial<KeyFileEncodeOptions>): (ScryptJob & { nonce: Uint8Array }) | undefined {
  if ("passphrase" in protection) {
    if (typeof protection.passphrase !== "string" || protection.passphrase.length === 0) {
      throw cryptoError("CRYPTO_KEYFILE_PASSPHRASE_EMPTY", "refusing to encrypt a key file with an empty passphrase; pass a passphrase or ask for a plain file");
    }
    const params = options.scryptParams ?? defaultKeyFileEncodeOptions.scryptParams;
    const problem = scryptParamsProblem(params);
    if (problem !== undefined) {
      const subject = problem.param === undefined ? "scrypt parameters" : `scrypt parameter ${problem.param}`;
      throw cryptoError("CRYPTO_INVALID_ARGUMENT", `${subject} ${problem.problem}`, { ...params });
    }
    const salt = plainBytes(randomBytes(KEY_FILE_SALT_SIZE_BYTES));
    return { passphrase: passphraseBytes(protection.passphrase), salt, params, nonce: plainBytes(randomBytes(AEAD_NONCE_SIZE_BYTES)) };
  }
  if (protection.plain === true) return undefined;
  throw cryptoError("CRYPTO_INVALID_ARGUMENT", "key file protection must be { passphrase } or { plain: true }");
}

function encryptedKeyFileJson(key: SigningKey, job: ScryptJob & { nonce: Uint8Array }, encryptionKey: Uint8Array): string {
  const alg = signatureAlgorithmName(key.alg);
  const ciphertext = aeadSeal(encryptionKey, job.nonce, key.seed, keyFileAad(alg, key.publicKey));
  encryptionKey.fill(0);
  const file: KeyFileEncrypted = {
    version: KEY_FILE_VERSION,
    alg,
    address: formatAddress(addressFromPublicKey(key.alg, key.publicKey)),
    encryption: "scrypt-aes-256-gcm",
    kdfParams: { n: job.params.n, r: job.params.r, p: job.params.p, salt: toHex(job.salt) },
    nonce: toHex(job.nonce),
    ciphertext: toHex(ciphertext),
    publicKey: toHex(key.publicKey),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Key file JSON text for a signing key. Encryption runs scrypt synchronously (~0.3 s at the
 * default cost); use encodeKeyFileAsync where the event loop must stay free.
 * @throws GhostmeshError CRYPTO_KEYFILE_PASSPHRASE_EMPTY or CRYPTO_INVALID_ARGUMENT.
 */
export function encodeKeyFile(key: SigningKey, protection: KeyFileProtection, options: Partial<KeyFileEncodeOptions> = {}): string {
  const job = prepareEncryption(protection, options);
  const text = job === undefined ? plainKeyFileJson(key) : encryptedKeyFileJson(key, job, runScryptSync(job));
  return assertDecodable(text);
}

export async function encodeKeyFileAsync(key: SigningKey, protection: KeyFileProtection, options: Partial<KeyFileEncodeOptions> = {}): Promise<string> {
  const job = prepareEncryption(protection, options);
  const text = job === undefined ? plainKeyFileJson(key) : encryptedKeyFileJson(key, job, await runScryptAsync(job));
  return assertDecodable(text);
}

/** Pairs encode with decode: what we write must pass every check decoding makes (scrypt aside). */
function assertDecodable(text: string): string {
  try {
    parseKeyFile(text);
  } catch (err) {
    assert(false, `encodeKeyFile produced a file decodeKeyFile rejects: ${err instanceof Error ? err.message : String(err)}`);
  }
  return text;
}

/** The scrypt job an encrypted file needs, or undefined for a plain file. */
function decryptionJob(parsed: ParsedKeyFile, passphrase: string | undefined): ScryptJob | undefined {
  if (parsed.encryption === "none") return undefined;
  if (typeof passphrase !== "string" || passphrase === "") {
    throw cryptoError("CRYPTO_KEYFILE_PASSPHRASE_REQUIRED", "this key file is encrypted; a passphrase is required to unlock it");
  }
  return { passphrase: passphraseBytes(passphrase), salt: parsed.salt, params: parsed.scryptParams };
}

function signingKeyFromParsed(parsed: ParsedKeyFile, encryptionKey: Uint8Array | undefined): SigningKey {
  let seed: Uint8Array;
  if (parsed.encryption === "none") {
    seed = parsed.seed;
  } else {
    assert(encryptionKey !== undefined, "signingKeyFromParsed: an encrypted file needs the derived key");
    try {
      seed = aeadOpen(encryptionKey, parsed.nonce, parsed.ciphertext, keyFileAad(signatureAlgorithmName(parsed.alg), parsed.publicKey));
    } catch (err) {
      throw cryptoError("CRYPTO_KEYFILE_WRONG_PASSPHRASE", "wrong passphrase (or the key file was altered)", {}, err);
    } finally {
      encryptionKey.fill(0);
    }
  }
  const key = signingKeyFromSeed(parsed.alg, seed);
  seed.fill(0);
  if (!bytesEqual(key.publicKey, parsed.publicKey)) {
    throw cryptoError("CRYPTO_KEYFILE_MISMATCH", "key file publicKey is not the public key of its seed; the file was altered or assembled wrongly", {
      field: "publicKey",
    });
  }
  return key;
}

/**
 * Reads key file JSON text back into a signing key, checking address and public key against
 * the seed. A passphrase given for a plain file is ignored.
 * @throws GhostmeshError CRYPTO_KEYFILE_MALFORMED (meta.field names the field),
 *   CRYPTO_KEYFILE_UNSUPPORTED_VERSION, CRYPTO_KEYFILE_PASSPHRASE_REQUIRED,
 *   CRYPTO_KEYFILE_WRONG_PASSPHRASE, CRYPTO_KEYFILE_MISMATCH.
 */
export function decodeKeyFile(text: string, passphrase?: string): SigningKey {
  const parsed = parseKeyFile(text);
  const job = decryptionJob(parsed, passphrase);
  return signingKeyFromParsed(parsed, job === undefined ? undefined : runScryptSync(job));
}

/** decodeKeyFile with scrypt on libuv's threadpool. Rejects with the same errors. */
export async function decodeKeyFileAsync(text: string, passphrase?: string): Promise<SigningKey> {
  const parsed = parseKeyFile(text);
  const job = decryptionJob(parsed, passphrase);
  return signingKeyFromParsed(parsed, job === undefined ? undefined : await runScryptAsync(job));
}
