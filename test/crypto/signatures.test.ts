import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import {
  generateSigningKey,
  publicKeySizeBytes,
  SEED_SIZE_BYTES,
  sha256,
  sign,
  signAsync,
  SignatureAlgorithm,
  type SignatureAlgorithmId,
  signatureSizeBytes,
  signatureWorkCounts,
  signingKeyFromSeed,
  verify,
  verifyAsync,
} from "../../src/crypto/index.ts";
import { GhostmeshError, toHex, utf8 } from "../../src/util/index.ts";

const algorithms = Object.values(SignatureAlgorithm);
const message = utf8("ghostmesh/v1/test: a message to sign");

function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = (copy[index] as number) ^ 0x01;
  return copy;
}

describe("crypto: ML-DSA sign and verify", () => {
  for (const alg of algorithms) {
    describe(`alg ${alg}`, () => {
      const key = generateSigningKey(alg);
      const signature = sign(key, message);

      it("a signature has the FIPS 204 size and verifies", () => {
        assert.equal(key.publicKey.byteLength, publicKeySizeBytes[alg]);
        assert.equal(signature.byteLength, signatureSizeBytes[alg]);
        assert.equal(verify(alg, key.publicKey, message, signature), true);
      });

      it("a tampered message, signature or key does not verify", () => {
        assert.equal(verify(alg, key.publicKey, flipped(message, 3), signature), false);
        assert.equal(verify(alg, key.publicKey, message, flipped(signature, 100)), false);
        assert.equal(verify(alg, key.publicKey, message, flipped(signature, signature.byteLength - 1)), false);
        assert.equal(verify(alg, flipped(key.publicKey, 40), message, signature), false);
        assert.equal(verify(alg, generateSigningKey(alg).publicKey, message, signature), false);
      });

      it("wrong sizes and wrong algorithm ids return false without throwing", () => {
        assert.equal(verify(alg, key.publicKey.subarray(1), message, signature), false);
        assert.equal(verify(alg, key.publicKey, message, signature.subarray(1)), false);
        assert.equal(verify(alg, key.publicKey, message, new Uint8Array(0)), false);
        assert.equal(verify(alg, new Uint8Array(0), message, signature), false);
        const otherAlg = (alg === 3 ? 1 : alg + 1) as SignatureAlgorithmId;
        assert.equal(verify(otherAlg, key.publicKey, message, signature), false);
        assert.equal(verify(7 as SignatureAlgorithmId, key.publicKey, message, signature), false);
      });

      it("signAsync signatures verify, and verifyAsync agrees with verify", async () => {
        const asyncSignature = await signAsync(key, message);
        const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
          [key.publicKey, message, asyncSignature],
          [key.publicKey, message, signature],
          [key.publicKey, flipped(message, 0), signature],
          [key.publicKey, message, flipped(signature, 7)],
          [key.publicKey.subarray(2), message, signature],
          [key.publicKey, message, signature.subarray(0, 10)],
        ];
        const results = await Promise.all(cases.map(([pk, m, s]) => verifyAsync(alg, pk, m, s)));
        assert.deepEqual(results, [true, true, false, false, false, false]);
        assert.deepEqual(results, cases.map(([pk, m, s]) => verify(alg, pk, m, s)));
      });
    });
  }

  it("non-byte inputs return false (sync) and resolve false (async) instead of throwing", async () => {
    const key = generateSigningKey();
    const signature = sign(key, message);
    const junk = [undefined, null, "text", 42, {}, [1, 2, 3]] as unknown as Uint8Array[];
    for (const value of junk) {
      assert.equal(verify(key.alg, value, message, signature), false);
      assert.equal(verify(key.alg, key.publicKey, value, signature), false);
      assert.equal(verify(key.alg, key.publicKey, message, value), false);
      assert.equal(await verifyAsync(key.alg, key.publicKey, message, value), false);
      assert.equal(await verifyAsync(key.alg, value, message, signature), false);
    }
  });

  it("the same seed gives the same public key, a different seed a different one", () => {
    const seed = new Uint8Array(SEED_SIZE_BYTES).fill(7);
    for (const alg of algorithms) {
      const a = signingKeyFromSeed(alg, seed);
      const b = signingKeyFromSeed(alg, seed.slice());
      assert.deepEqual(a.publicKey, b.publicKey);
      assert.notDeepEqual(signingKeyFromSeed(alg, flipped(seed, 0)).publicKey, a.publicKey);
      assert.equal(verify(alg, b.publicKey, message, sign(a, message)), true);
    }
  });

  it("key generation from a fixed seed matches the pinned ML-DSA-65 public key (regression vector)", () => {
    // Pins OpenSSL's FIPS 204 key generation: if this changes, every address changes.
    const seed = Uint8Array.from({ length: SEED_SIZE_BYTES }, (_, i) => i);
    const key = signingKeyFromSeed(SignatureAlgorithm.mlDsa65, seed);
    assert.equal(toHex(sha256(key.publicKey)), PINNED_MLDSA65_PUBLIC_KEY_SHA256);
  });

  it("the key keeps a private copy of the seed", () => {
    const seed = new Uint8Array(SEED_SIZE_BYTES).fill(9);
    const key = signingKeyFromSeed(SignatureAlgorithm.mlDsa65, seed);
    seed.fill(0);
    assert.deepEqual(key.seed, new Uint8Array(SEED_SIZE_BYTES).fill(9));
    assert.equal(Object.isFrozen(key), true);
  });

  it("JSON and inspect output of a key redact the seed", () => {
    const key = signingKeyFromSeed(SignatureAlgorithm.mlDsa65, new Uint8Array(SEED_SIZE_BYTES).fill(0xab));
    assert.equal(JSON.stringify(key).includes("171"), false);
    assert.match(JSON.stringify(key), /redacted/);
    assert.match(inspect(key), /redacted/);
    assert.equal(inspect(key).includes("ab, ab"), false);
  });

  it("a seed of the wrong length throws CRYPTO_BAD_SEED; an unknown id throws CRYPTO_UNKNOWN_ALGORITHM", () => {
    for (const size of [0, 31, 33, 64]) {
      assert.throws(() => signingKeyFromSeed(2, new Uint8Array(size)), (err: unknown) => err instanceof GhostmeshError && err.code === "CRYPTO_BAD_SEED");
    }
    assert.throws(
      () => signingKeyFromSeed(9 as SignatureAlgorithmId, new Uint8Array(32)),
      (err: unknown) => err instanceof GhostmeshError && err.code === "CRYPTO_UNKNOWN_ALGORITHM",
    );
  });
});

