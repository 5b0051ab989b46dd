/**
 * Ghostmesh cryptography: ML-DSA signatures with algorithm ids, domain-separated hashing,
 * addresses, ML-KEM-768 + X25519 hybrid key agreement, HKDF, AES-256-GCM, and key files.
 * Everything runs on node:crypto (OpenSSL 3.5 in Node 24). The only import surface of the module.
 */
export {
  SignatureAlgorithm,
  defaultSignatureAlgorithm,
  isSignatureAlgorithmId,
  signatureAlgorithmName,
  parseSignatureAlgorithmName,
  publicKeySizeBytes,
  signatureSizeBytes,
  SEED_SIZE_BYTES,
} from "./algorithms.ts";
export type { SignatureAlgorithmId } from "./algorithms.ts";
export type { CryptoError, CryptoErrorCode } from "./errors.ts";

export { generateSigningKey, signingKeyFromSeed } from "./signingKey.ts";
export type { SigningKey } from "./signingKey.ts";
export { sign, signAsync, verify, verifyAsync, publicKeyCacheStats, signatureWorkCounts } from "./signatures.ts";
export type { SignatureWorkCounts } from "./signatures.ts";
export { PUBLIC_KEY_CACHE_ENTRIES_MAX } from "./publicKeyCache.ts";
export type { PublicKeyCacheStats } from "./publicKeyCache.ts";

export { sha256, sha256Key, hashTagged, HASH_SIZE_BYTES } from "./hash.ts";
export { ADDRESS_SIZE_BYTES, ADDRESS_PREFIX, addressFromPublicKey, formatAddress, parseAddress } from "./address.ts";

export {
  generateHybridKemKeyPair,
  hybridEncapsulate,
  hybridDecapsulate,
  HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES,
  HYBRID_KEM_CIPHERTEXT_SIZE_BYTES,
  HYBRID_KEM_SHARED_SECRET_SIZE_BYTES,
} from "./hybridKem.ts";
export type { KemKeyPair } from "./hybridKem.ts";
export { hkdfSha256, HKDF_SHA256_LENGTH_BYTES_MAX, HKDF_INFO_SIZE_BYTES_MAX } from "./hkdf.ts";
export { aeadKey, aeadSeal, aeadSealDetached, aeadOpen, aeadOpenDetached, type AeadKey, AEAD_KEY_SIZE_BYTES, AEAD_NONCE_SIZE_BYTES, AEAD_TAG_SIZE_BYTES } from "./aead.ts";

export { encodeKeyFile, encodeKeyFileAsync, decodeKeyFile, decodeKeyFileAsync } from "./keyFile.ts";
export type { KeyFileProtection } from "./keyFile.ts";
export type { KeyFile, KeyFilePlain, KeyFileEncrypted } from "./keyFileFormat.ts";
export { KEY_FILE_VERSION } from "./keyFileFormat.ts";
export { saveKeyFile, loadKeyFile, loadKeyFileAsync, KEY_FILE_MODE } from "./keyFileStore.ts";
export type { SaveKeyFileOptions } from "./keyFileStore.ts";
export { defaultScryptParams, defaultKeyFileEncodeOptions, KEY_FILE_SIZE_BYTES_MAX } from "./options.ts";
export type { ScryptParams, KeyFileEncodeOptions } from "./options.ts";
