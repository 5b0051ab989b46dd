/**
 * Signature verifiers for the engine. `createCommitteeVerifier` checks signatures against the
 * validator set's keys with src/crypto (ML-DSA); `createCachingVerifier` remembers results by
 * (signer, message, signature) so a vote that arrives again, or inside a QC, is verified once.
 */
import { sha256Key, verify } from "../crypto/index.ts";
import type { QuorumCertificate, ValidatorSet } from "../ledger/index.ts";
import { toHex } from "../util/index.ts";
import { bitmapIndices } from "./certificates.ts";
import { blockHashOf } from "./engine.ts";
import { timeoutMessage, voteMessage, type VoteMessageOf } from "./messages.ts";
import type { ConsensusMessage, SignatureVerifier, TimeoutCertificate, ValidatorIndex } from "./types.ts";

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
  /**
   * Records a verdict reached elsewhere (e.g. verifyAsync on the threadpool before the message
   * reaches the engine), so the engine's synchronous check is a cache hit.
   */
  readonly prime: (validatorIndex: ValidatorIndex, message: Uint8Array, signature: Uint8Array, valid: boolean) => void;
  /** Whether a verdict on this signature is cached: checking it ahead again would only repeat the work. */
  readonly isKnown: (validatorIndex: ValidatorIndex, message: Uint8Array, signature: Uint8Array) => boolean;
};

/** Default bound: a few views of votes and QCs at n = 100 with room to spare. */
export const VERIFY_CACHE_ENTRIES_MAX = 65_536;

export function createCachingVerifier(inner: SignatureVerifier, entriesMax = VERIFY_CACHE_ENTRIES_MAX): CachingVerifier {
  const results = new Map<string, boolean>();
  // One signature object is keyed several times (checked ahead, primed, checked by the engine):
  // its digest is computed once. Decoded and signed bytes are never mutated afterwards (the
  // verified-object memo in verifiedCache.ts relies on the same).
  const digests = new WeakMap<Uint8Array, string>();
  const cacheKey = (validatorIndex: ValidatorIndex, message: Uint8Array, signature: Uint8Array): string => {
    // Short signatures (Ed25519 in the simulator) key by value (hex); long ones (ML-DSA) by
    // digest ("#" and one char per byte: never hex).
    let body = signature.byteLength <= 128 ? toHex(signature) : digests.get(signature);
    if (body === undefined) {
      body = `#${sha256Key(signature)}`;
      digests.set(signature, body);
    }
    return `${validatorIndex}:${toHex(message)}:${body}`;
  };
  let hits = 0;
  let misses = 0;
  const remember = (key: string, valid: boolean): void => {
    if (results.size >= entriesMax) {
      // FIFO eviction: Map iterates in insertion order, so the first key is the oldest.
      const oldest = results.keys().next();
      if (oldest.done !== true) results.delete(oldest.value);
    }
    results.set(key, valid);
  };
  return {
    verify(validatorIndex: ValidatorIndex, message: Uint8Array, signature: Uint8Array): boolean {
      const key = cacheKey(validatorIndex, message, signature);
      const cached = results.get(key);
      if (cached !== undefined) {
        hits++;
        return cached;
      }
      misses++;
      const valid = inner.verify(validatorIndex, message, signature);
      remember(key, valid);
      return valid;
    },
    prime: (validatorIndex, message, signature, valid) => remember(cacheKey(validatorIndex, message, signature), valid),
    isKnown: (validatorIndex, message, signature) => results.has(cacheKey(validatorIndex, message, signature)),
    stats: () => ({ hits, misses, entries: results.size }),
  };
}

export type SignatureCheck = { readonly validatorIndex: ValidatorIndex; readonly message: Uint8Array; readonly signature: Uint8Array };

function qcChecks(voteMessageOf: VoteMessageOf, qc: QuorumCertificate | null, count: number): SignatureCheck[] {
  if (qc === null) return [];
  const signers = bitmapIndices(qc.signers, count) ?? [];
  const message = voteMessageOf(qc.view, qc.height, qc.blockHash);
  return signers.flatMap((validatorIndex, k) => (qc.signatures[k] === undefined ? [] : [{ validatorIndex, message, signature: qc.signatures[k] }]));
}

function tcChecks(chainId: string, epoch: number, tc: TimeoutCertificate | null, count: number): SignatureCheck[] {
  if (tc === null) return [];
  const signers = bitmapIndices(tc.signers, count) ?? [];
  return signers.flatMap((validatorIndex, k) => {
    const signature = tc.signatures[k];
    const highQcView = tc.highQcViews[k];
    return signature === undefined || highQcView === undefined ? [] : [{ validatorIndex, message: timeoutMessage(chainId, epoch, tc.view, highQcView), signature }];
  });
}

/**
 * Every signature the engine will check in `message` (a decoded, schema-valid message), so
 * the host can verify them in parallel (verifyAsync) and `prime` the caching verifier first.
 * `voteMessageOf`: the engine's memo of voteMessage for `chainId`, if there is one.
 */
export function signatureChecksOf(
  message: ConsensusMessage,
  chainId: string,
  count: number,
  voteMessageOf: VoteMessageOf = (view, height, blockHash) => voteMessage(chainId, view, height, blockHash),
): SignatureCheck[] {
  switch (message.type) {
    case "proposal": {
      const { header } = message.block;
      const own = { validatorIndex: message.sender, message: voteMessageOf(header.view, header.height, blockHashOf(message.block)), signature: message.signature };
      return [own, ...qcChecks(voteMessageOf, header.justify, count), ...tcChecks(chainId, message.epoch, message.tc, count)];
    }
    case "vote":
      return [{ validatorIndex: message.sender, message: voteMessageOf(message.view, message.height, message.blockHash), signature: message.signature }];
    case "timeout": {
      const own = { validatorIndex: message.sender, message: timeoutMessage(chainId, message.epoch, message.view, message.highQc?.view ?? 0), signature: message.signature };
      return [own, ...qcChecks(voteMessageOf, message.highQc, count), ...tcChecks(chainId, message.epoch, message.tc, count)];
    }
    case "blockResponse":
      return message.blocks.flatMap((block) => qcChecks(voteMessageOf, block.header.justify, count));
    case "syncInfo":
      return [...qcChecks(voteMessageOf, message.highQc, count), ...tcChecks(chainId, message.epoch, message.tc, count)];
    case "blockRequest":
    case "evidence":
      return [];
  }
}
