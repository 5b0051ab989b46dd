/**
 * Validator keys for a simulated run, derived from the run's RNG. Two schemes through the
 * engine's one signer/verifier interface (docs/decisions/0102):
 * - "ed25519": node:crypto Ed25519 (RFC 8032, deterministic), ~10x faster than ML-DSA-65,
 *   so 1,000-run sweeps fit in minutes. Real signatures: a forged one does not verify.
 * - "ml-dsa-65": the production scheme (src/crypto), for full-fidelity runs.
 * Verification results are cached per run by (signer, message, signature): verification is a
 * pure function, so sharing the cache between simulated nodes changes no outcome.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from "node:crypto";
import { hashTagged, SignatureAlgorithm, sign as mlDsaSign, signingKeyFromSeed, verify as mlDsaVerify, addressFromPublicKey } from "../crypto/index.ts";
import { createCachingVerifier, type CachingVerifier } from "../consensus/index.ts";
import type { Validator } from "../ledger/index.ts";
import type { Rng } from "./rng.ts";

export const SimSignatureScheme = { ed25519: "ed25519", mlDsa65: "ml-dsa-65" } as const;
export type SimSignatureScheme = (typeof SimSignatureScheme)[keyof typeof SimSignatureScheme];

export type SimKey = {
  readonly publicKey: Uint8Array;
  readonly address: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
};

export type SimKeyring = {
  readonly keys: readonly SimKey[];
  readonly validators: readonly Validator[];
  /** One cache for the whole run. */
  readonly verifier: CachingVerifier;
  /** Signatures made so far by all keys. */
  readonly signatures: () => number;
};

/** PKCS#8 prefix of an Ed25519 private key (RFC 8410); the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const ED25519_SPKI_PREFIX_BYTES = 12;
/** Not a Ghostmesh algorithm id: keeps simulator addresses apart from real ones. */
const SIM_ED25519_ADDRESS_ALG = 0xed;
/** Enough for every signature of a long run at n = 100; cleared FIFO beyond. */
const SIM_VERIFY_CACHE_ENTRIES_MAX = 1_000_000;

function ed25519Key(seed: Uint8Array): { key: SimKey; publicKeyObject: KeyObject } {
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const publicKeyObject = createPublicKey(privateKey);
  const publicKey = new Uint8Array(publicKeyObject.export({ format: "der", type: "spki" }).subarray(ED25519_SPKI_PREFIX_BYTES));
  const address = hashTagged("ghostmesh/v1/addr", new Uint8Array([SIM_ED25519_ADDRESS_ALG]), publicKey).slice(0, 20);
  const sign = (message: Uint8Array): Uint8Array => new Uint8Array(nodeSign(null, message, privateKey));
  return { key: { publicKey, address, sign }, publicKeyObject };
}

function mlDsaKey(seed: Uint8Array): SimKey {
  const signingKey = signingKeyFromSeed(SignatureAlgorithm.mlDsa65, seed);
  const address = addressFromPublicKey(SignatureAlgorithm.mlDsa65, signingKey.publicKey);
  return { publicKey: signingKey.publicKey, address, sign: (message) => mlDsaSign(signingKey, message) };
}

export function createSimKeyring(rng: Rng, count: number, scheme: SimSignatureScheme): SimKeyring {
  const keys: SimKey[] = [];
  const publicKeyObjects: KeyObject[] = [];
  for (let i = 0; i < count; i++) {
    const seed = rng.bytes(32);
    if (scheme === SimSignatureScheme.ed25519) {
      const { key, publicKeyObject } = ed25519Key(seed);
      keys.push(key);
      publicKeyObjects.push(publicKeyObject);
    } else {
      keys.push(mlDsaKey(seed));
    }
  }
  // Ed25519 keys sit under the ML-DSA-65 id in these records; they never leave the simulator.
  const validators: Validator[] = keys.map((key, i) => ({ name: `v${i}`, address: key.address, alg: SignatureAlgorithm.mlDsa65, publicKey: key.publicKey, power: 1 }));
  const raw = {
    verify(index: number, message: Uint8Array, signature: Uint8Array): boolean {
      if (scheme === SimSignatureScheme.mlDsa65) {
        const key = keys[index];
        return key !== undefined && mlDsaVerify(SignatureAlgorithm.mlDsa65, key.publicKey, message, signature);
      }
      const publicKeyObject = publicKeyObjects[index];
      if (publicKeyObject === undefined || signature.byteLength !== 64) return false;
      try {
        return nodeVerify(null, message, publicKeyObject, signature);
      } catch {
        return false;
      }
    },
  };
  let signatures = 0;
  const counted = keys.map((key) => ({ ...key, sign: (message: Uint8Array) => (signatures++, key.sign(message)) }));
  return { keys: counted, validators, verifier: createCachingVerifier(raw, SIM_VERIFY_CACHE_ENTRIES_MAX), signatures: () => signatures };
}
