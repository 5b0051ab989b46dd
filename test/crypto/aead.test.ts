import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { aeadKey, aeadOpen, aeadOpenDetached, aeadSeal, aeadSealDetached, AEAD_TAG_SIZE_BYTES, hkdfSha256 } from "../../src/crypto/index.ts";
import { ownedBytes } from "../../src/crypto/bytes.ts";
import { fromHexOrUndefined, GhostmeshError, toHex, utf8 } from "../../src/util/index.ts";

function hex(text: string): Uint8Array {
  const bytes = fromHexOrUndefined(text);
  assert.ok(bytes !== undefined, `bad hex in test: ${text}`);
  return bytes;
}

function hasCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof GhostmeshError && err.code === code;
}

function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = (copy[index] as number) ^ 0x80;
  return copy;
}

describe("crypto: AES-256-GCM", () => {
  const key = new Uint8Array(32).map((_, i) => i);
  const nonce = new Uint8Array(12).fill(3);
  const plaintext = utf8("attack at dawn");
  const aad = utf8("header");

  it("matches GCM spec test case 14 (zero key, zero nonce, 16 zero bytes)", () => {
    const sealed = aeadSeal(new Uint8Array(32), new Uint8Array(12), new Uint8Array(16));
    assert.equal(toHex(sealed), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  });

  it("seal then open returns the plaintext; sealed is ciphertext || 16-byte tag", () => {
    const sealed = aeadSeal(key, nonce, plaintext, aad);
    assert.equal(sealed.byteLength, plaintext.byteLength + AEAD_TAG_SIZE_BYTES);
    assert.deepEqual(aeadOpen(key, nonce, sealed, aad), plaintext);
    assert.deepEqual(aeadOpen(key, nonce, aeadSeal(key, nonce, new Uint8Array(0))), new Uint8Array(0));
  });

  it("any change to ciphertext, tag, key, nonce or aad throws CRYPTO_AEAD_FAILED", () => {
    const sealed = aeadSeal(key, nonce, plaintext, aad);
    const failed = hasCode("CRYPTO_AEAD_FAILED");
    assert.throws(() => aeadOpen(key, nonce, flipped(sealed, 0), aad), failed);
    assert.throws(() => aeadOpen(key, nonce, flipped(sealed, sealed.byteLength - 1), aad), failed);
    assert.throws(() => aeadOpen(flipped(key, 5), nonce, sealed, aad), failed);
    assert.throws(() => aeadOpen(key, flipped(nonce, 11), sealed, aad), failed);
    assert.throws(() => aeadOpen(key, nonce, sealed, utf8("Header")), failed);
    assert.throws(() => aeadOpen(key, nonce, sealed), failed);
    assert.throws(() => aeadOpen(key, nonce, sealed.subarray(0, sealed.byteLength - 1), aad), failed);
    assert.throws(() => aeadOpen(key, nonce, sealed.subarray(0, 10), aad), failed);
  });

  it("a prepared key (aeadKey) seals and opens exactly as its raw bytes do", () => {
    const prepared = aeadKey(key);
    const sealed = aeadSeal(prepared, nonce, plaintext, aad);
    assert.deepEqual(sealed, aeadSeal(key, nonce, plaintext, aad));
    assert.deepEqual(aeadOpen(key, nonce, sealed, aad), plaintext);
    assert.deepEqual(aeadOpen(prepared, nonce, sealed, aad), plaintext);
    assert.throws(() => aeadOpen(aeadKey(flipped(key, 5)), nonce, sealed, aad), hasCode("CRYPTO_AEAD_FAILED"));
    assert.throws(() => aeadKey(key.subarray(1)), hasCode("CRYPTO_INVALID_ARGUMENT"));
    assert.throws(() => aeadKey(new Uint8Array(64)), hasCode("CRYPTO_INVALID_ARGUMENT"));
  });

  it("a key or nonce of the wrong size throws CRYPTO_INVALID_ARGUMENT", () => {
    assert.throws(() => aeadSeal(key.subarray(1), nonce, plaintext), hasCode("CRYPTO_INVALID_ARGUMENT"));
    assert.throws(() => aeadSeal(key, new Uint8Array(16), plaintext), hasCode("CRYPTO_INVALID_ARGUMENT"));
    assert.throws(() => aeadOpen(key, nonce.subarray(1), new Uint8Array(32)), hasCode("CRYPTO_INVALID_ARGUMENT"));
  });
});

describe("crypto: AES-256-GCM without extra copies", () => {
  const key = aeadKey(new Uint8Array(32).map((_, i) => 255 - i));
  const nonce = new Uint8Array(12).fill(9);
  const aad = utf8("frame header");

  it("aeadSealDetached gives aeadSeal's bytes in two parts, for every size around the pooling bound", () => {
    for (const size of [0, 1, 15, 16, 17, 4_095, 4_096, 4_097, 65_536]) {
      const plaintext = new Uint8Array(size).map((_, i) => i * 7);
      const { ciphertext, tag } = aeadSealDetached(key, nonce, plaintext, aad);
      assert.equal(tag.byteLength, AEAD_TAG_SIZE_BYTES);
      assert.deepEqual(Uint8Array.from([...ciphertext, ...tag]), aeadSeal(key, nonce, plaintext, aad), `size ${size}`);
      assert.deepEqual(aeadOpen(key, nonce, Uint8Array.from([...ciphertext, ...tag]), aad), plaintext, `size ${size}`);
    }
  });

  it("aeadOpenDetached opens a ciphertext in pieces without joining them, and refuses a changed piece or tag", () => {
    const plaintext = new Uint8Array(10_000).map((_, i) => i % 251);
    const sealed = aeadSeal(key, nonce, plaintext, aad);
    const ciphertext = sealed.subarray(0, plaintext.byteLength);
    const tag = sealed.subarray(plaintext.byteLength);
    const pieces = [ciphertext.subarray(0, 1), ciphertext.subarray(1, 1), ciphertext.subarray(1, 4_097), ciphertext.subarray(4_097)];
    const opened = aeadOpenDetached(key, nonce, pieces, tag, aad);
    assert.equal(opened.length, 3, "one plaintext piece per non-empty ciphertext piece");
    assert.deepEqual(Uint8Array.from(opened.flatMap((piece) => [...piece])), plaintext);
    assert.throws(() => aeadOpenDetached(key, nonce, [pieces[0]!, flipped(pieces[2]!, 7), pieces[3]!], tag, aad), hasCode("CRYPTO_AEAD_FAILED"));
    assert.throws(() => aeadOpenDetached(key, nonce, pieces, flipped(tag, 0), aad), hasCode("CRYPTO_AEAD_FAILED"));
    assert.throws(() => aeadOpenDetached(key, nonce, pieces, tag.subarray(1), aad), hasCode("CRYPTO_AEAD_FAILED"));
  });

  it("outputs are plain Uint8Arrays that own their memory: nothing else is readable through .buffer", () => {
    for (const size of [3, 5_000, 70_000]) {
      const sealed = aeadSeal(key, nonce, new Uint8Array(size), aad);
      const opened = aeadOpen(key, nonce, sealed, aad);
      for (const bytes of [sealed, opened]) {
        assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype, `size ${size}: not a Buffer`);
        assert.equal(bytes.buffer.byteLength, bytes.byteLength, `size ${size}: owns its ArrayBuffer`);
      }
    }
  });

  it("ownedBytes copies a view into a shared pool and wraps a whole buffer without copying", () => {
    const pooled = Buffer.from("pooled");
    assert.ok(pooled.buffer.byteLength > pooled.byteLength, "small Buffers share Node's pool");
    const copied = ownedBytes(pooled);
    assert.deepEqual(copied, utf8("pooled"));
    assert.equal(copied.buffer.byteLength, copied.byteLength);
    const whole = new Uint8Array(8);
    const wrapped = ownedBytes(whole);
    assert.equal(wrapped.buffer, whole.buffer);
  });
});

describe("crypto: HKDF-SHA-256", () => {
  it("matches RFC 5869 test case 1", () => {
    const okm = hkdfSha256(hex("0b".repeat(22)), hex("000102030405060708090a0b0c"), hex("f0f1f2f3f4f5f6f7f8f9"), 42);
    assert.equal(toHex(okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  });

  it("matches RFC 5869 test case 3 (empty salt and info)", () => {
    const okm = hkdfSha256(hex("0b".repeat(22)), new Uint8Array(0), new Uint8Array(0), 42);
    assert.equal(toHex(okm), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  });

  it("an output length outside 1..8160 or info over 1 KiB throws CRYPTO_INVALID_ARGUMENT", () => {
    const ikm = new Uint8Array(32);
    for (const length of [0, -1, 8161, 1.5]) {
      assert.throws(() => hkdfSha256(ikm, ikm, ikm, length), hasCode("CRYPTO_INVALID_ARGUMENT"), String(length));
    }
    assert.throws(() => hkdfSha256(ikm, ikm, new Uint8Array(1025), 32), hasCode("CRYPTO_INVALID_ARGUMENT"));
    assert.equal(hkdfSha256(ikm, ikm, new Uint8Array(1024), 8160).byteLength, 8160);
  });
});