const PINNED_MLDSA65_PUBLIC_KEY_SHA256 = "d666806e11cee19a7c989f7445f90dd419cf4d2d51db8c0fdb4c0f0a542238c9";

describe("crypto: signature work counts", () => {
  it("count each signature made and each check OpenSSL runs, by thread; input refused before OpenSSL is not counted", async () => {
    const key = signingKeyFromSeed(SignatureAlgorithm.mlDsa65, new Uint8Array(SEED_SIZE_BYTES).fill(3));
    const before = signatureWorkCounts();
    const signature = sign(key, message);
    const signedAsync = await signAsync(key, message);
    assert.equal(verify(key.alg, key.publicKey, message, signature), true);
    assert.equal(await verifyAsync(key.alg, key.publicKey, message, signedAsync), true);
    assert.equal(await verifyAsync(key.alg, key.publicKey, message, flipped(signedAsync, 7)), false);
    assert.equal(verify(key.alg, key.publicKey, message, signature.subarray(1)), false, "wrong size: refused before OpenSSL");
    assert.equal(await verifyAsync(key.alg, key.publicKey.subarray(1), message, signature), false, "wrong key size: refused before OpenSSL");
    const after = signatureWorkCounts();
    assert.deepEqual(
      {
        signsOnLoop: after.signsOnLoop - before.signsOnLoop,
        signsOnThreadpool: after.signsOnThreadpool - before.signsOnThreadpool,
        verifiesOnLoop: after.verifiesOnLoop - before.verifiesOnLoop,
        verifiesOnThreadpool: after.verifiesOnThreadpool - before.verifiesOnThreadpool,
      },
      { signsOnLoop: 1, signsOnThreadpool: 1, verifiesOnLoop: 1, verifiesOnThreadpool: 2 },
    );
  });
});
