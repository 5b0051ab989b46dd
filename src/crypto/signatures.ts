import { sign as nodeSign, verify as nodeVerify, type KeyObject } from "node:crypto";
import { assert } from "../util/index.ts";
import { isSignatureAlgorithmId, publicKeySizeBytes, signatureSizeBytes, type SignatureAlgorithmId } from "./algorithms.ts";
import { plainBytes } from "./bytes.ts";
import { PUBLIC_KEY_CACHE_ENTRIES_MAX, PublicKeyCache, type PublicKeyCacheStats } from "./publicKeyCache.ts";
import type { SigningKey } from "./signingKey.ts";

const publicKeyCache = new PublicKeyCache(PUBLIC_KEY_CACHE_ENTRIES_MAX);

/** Signatures made and checked by OpenSSL in this process, by the thread that did the work. */
export type SignatureWorkCounts = {
  readonly signsOnLoop: number;
  readonly signsOnThreadpool: number;
  readonly verifiesOnLoop: number;
  readonly verifiesOnThreadpool: number;
};

const work = { signsOnLoop: 0, signsOnThreadpool: 0, verifiesOnLoop: 0, verifiesOnThreadpool: 0 };

/**
 * Process-wide counts since start (for metrics and benchmarks): a check refused before
 * OpenSSL (wrong sizes, unknown algorithm) is not counted, nor is a cached verdict.
 */
export function signatureWorkCounts(): SignatureWorkCounts {
  return { ...work };
}

/** Counters of the process-wide verify key cache, for metrics. */
export function publicKeyCacheStats(): PublicKeyCacheStats {
  return publicKeyCache.stats();
}

/**
 * Signs on the calling thread. ML-DSA signing in OpenSSL is hedged (randomised), so two
 * signatures of one message differ; both verify. Domain separation is the caller's job:
 * sign hashTagged(...) or tagged canonical bytes, never raw application data.
 */
export function sign(key: SigningKey, message: Uint8Array): Uint8Array {
  work.signsOnLoop++;
  const signature = plainBytes(nodeSign(null, message, key.privateKeyObject));
  assert(signature.byteLength === signatureSizeBytes[key.alg], `sign: signature has ${signature.byteLength} bytes`);
  return signature;
}

/** Signs on libuv's threadpool, keeping the event loop free. */
export function signAsync(key: SigningKey, message: Uint8Array): Promise<Uint8Array> {
  work.signsOnThreadpool++;
  return new Promise((resolve, reject) => {
    nodeSign(null, message, key.privateKeyObject, (err, signature) => {
      if (err !== null) reject(err);
      else resolve(plainBytes(signature));
    });
  });
}

/**
 * The KeyObject to verify with, or undefined when the input cannot possibly be a valid
 * signature (unknown algorithm, wrong sizes, not bytes, key rejected by OpenSSL). Checking
 * sizes first keeps hostile input from reaching OpenSSL or filling the key cache with junk.
 */
function verifyKeyOrUndefined(
  alg: SignatureAlgorithmId,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): KeyObject | undefined {
  if (!isSignatureAlgorithmId(alg)) return undefined;
  if (!(publicKey instanceof Uint8Array) || !(message instanceof Uint8Array) || !(signature instanceof Uint8Array)) return undefined;
  if (publicKey.byteLength !== publicKeySizeBytes[alg] || signature.byteLength !== signatureSizeBytes[alg]) return undefined;
  try {
    return publicKeyCache.get(alg, publicKey);
  } catch {
    return undefined;
  }
}

/** Verifies on the calling thread. Returns false, never throws, for any malformed input. */
export function verify(alg: SignatureAlgorithmId, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const keyObject = verifyKeyOrUndefined(alg, publicKey, message, signature);
  if (keyObject === undefined) return false;
  work.verifiesOnLoop++;
  try {
    return nodeVerify(null, message, keyObject, signature);
  } catch {
    return false;
  }
}

/**
 * Verifies on libuv's threadpool (about twice the synchronous rate on 2 cores, and the event
 * loop stays free). Resolves false, never rejects, for any malformed input.
 */
export function verifyAsync(alg: SignatureAlgorithmId, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const keyObject = verifyKeyOrUndefined(alg, publicKey, message, signature);
  if (keyObject === undefined) return Promise.resolve(false);
  work.verifiesOnThreadpool++;
  return new Promise((resolve) => {
    try {
      nodeVerify(null, message, keyObject, signature, (err, valid) => resolve(err === null && valid));
    } catch {
      resolve(false);
    }
  });
}
