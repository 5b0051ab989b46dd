import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeKeyFile,
  encodeKeyFile,
  formatAddress,
  generateHybridKemKeyPair,
  generateSigningKey,
  HYBRID_KEM_CIPHERTEXT_SIZE_BYTES,
  hybridDecapsulate,
  parseAddress,
  publicKeySizeBytes,
  signatureSizeBytes,
  verify,
  type SignatureAlgorithmId,
} from "../../src/crypto/index.ts";
import { GhostmeshError } from "../../src/util/index.ts";

/** Runs fn; passes if it returns or throws a GhostmeshError, fails on anything else thrown. */
function returnsOrThrowsGhostmeshError(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (err instanceof GhostmeshError) return true;
    throw new Error(`threw a non-GhostmeshError: ${String(err)}`, { cause: err });
  }
}

function throwsGhostmeshError(fn: () => unknown): boolean {
  try {
    fn();
  } catch (err) {
    if (err instanceof GhostmeshError) return true;
    throw new Error(`threw a non-GhostmeshError: ${String(err)}`, { cause: err });
  }
  throw new Error("did not throw");
}

const anyString = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme", maxLength: 200 }));
const passphrase = "pw";
const key = generateSigningKey();
const plainFile = JSON.parse(encodeKeyFile(key, { plain: true })) as Record<string, unknown>;
const encryptedFile = JSON.parse(encodeKeyFile(key, { passphrase }, { scryptParams: { n: 2 ** 4, r: 1, p: 1 } })) as Record<string, unknown>;

/** A valid key file with one field (top level or inside kdfParams) replaced by random JSON or removed. */
const mutatedKeyFile = fc
  .record({
    base: fc.constantFrom(plainFile, encryptedFile),
    field: fc.constantFrom("version", "alg", "address", "publicKey", "encryption", "seed", "nonce", "ciphertext", "kdfParams", "kdfParams.n", "kdfParams.r", "kdfParams.p", "kdfParams.salt"),
    value: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
  })
  .map(({ base, field, value }) => {
    const file = structuredClone(base);
    const [outer, inner] = field.split(".") as [string, string | undefined];
    const target = inner === undefined ? file : file[outer];
    const name = inner ?? outer;
    if (typeof target === "object" && target !== null) {
      if (value === undefined) delete (target as Record<string, unknown>)[name];
      else (target as Record<string, unknown>)[name] = value;
    }
    return JSON.stringify(file);
  });

describe("crypto: properties on hostile input", () => {
  it("decodeKeyFile on any string throws a GhostmeshError and nothing else", () => {
    fc.assert(fc.property(anyString, (text) => throwsGhostmeshError(() => decodeKeyFile(text, passphrase))), { numRuns: 300 });
  });

  it("decodeKeyFile on any JSON text throws a GhostmeshError and nothing else", () => {
    fc.assert(fc.property(fc.json({ maxDepth: 3 }), (text) => throwsGhostmeshError(() => decodeKeyFile(text, passphrase))), { numRuns: 300 });
  });

  it("decodeKeyFile on a valid file with one field replaced or removed returns a key or throws a GhostmeshError", () => {
    fc.assert(fc.property(mutatedKeyFile, (text) => returnsOrThrowsGhostmeshError(() => decodeKeyFile(text, passphrase))), { numRuns: 300 });
  });

  it("parseAddress on any string throws a GhostmeshError and nothing else", () => {
    fc.assert(fc.property(anyString, (text) => throwsGhostmeshError(() => parseAddress(text))), { numRuns: 500 });
  });

  it("parseAddress on gm + 40 characters either round-trips through formatAddress or throws a GhostmeshError", () => {
    const hexish = fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEFgx "), minLength: 40, maxLength: 40 });
    fc.assert(
      fc.property(hexish, (body) => {
        const text = `gm${body}`;
        let address: Uint8Array;
        try {
          address = parseAddress(text);
        } catch (err) {
          return err instanceof GhostmeshError && /[^0-9a-fA-F]/.test(body);
        }
        return formatAddress(address) === text.toLowerCase();
      }),
      { numRuns: 500 },
    );
  });

  it("verify on random bytes of any size returns false and never throws", () => {
    const alg = fc.constantFrom<SignatureAlgorithmId>(1, 2, 3);
    const input = alg.chain((a) =>
      fc.record({
        alg: fc.constant(a),
        publicKey: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: publicKeySizeBytes[a], maxLength: publicKeySizeBytes[a] })),
        message: fc.uint8Array({ maxLength: 64 }),
        signature: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: signatureSizeBytes[a], maxLength: signatureSizeBytes[a] })),
      }),
    );
    fc.assert(fc.property(input, ({ alg: a, publicKey, message, signature }) => verify(a, publicKey, message, signature) === false), { numRuns: 100 });
  });

  it("hybridDecapsulate on random ciphertexts returns 32 bytes or throws a GhostmeshError", () => {
    const keyPair = generateHybridKemKeyPair();
    const ciphertext = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ minLength: HYBRID_KEM_CIPHERTEXT_SIZE_BYTES, maxLength: HYBRID_KEM_CIPHERTEXT_SIZE_BYTES }),
    );
    fc.assert(
      fc.property(ciphertext, (bytes) => {
        let secret: Uint8Array;
        try {
          secret = hybridDecapsulate(keyPair, bytes);
        } catch (err) {
          return err instanceof GhostmeshError;
        }
        assert.equal(secret.byteLength, 32);
        return true;
      }),
      { numRuns: 100 },
    );
  });
});
