import { createPublicKey, decapsulate, diffieHellman, encapsulate, generateKeyPairSync, type KeyObject } from "node:crypto";
import { assert, concatBytes } from "../util/index.ts";
import { bufferView } from "./bytes.ts";
import { cryptoError } from "./errors.ts";
import { hashTagged } from "./hash.ts";
import { hkdfSha256 } from "./hkdf.ts";

/*
 * Hybrid key encapsulation: ML-KEM-768 (FIPS 203) + X25519 (RFC 7748). The shared secret is
 * safe as long as either part holds: ML-KEM against quantum attackers, X25519 in case
 * ML-KEM (young, with a young implementation) turns out broken.
 *
 *   publicKey  = mlkemPublicKey (1184) || x25519PublicKey (32)
 *   encapsulate(publicKey):
 *     (mlkemSecret, mlkemCiphertext) = ML-KEM-768.Encaps(mlkemPublicKey)
 *     (e, E)                         = fresh X25519 key pair
 *     x25519Secret                   = X25519(e, x25519PublicKey)
 *     ciphertext = mlkemCiphertext (1088) || E (32)
 *   transcript   = SHA-256("ghostmesh/v1/kem/mlkem768-x25519" || 0x00 || publicKey || ciphertext)
 *   sharedSecret = HKDF-SHA-256(ikm = mlkemSecret || x25519Secret, salt = empty,
 *                               info = transcript, length = 32)
 *
 * Binding both public keys and both ciphertexts into info (transcript binding, as X-Wing and
 * the TLS hybrid drafts do) means a secret can only come out of the exact exchange it was made
 * in: X25519 alone is not bound to its public values, so without this an attacker could
 * re-use an X25519 share across sessions. The transcript is hashed because node:crypto caps
 * HKDF info at 1 KiB. A tampered ML-KEM ciphertext decapsulates to a pseudo-random secret
 * (FIPS 203 implicit rejection), so tampering shows up as a different secret, which the
 * handshake's key confirmation / first AEAD message then rejects.
 */
export const MLKEM768_PUBLIC_KEY_SIZE_BYTES = 1184;
export const MLKEM768_CIPHERTEXT_SIZE_BYTES = 1088;
export const X25519_PUBLIC_KEY_SIZE_BYTES = 32;
export const HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES = MLKEM768_PUBLIC_KEY_SIZE_BYTES + X25519_PUBLIC_KEY_SIZE_BYTES;
export const HYBRID_KEM_CIPHERTEXT_SIZE_BYTES = MLKEM768_CIPHERTEXT_SIZE_BYTES + X25519_PUBLIC_KEY_SIZE_BYTES;
export const HYBRID_KEM_SHARED_SECRET_SIZE_BYTES = 32;
const transcriptTag = "ghostmesh/v1/kem/mlkem768-x25519";
const emptySalt = new Uint8Array(0);

export type KemKeyPair = {
  /** mlkemPublicKey (1184 bytes) || x25519PublicKey (32 bytes). */
  readonly publicKey: Uint8Array;
  readonly privateKey: { readonly mlKem768: KeyObject; readonly x25519: KeyObject };
};

export function generateHybridKemKeyPair(): KemKeyPair {
  const mlKem = generateKeyPairSync("ml-kem-768");
  const x25519 = generateKeyPairSync("x25519");
  const publicKey = concatBytes([mlKem.publicKey.export({ format: "raw-public" }), x25519.publicKey.export({ format: "raw-public" })]);
  assert(publicKey.byteLength === HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES, "generateHybridKemKeyPair: public key size");
  return Object.freeze({ publicKey, privateKey: Object.freeze({ mlKem768: mlKem.privateKey, x25519: x25519.privateKey }) });
}

/**
 * Encapsulates a fresh shared secret to a peer's hybrid public key.
 * @throws GhostmeshError CRYPTO_KEM_MALFORMED (wrong size, invalid ML-KEM key) or
 *   CRYPTO_KEM_FAILED (X25519 key of small order).
 */
