import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  defaultSignatureAlgorithm,
  isSignatureAlgorithmId,
  parseSignatureAlgorithmName,
  publicKeySizeBytes,
  SignatureAlgorithm,
  signatureAlgorithmName,
  signatureSizeBytes,
} from "../../src/crypto/index.ts";
import { GhostmeshError } from "../../src/util/index.ts";

describe("crypto: signature algorithms", () => {
  it("default algorithm is ML-DSA-65 with id 2", () => {
    assert.equal(defaultSignatureAlgorithm, 2);
    assert.equal(signatureAlgorithmName(defaultSignatureAlgorithm), "ML-DSA-65");
  });

  it("ids 1, 2, 3 are algorithm ids and nothing else is", () => {
    for (const id of Object.values(SignatureAlgorithm)) assert.equal(isSignatureAlgorithmId(id), true);
    for (const x of [0, 4, -1, 2.5, "2", null, undefined, 2n, {}]) assert.equal(isSignatureAlgorithmId(x), false, String(x));
  });

  it("sizes follow FIPS 204", () => {
    assert.deepEqual(publicKeySizeBytes, { 1: 1312, 2: 1952, 3: 2592 });
    assert.deepEqual(signatureSizeBytes, { 1: 2420, 2: 3309, 3: 4627 });
  });

  it("names parse back to their ids in any case, with or without hyphens", () => {
    for (const id of Object.values(SignatureAlgorithm)) {
      const name = signatureAlgorithmName(id);
      assert.equal(parseSignatureAlgorithmName(name), id);
      assert.equal(parseSignatureAlgorithmName(name.toLowerCase()), id);
      assert.equal(parseSignatureAlgorithmName(name.replaceAll("-", "")), id);
    }
  });

  it("unknown names throw CRYPTO_UNKNOWN_ALGORITHM listing the accepted names", () => {
    for (const name of ["65", "ml-dsa-66", "ed25519", "", " ML-DSA-65", "ML-DSA-65 ", "ml--dsa-65"]) {
      assert.throws(
        () => parseSignatureAlgorithmName(name),
        (err: unknown) => err instanceof GhostmeshError && err.code === "CRYPTO_UNKNOWN_ALGORITHM" && err.message.includes("ML-DSA-44, ML-DSA-65, ML-DSA-87"),
        name,
      );
    }
  });
});
