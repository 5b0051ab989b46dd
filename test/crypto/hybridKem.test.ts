import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  generateHybridKemKeyPair,
  HYBRID_KEM_CIPHERTEXT_SIZE_BYTES,
  HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES,
  HYBRID_KEM_SHARED_SECRET_SIZE_BYTES,
  hybridDecapsulate,
  hybridEncapsulate,
} from "../../src/crypto/index.ts";
import { GhostmeshError } from "../../src/util/index.ts";

function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = (copy[index] as number) ^ 0x01;
  return copy;
}

function hasCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof GhostmeshError && err.code === code;
}

describe("crypto: ML-KEM-768 + X25519 hybrid KEM", () => {
  const recipient = generateHybridKemKeyPair();

  it("both sides derive the same 32-byte secret", () => {
    assert.equal(recipient.publicKey.byteLength, HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES);
    const { sharedSecret, ciphertext } = hybridEncapsulate(recipient.publicKey);
    assert.equal(ciphertext.byteLength, HYBRID_KEM_CIPHERTEXT_SIZE_BYTES);
    assert.equal(sharedSecret.byteLength, HYBRID_KEM_SHARED_SECRET_SIZE_BYTES);
    assert.deepEqual(hybridDecapsulate(recipient, ciphertext), sharedSecret);
  });

  it("two encapsulations to the same key give different secrets and ciphertexts", () => {
    const a = hybridEncapsulate(recipient.publicKey);
    const b = hybridEncapsulate(recipient.publicKey);
    assert.notDeepEqual(a.sharedSecret, b.sharedSecret);
    assert.notDeepEqual(a.ciphertext, b.ciphertext);
  });

  it("a tampered ML-KEM part of the ciphertext yields a different secret (implicit rejection)", () => {
    const { sharedSecret, ciphertext } = hybridEncapsulate(recipient.publicKey);
    for (const index of [0, 500, 1087]) {
      assert.notDeepEqual(hybridDecapsulate(recipient, flipped(ciphertext, index)), sharedSecret, `byte ${index}`);
    }
  });

  it("a tampered X25519 part of the ciphertext yields a different secret or CRYPTO_KEM_FAILED", () => {
    const { sharedSecret, ciphertext } = hybridEncapsulate(recipient.publicKey);
    for (const index of [1088, 1100, 1119]) {
      let secret: Uint8Array | undefined;
      try {
        secret = hybridDecapsulate(recipient, flipped(ciphertext, index));
      } catch (err) {
        assert.ok(hasCode("CRYPTO_KEM_FAILED")(err), `byte ${index}: ${String(err)}`);
      }
      if (secret !== undefined) assert.notDeepEqual(secret, sharedSecret, `byte ${index}`);
    }
  });

  it("a small-order X25519 share is refused with CRYPTO_KEM_FAILED", () => {
    const { ciphertext } = hybridEncapsulate(recipient.publicKey);
    const zeroShare = ciphertext.slice();
    zeroShare.fill(0, 1088);
    assert.throws(() => hybridDecapsulate(recipient, zeroShare), hasCode("CRYPTO_KEM_FAILED"));
    const zeroPublic = recipient.publicKey.slice();
    zeroPublic.fill(0, 1184);
    assert.throws(() => hybridEncapsulate(zeroPublic), hasCode("CRYPTO_KEM_FAILED"));
  });

  it("another recipient's key pair derives a different secret", () => {
    const { sharedSecret, ciphertext } = hybridEncapsulate(recipient.publicKey);
    assert.notDeepEqual(hybridDecapsulate(generateHybridKemKeyPair(), ciphertext), sharedSecret);
  });

  it("wrong sizes and an invalid ML-KEM public key throw CRYPTO_KEM_MALFORMED", () => {
    const { ciphertext } = hybridEncapsulate(recipient.publicKey);
    assert.throws(() => hybridDecapsulate(recipient, ciphertext.subarray(1)), hasCode("CRYPTO_KEM_MALFORMED"));
    assert.throws(() => hybridDecapsulate(recipient, new Uint8Array(0)), hasCode("CRYPTO_KEM_MALFORMED"));
    assert.throws(() => hybridEncapsulate(recipient.publicKey.subarray(0, 1184)), hasCode("CRYPTO_KEM_MALFORMED"));
    // Coefficients >= q fail the FIPS 203 encapsulation key check.
    assert.throws(() => hybridEncapsulate(new Uint8Array(HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES).fill(0xff)), hasCode("CRYPTO_KEM_MALFORMED"));
  });
});
