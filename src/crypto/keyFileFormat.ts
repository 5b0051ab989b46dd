import { bytesEqual, fromHexOrUndefined } from "../util/index.ts";
import { formatAddress, parseAddress, addressFromPublicKey } from "./address.ts";
import { parseSignatureAlgorithmName, publicKeySizeBytes, SEED_SIZE_BYTES, type SignatureAlgorithmId } from "./algorithms.ts";
import { AEAD_NONCE_SIZE_BYTES, AEAD_TAG_SIZE_BYTES } from "./aead.ts";
import { cryptoError } from "./errors.ts";
import {
  KEY_FILE_SIZE_BYTES_MAX,
  SCRYPT_MEMORY_BYTES_MAX,
  SCRYPT_N_MAX,
  SCRYPT_P_MAX,
  SCRYPT_R_MAX,
  scryptMemoryBytes,
  type ScryptParams,
} from "./options.ts";

/*
 * Key file JSON (version 1). Written by encodeKeyFile, read by decodeKeyFile:
 *   { "version": 1, "alg": "ML-DSA-65", "address": "gm...", "encryption": "none", "seed": "<64 hex>",
 *     "publicKey": "<hex>" }
 *   { "version": 1, "alg": ..., "address": ..., "encryption": "scrypt-aes-256-gcm",
 *     "kdfParams": { "n": 65536, "r": 8, "p": 1, "salt": "<64 hex>" }, "nonce": "<24 hex>",
 *     "ciphertext": "<hex of AES-256-GCM(seed) || tag>", "publicKey": "<hex>" }
 * address and publicKey are in clear so tools can show which key a file holds without the
 * passphrase; decoding checks both against the seed. Unknown extra fields are ignored.
 */
export const KEY_FILE_VERSION = 1;
export const KEY_FILE_SALT_SIZE_BYTES = 32;

type KeyFileHeader = { version: 1; alg: string; address: string };
export type KeyFilePlain = KeyFileHeader & { encryption: "none"; seed: string; publicKey: string };
export type KeyFileEncrypted = KeyFileHeader & {
  encryption: "scrypt-aes-256-gcm";
  kdfParams: { n: number; r: number; p: number; salt: string };
  nonce: string;
  ciphertext: string;
  publicKey: string;
};
export type KeyFile = KeyFilePlain | KeyFileEncrypted;

/** A key file whose every field has been checked, with its bytes decoded. */
export type ParsedKeyFile = { readonly alg: SignatureAlgorithmId; readonly publicKey: Uint8Array } & (
  | { readonly encryption: "none"; readonly seed: Uint8Array }
  | {
      readonly encryption: "scrypt-aes-256-gcm";
      readonly scryptParams: ScryptParams;
      readonly salt: Uint8Array;
      readonly nonce: Uint8Array;
      readonly ciphertext: Uint8Array;
    }
);

function malformed(field: string, problem: string): Error {
  return cryptoError("CRYPTO_KEYFILE_MALFORMED", `key file field "${field}" ${problem}`, { field });
}

type JsonObject = Readonly<Record<string, unknown>>;

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readField(object: JsonObject, name: string, path: string): unknown {
  if (!Object.hasOwn(object, name)) throw malformed(path, "is missing");
  return object[name];
}

function readString(object: JsonObject, name: string, path: string = name): string {
  const value = readField(object, name, path);
  if (typeof value !== "string") throw malformed(path, `must be a string, got ${value === null ? "null" : typeof value}`);
  return value;
}

function readHex(object: JsonObject, name: string, sizeBytes: number, path: string = name): Uint8Array {
  const bytes = fromHexOrUndefined(readString(object, name, path));
  if (bytes === undefined) throw malformed(path, "must be hex");
  if (bytes.byteLength !== sizeBytes) throw malformed(path, `must be ${sizeBytes} bytes (${2 * sizeBytes} hex digits), got ${bytes.byteLength}`);
  return bytes;
}