export function hybridEncapsulate(peerPublicKey: Uint8Array): { sharedSecret: Uint8Array; ciphertext: Uint8Array } {
  if (!(peerPublicKey instanceof Uint8Array) || peerPublicKey.byteLength !== HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES) {
    throw malformed("public key", peerPublicKey, HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES);
  }
  const mlKemPublic = importPublicKey(peerPublicKey.subarray(0, MLKEM768_PUBLIC_KEY_SIZE_BYTES), "ml-kem-768");
  const x25519Public = importPublicKey(peerPublicKey.subarray(MLKEM768_PUBLIC_KEY_SIZE_BYTES), "x25519");
  const mlKem = encapsulate(mlKemPublic);
  const ephemeral = generateKeyPairSync("x25519");
  const x25519Secret = x25519SharedSecret(ephemeral.privateKey, x25519Public);
  const ciphertext = concatBytes([mlKem.ciphertext, ephemeral.publicKey.export({ format: "raw-public" })]);
  assert(ciphertext.byteLength === HYBRID_KEM_CIPHERTEXT_SIZE_BYTES, "hybridEncapsulate: ciphertext size");
  return { sharedSecret: combineSecrets(mlKem.sharedKey, x25519Secret, peerPublicKey, ciphertext), ciphertext };
}

/**
 * Recovers the shared secret from a ciphertext made by hybridEncapsulate.
 * @throws GhostmeshError CRYPTO_KEM_MALFORMED (wrong size) or CRYPTO_KEM_FAILED.
 */
export function hybridDecapsulate(keyPair: KemKeyPair, ciphertext: Uint8Array): Uint8Array {
  if (!(ciphertext instanceof Uint8Array) || ciphertext.byteLength !== HYBRID_KEM_CIPHERTEXT_SIZE_BYTES) {
    throw malformed("ciphertext", ciphertext, HYBRID_KEM_CIPHERTEXT_SIZE_BYTES);
  }
  let mlKemSecret: Buffer;
  try {
    mlKemSecret = decapsulate(keyPair.privateKey.mlKem768, ciphertext.subarray(0, MLKEM768_CIPHERTEXT_SIZE_BYTES));
  } catch (err) {
    throw cryptoError("CRYPTO_KEM_FAILED", "ML-KEM-768 decapsulation failed", {}, err);
  }
  const ephemeralPublic = importPublicKey(ciphertext.subarray(MLKEM768_CIPHERTEXT_SIZE_BYTES), "x25519");
  const x25519Secret = x25519SharedSecret(keyPair.privateKey.x25519, ephemeralPublic);
  return combineSecrets(mlKemSecret, x25519Secret, keyPair.publicKey, ciphertext);
}

function combineSecrets(mlKemSecret: Buffer, x25519Secret: Buffer, publicKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  assert(mlKemSecret.byteLength === 32 && x25519Secret.byteLength === 32, "combineSecrets: both component secrets are 32 bytes");
  const ikm = concatBytes([mlKemSecret, x25519Secret]);
  const transcript = hashTagged(transcriptTag, publicKey, ciphertext);
  const sharedSecret = hkdfSha256(ikm, emptySalt, transcript, HYBRID_KEM_SHARED_SECRET_SIZE_BYTES);
  ikm.fill(0);
  mlKemSecret.fill(0);
  x25519Secret.fill(0);
  return sharedSecret;
}

function importPublicKey(raw: Uint8Array, asymmetricKeyType: "ml-kem-768" | "x25519"): KeyObject {
  try {
    return createPublicKey({ key: bufferView(raw), format: "raw-public", asymmetricKeyType });
  } catch (err) {
    throw cryptoError("CRYPTO_KEM_MALFORMED", `the ${asymmetricKeyType} part of the hybrid key or ciphertext is not a valid key`, {}, err);
  }
}

/** X25519 with a small-order peer key gives an all-zero secret; OpenSSL refuses it, so do we. */
function x25519SharedSecret(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  try {
    return diffieHellman({ privateKey, publicKey });
  } catch (err) {
    throw cryptoError("CRYPTO_KEM_FAILED", "X25519 key agreement failed: the peer's X25519 share is of small order", {}, err);
  }
}

function malformed(what: string, value: unknown, sizeBytesExpected: number): Error {
  const sizeBytes = value instanceof Uint8Array ? value.byteLength : undefined;
  return cryptoError("CRYPTO_KEM_MALFORMED", `hybrid KEM ${what} must be ${sizeBytesExpected} bytes, got ${String(sizeBytes)}`, {
    sizeBytes,
    sizeBytesExpected,
  });
}
