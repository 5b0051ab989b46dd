import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  generateSigningKey,
  PUBLIC_KEY_CACHE_ENTRIES_MAX,
  publicKeyCacheStats,
  publicKeySizeBytes,
  sign,
  SignatureAlgorithm,
  verify,
} from "../../src/crypto/index.ts";
import { PublicKeyCache } from "../../src/crypto/publicKeyCache.ts";

const alg = SignatureAlgorithm.mlDsa44;

function randomPublicKey(): Uint8Array {
  // Any byte string of the right length is a structurally valid ML-DSA public key.
  return new Uint8Array(randomBytes(publicKeySizeBytes[alg]));
}

describe("crypto: public key cache", () => {
  it("never holds more than entriesMax keys and counts each eviction", () => {
    const cache = new PublicKeyCache(4);
    for (let i = 0; i < 10; i++) cache.get(alg, randomPublicKey());
    const stats = cache.stats();
    assert.equal(stats.entries, 4);
    assert.equal(stats.entriesMax, 4);
    assert.equal(stats.missesTotal, 10);
    assert.equal(stats.evictionsTotal, 6);
  });

  it("returns the same KeyObject for the same key and evicts the least recently used one", () => {
    const cache = new PublicKeyCache(2);
    const a = randomPublicKey();
    const b = randomPublicKey();
    const keyA = cache.get(alg, a);
    cache.get(alg, b);
    assert.equal(cache.get(alg, a.slice()), keyA); // hit: a becomes the most recent
    cache.get(alg, randomPublicKey()); // evicts b, not a
    assert.equal(cache.get(alg, a), keyA);
    assert.deepEqual(cache.stats(), { entries: 2, entriesMax: 2, hitsTotal: 2, missesTotal: 3, evictionsTotal: 1 });
    cache.get(alg, b);
    assert.equal(cache.stats().missesTotal, 4, "b was evicted, so fetching it again is a miss");
  });

  it("the same bytes under another algorithm are a different entry", () => {
    const cache = new PublicKeyCache(8);
    const bytes = new Uint8Array(randomBytes(publicKeySizeBytes[SignatureAlgorithm.mlDsa44]));
    const first = cache.get(SignatureAlgorithm.mlDsa44, bytes);
    assert.throws(() => cache.get(SignatureAlgorithm.mlDsa65, bytes)); // wrong size for ML-DSA-65: import fails
    assert.equal(cache.get(SignatureAlgorithm.mlDsa44, bytes), first);
    assert.equal(cache.stats().entries, 1);
  });

  it("verify goes through the process-wide cache, bounded by PUBLIC_KEY_CACHE_ENTRIES_MAX", () => {
    const key = generateSigningKey();
    const message = new Uint8Array([1, 2, 3]);
    const signature = sign(key, message);
    const before = publicKeyCacheStats();
    assert.equal(verify(key.alg, key.publicKey, message, signature), true);
    assert.equal(verify(key.alg, key.publicKey, message, signature), true);
    const after = publicKeyCacheStats();
    assert.equal(after.missesTotal - before.missesTotal, 1);
    assert.equal(after.hitsTotal - before.hitsTotal, 1);
    assert.equal(after.entriesMax, PUBLIC_KEY_CACHE_ENTRIES_MAX);
    assert.ok(after.entries <= PUBLIC_KEY_CACHE_ENTRIES_MAX);
  });

  it("inputs of the wrong size never reach the cache", () => {
    const before = publicKeyCacheStats();
    assert.equal(verify(2, new Uint8Array(10), new Uint8Array(1), new Uint8Array(3309)), false);
    assert.equal(verify(2, new Uint8Array(1952), new Uint8Array(1), new Uint8Array(5)), false);
    const after = publicKeyCacheStats();
    assert.equal(after.missesTotal, before.missesTotal);
    assert.equal(after.hitsTotal, before.hitsTotal);
  });
});
