/**
 * Signature verifiers for the engine. `createCommitteeVerifier` checks signatures against the
 * validator set's keys with src/crypto (ML-DSA); `createCachingVerifier` remembers results by
 * (signer, message, signature) so a vote that arrives again, or inside a QC, is verified once.
 */
import { sha256, verify } from "../crypto/index.ts";
import type { ValidatorSet } from "../ledger/index.ts";
import { toHex } from "../util/index.ts";
import type { SignatureVerifier, ValidatorIndex } from "./types.ts";

export function createCommitteeVerifier(set: ValidatorSet): SignatureVerifier {
  return {
    verify(validatorIndex: ValidatorIndex, message: Uint8Array, signature: Uint8Array): boolean {
      const validator = set.validators[validatorIndex];
      return validator !== undefined && verify(validator.alg, validator.publicKey, message, signature);
    },
  };
}

export type CachingVerifier = SignatureVerifier & {
  readonly stats: () => { readonly hits: number; readonly misses: number; readonly entries: number };
};

/** Default bound: a few views of votes and QCs at n = 100 with room to spare. */
export const VERIFY_CACHE_ENTRIES_MAX = 65_536;

export function createCachingVerifier(inner: SignatureVerifier, entriesMax = VERIFY_CACHE_ENTRIES_MAX): CachingVerifier {
  const results = new Map<string, boolean>();
  let hits = 0;
  let misses = 0;
  return {
    verify(validatorIndex: ValidatorIndex, message: Uint8Array, signature: Uint8Array): boolean {
      // Short signatures (Ed25519 in the simulator) key by value; long ones (ML-DSA) by digest.
      const body = signature.byteLength <= 128 ? toHex(signature) : toHex(sha256(signature));
      const key = `${validatorIndex}:${toHex(message)}:${body}`;
      const cached = results.get(key);
      if (cached !== undefined) {
        hits++;
        return cached;
      }
      misses++;
      const valid = inner.verify(validatorIndex, message, signature);
      if (results.size >= entriesMax) {
        // FIFO eviction: Map iterates in insertion order, so the first key is the oldest.
        const oldest = results.keys().next();
        if (oldest.done !== true) results.delete(oldest.value);
      }
      results.set(key, valid);
      return valid;
    },
    stats: () => ({ hits, misses, entries: results.size }),
  };
}