function readInteger(object: JsonObject, name: string, path: string, min: number, max: number): number {
  const value = readField(object, name, path);
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw malformed(path, `must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Why params are unacceptable (and which one is at fault, when it is one), or undefined when
 * they are fine. Shared by encode (caller's options) and decode (file contents).
 */
export function scryptParamsProblem(params: ScryptParams): { param: "n" | "r" | "p" | undefined; problem: string } | undefined {
  const { n, r, p } = params;
  if (!Number.isSafeInteger(n) || n < 2 || n > SCRYPT_N_MAX || (n & (n - 1)) !== 0) {
    return { param: "n", problem: `must be a power of two in 2..${SCRYPT_N_MAX}, got ${n}` };
  }
  if (!Number.isSafeInteger(r) || r < 1 || r > SCRYPT_R_MAX) return { param: "r", problem: `must be an integer in 1..${SCRYPT_R_MAX}, got ${r}` };
  if (!Number.isSafeInteger(p) || p < 1 || p > SCRYPT_P_MAX) return { param: "p", problem: `must be an integer in 1..${SCRYPT_P_MAX}, got ${p}` };
  const memoryBytes = scryptMemoryBytes(params);
  if (memoryBytes > SCRYPT_MEMORY_BYTES_MAX) {
    return { param: undefined, problem: `need ${memoryBytes} bytes of memory, more than the ${SCRYPT_MEMORY_BYTES_MAX} allowed` };
  }
  return undefined;
}

function readScryptParams(object: JsonObject): { scryptParams: ScryptParams; salt: Uint8Array } {
  const kdf = readField(object, "kdfParams", "kdfParams");
  if (!isJsonObject(kdf)) throw malformed("kdfParams", "must be an object");
  const scryptParams = {
    n: readInteger(kdf, "n", "kdfParams.n", 2, SCRYPT_N_MAX),
    r: readInteger(kdf, "r", "kdfParams.r", 1, SCRYPT_R_MAX),
    p: readInteger(kdf, "p", "kdfParams.p", 1, SCRYPT_P_MAX),
  };
  const problem = scryptParamsProblem(scryptParams);
  if (problem !== undefined) {
    throw malformed(problem.param === undefined ? "kdfParams" : `kdfParams.${problem.param}`, problem.problem);
  }
  return { scryptParams, salt: readHex(kdf, "salt", KEY_FILE_SALT_SIZE_BYTES, "kdfParams.salt") };
}

function parseJson(text: string): JsonObject {
  if (typeof text !== "string") throw malformed("(file)", `must be JSON text, got ${typeof text}`);
  if (text.length > KEY_FILE_SIZE_BYTES_MAX) throw malformed("(file)", `is over ${KEY_FILE_SIZE_BYTES_MAX} characters: not a key file`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed("(file)", "is not valid JSON");
  }
  if (!isJsonObject(value)) throw malformed("(file)", "must be a JSON object");
  return value;
}

/**
 * Checks every field of a key file and decodes its bytes; does not decrypt.
 * @throws GhostmeshError CRYPTO_KEYFILE_MALFORMED naming the field, CRYPTO_KEYFILE_UNSUPPORTED_VERSION,
 *   or CRYPTO_KEYFILE_MISMATCH when the address is not the public key's.
 */
export function parseKeyFile(text: string): ParsedKeyFile {
  const object = parseJson(text);
  const version = readField(object, "version", "version");
  if (version !== KEY_FILE_VERSION) {
    throw cryptoError("CRYPTO_KEYFILE_UNSUPPORTED_VERSION", `key file version ${JSON.stringify(version)} is not supported; this build reads version ${KEY_FILE_VERSION}`, {
      field: "version",
    });
  }
  let alg: SignatureAlgorithmId;
  try {
    alg = parseSignatureAlgorithmName(readString(object, "alg"));
  } catch (err) {
    throw malformed("alg", err instanceof Error ? `is invalid: ${err.message}` : "is invalid");
  }
  const publicKey = readHex(object, "publicKey", publicKeySizeBytes[alg]);
  let address: Uint8Array;
  try {
    address = parseAddress(readString(object, "address"));
  } catch (err) {
    throw malformed("address", err instanceof Error ? `is invalid: ${err.message}` : "is invalid");
  }
  const expected = addressFromPublicKey(alg, publicKey);
  if (!bytesEqual(address, expected)) {
    throw cryptoError("CRYPTO_KEYFILE_MISMATCH", `key file address ${formatAddress(address)} is not the address of its publicKey (${formatAddress(expected)})`, {
      field: "address",
    });
  }
  const encryption = readString(object, "encryption");
  if (encryption === "none") return { alg, publicKey, encryption, seed: readHex(object, "seed", SEED_SIZE_BYTES) };
  if (encryption === "scrypt-aes-256-gcm") {
    const nonce = readHex(object, "nonce", AEAD_NONCE_SIZE_BYTES);
    const ciphertext = readHex(object, "ciphertext", SEED_SIZE_BYTES + AEAD_TAG_SIZE_BYTES);
    return { alg, publicKey, encryption, ...readScryptParams(object), nonce, ciphertext };
  }
  throw malformed("encryption", `must be "none" or "scrypt-aes-256-gcm", got ${JSON.stringify(encryption)}`);
}
