import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from "node:crypto";
import { inspect } from "node:util";
import { assert } from "../util/index.ts";
import {
  defaultSignatureAlgorithm,
  isSignatureAlgorithmId,
  nodeKeyType,
  publicKeySizeBytes,
  SEED_SIZE_BYTES,
  signatureAlgorithmName,
  type SignatureAlgorithmId,
} from "./algorithms.ts";
import { bufferView, plainBytes } from "./bytes.ts";
import { cryptoError } from "./errors.ts";

/**
 * A private signing key. The 32-byte seed is the whole secret (FIPS 204 derives the expanded
 * key from it), which is what keystores hold; the imported KeyObject is kept so signing never
 * pays the import again. Frozen; the seed is a private copy. toJSON and util.inspect redact
 * the seed so a key passed to a logger by mistake does not leak.
 */
export type SigningKey = {
  readonly alg: SignatureAlgorithmId;
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly privateKeyObject: KeyObject;
};

export function generateSigningKey(alg: SignatureAlgorithmId = defaultSignatureAlgorithm): SigningKey {
  return signingKeyFromSeed(alg, plainBytes(randomBytes(SEED_SIZE_BYTES)));
}

/**
 * Same seed, same key: deterministic (FIPS 204 ML-DSA.KeyGen_internal).
 * @throws GhostmeshError CRYPTO_UNKNOWN_ALGORITHM or CRYPTO_BAD_SEED.
 */
export function signingKeyFromSeed(alg: SignatureAlgorithmId, seed: Uint8Array): SigningKey {
  if (!isSignatureAlgorithmId(alg)) {
    throw cryptoError("CRYPTO_UNKNOWN_ALGORITHM", `unknown signature algorithm id ${String(alg)}; accepted ids: 1, 2, 3`, { alg });
  }
  if (!(seed instanceof Uint8Array) || seed.byteLength !== SEED_SIZE_BYTES) {
    const sizeBytes = seed instanceof Uint8Array ? seed.byteLength : undefined;
    throw cryptoError("CRYPTO_BAD_SEED", `a ${signatureAlgorithmName(alg)} seed must be ${SEED_SIZE_BYTES} bytes, got ${String(sizeBytes)}`, {
      sizeBytes,
      sizeBytesExpected: SEED_SIZE_BYTES,
    });
  }
  const seedCopy = plainBytes(seed);
  const privateKeyObject = createPrivateKey({ key: bufferView(seedCopy), format: "raw-seed", asymmetricKeyType: nodeKeyType(alg) });
  const publicKey = plainBytes(createPublicKey(privateKeyObject).export({ format: "raw-public" }));
  assert(publicKey.byteLength === publicKeySizeBytes[alg], `signingKeyFromSeed: derived public key has ${publicKey.byteLength} bytes`);
  const key: SigningKey = { alg, seed: seedCopy, publicKey, privateKeyObject };
  Object.defineProperty(key, "toJSON", { value: redacted, enumerable: false });
  Object.defineProperty(key, inspect.custom, { value: redacted, enumerable: false });
  return Object.freeze(key);
}

function redacted(this: SigningKey): { alg: string; publicKeySizeBytes: number; seed: string } {
  return { alg: signatureAlgorithmName(this.alg), publicKeySizeBytes: this.publicKey.byteLength, seed: "<redacted>" };
}
