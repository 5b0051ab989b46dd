import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { assert } from "../util/index.ts";
import { ownedBytes } from "./bytes.ts";
import { cryptoError } from "./errors.ts";

export const AEAD_KEY_SIZE_BYTES = 32;
export const AEAD_NONCE_SIZE_BYTES = 12;
export const AEAD_TAG_SIZE_BYTES = 16;

const emptyBytes = new Uint8Array(0);

/**
 * An AES-256-GCM key prepared once for many records. Node turns raw key bytes into a key
 * object on every createCipheriv, and that conversion (it probes the argument by catching an
 * exception) cost about 16 µs of a 22 µs seal of a small record; a prepared key costs none.
 * OpenSSL holds a copy of the key until the object is garbage-collected: callers that wipe
 * their raw key bytes drop the object at the same time.
 */
export type AeadKey = KeyObject;

/** @throws GhostmeshError CRYPTO_INVALID_ARGUMENT unless `key` is 32 bytes. */
export function aeadKey(key: Uint8Array): AeadKey {
  if (key.byteLength !== AEAD_KEY_SIZE_BYTES) {
    throw cryptoError("CRYPTO_INVALID_ARGUMENT", `AES-256-GCM needs a ${AEAD_KEY_SIZE_BYTES}-byte key, got ${key.byteLength}`, { keySizeBytes: key.byteLength });
  }
  return createSecretKey(key);
}

function keySizeBytes(key: Uint8Array | AeadKey): number {
  return key instanceof Uint8Array ? key.byteLength : (key.symmetricKeySize ?? 0);
}

function checkKeyAndNonce(keySizeBytes: number, nonceSizeBytes: number): void {
  if (keySizeBytes !== AEAD_KEY_SIZE_BYTES || nonceSizeBytes !== AEAD_NONCE_SIZE_BYTES) {
    throw cryptoError(
      "CRYPTO_INVALID_ARGUMENT",
      `AES-256-GCM needs a ${AEAD_KEY_SIZE_BYTES}-byte key and a ${AEAD_NONCE_SIZE_BYTES}-byte nonce, got ${keySizeBytes} and ${nonceSizeBytes}`,
      { keySizeBytes, nonceSizeBytes },
    );
  }
}

/**
 * AES-256-GCM; returns ciphertext || 16-byte tag. A (key, nonce) pair must never be used
 * twice: GCM then leaks the XOR of plaintexts and the authentication key. Use a counter per
 * key (transport) or a fresh key per message (keystore).
 */
export function aeadSeal(key: Uint8Array | AeadKey, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = emptyBytes): Uint8Array {
  const { ciphertext, tag } = aeadSealDetached(key, nonce, plaintext, aad);
  const sealed = ownedBytes(Buffer.concat([ciphertext, tag]));
  assert(sealed.byteLength === plaintext.byteLength + AEAD_TAG_SIZE_BYTES, "aeadSeal: sealed size must be plaintext + tag");
  return sealed;
}

/**
 * aeadSeal with its two parts apart, for a caller that writes them out one after the other
 * (the transport's record layer): no copy of the ciphertext to join them.
 */
export function aeadSealDetached(key: Uint8Array | AeadKey, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = emptyBytes): { readonly ciphertext: Uint8Array; readonly tag: Uint8Array } {
  checkKeyAndNonce(keySizeBytes(key), nonce.byteLength);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: AEAD_TAG_SIZE_BYTES });
  cipher.setAAD(aad);
  const ciphertext = cipher.update(plaintext);
  // GCM is a stream mode: update returns every byte, final none (it computes the tag).
  assert(cipher.final().byteLength === 0 && ciphertext.byteLength === plaintext.byteLength, "aeadSealDetached: GCM ciphertext is as long as the plaintext");
  return { ciphertext: ownedBytes(ciphertext), tag: ownedBytes(cipher.getAuthTag()) };
}

/**
 * Opens aeadSeal output; nothing is returned unless the tag checks out.
 * @throws GhostmeshError CRYPTO_AEAD_FAILED when the data, tag, nonce, key or aad differ.
 */
export function aeadOpen(key: Uint8Array | AeadKey, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array = emptyBytes): Uint8Array {
  if (sealed.byteLength < AEAD_TAG_SIZE_BYTES) {
    checkKeyAndNonce(keySizeBytes(key), nonce.byteLength);
    throw cryptoError("CRYPTO_AEAD_FAILED", `sealed data is ${sealed.byteLength} bytes, shorter than the ${AEAD_TAG_SIZE_BYTES}-byte tag`, {
      sizeBytes: sealed.byteLength,
    });
  }
  const ciphertextSizeBytes = sealed.byteLength - AEAD_TAG_SIZE_BYTES;
  const pieces = aeadOpenDetached(key, nonce, [sealed.subarray(0, ciphertextSizeBytes)], sealed.subarray(ciphertextSizeBytes), aad);
  return pieces.length === 1 ? (pieces[0] as Uint8Array) : new Uint8Array(0);
}

/**
 * aeadOpen of a ciphertext held in pieces (as a byte list holds what the network delivered)
 * with its tag apart: each piece is decrypted where it lies instead of being joined first, and
 * the plaintext comes back in as many pieces (empty ones left out). Nothing is returned
 * unless the tag checks out.
 * @throws GhostmeshError CRYPTO_AEAD_FAILED when the data, tag, nonce, key or aad differ.
 */
export function aeadOpenDetached(key: Uint8Array | AeadKey, nonce: Uint8Array, ciphertext: Iterable<Uint8Array>, tag: Uint8Array, aad: Uint8Array = emptyBytes): Uint8Array[] {
  checkKeyAndNonce(keySizeBytes(key), nonce.byteLength);
  if (tag.byteLength !== AEAD_TAG_SIZE_BYTES) {
    throw cryptoError("CRYPTO_AEAD_FAILED", `the tag is ${tag.byteLength} bytes, not ${AEAD_TAG_SIZE_BYTES}`, { sizeBytes: tag.byteLength });
  }
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: AEAD_TAG_SIZE_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const plaintext: Uint8Array[] = [];
  for (const piece of ciphertext) if (piece.byteLength > 0) plaintext.push(decipher.update(piece));
  let rest: Uint8Array;
  try {
    rest = decipher.final();
  } catch (err) {
    for (const piece of plaintext) piece.fill(0);
    throw cryptoError("CRYPTO_AEAD_FAILED", "authentication failed: the data was altered or the key, nonce or associated data differ", {}, err);
  }
  // GCM is a stream mode: update returned every byte, final only checked the tag.
  assert(rest.byteLength === 0, "aeadOpenDetached: GCM final returns no bytes");
  return plaintext.map(ownedBytes);
}
