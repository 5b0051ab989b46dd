import { AEAD_KEY_SIZE_BYTES, AEAD_NONCE_SIZE_BYTES, hashTagged, hkdfSha256 } from "../../crypto/index.ts";
import { assert, utf8 } from "../../util/index.ts";
import { handshakeKeysInfo, QSTP_PROTOCOL, rekeyInfo, trafficKeysInfo, transcriptTag } from "./constants.ts";

/*
 * Key schedule (all HKDF-SHA-256, RFC 5869):
 *   ss            = hybrid ML-KEM-768 + X25519 shared secret (crypto/hybridKem.ts)
 *   h2            = transcript hash after InitiatorHello and the ResponderHello head
 *   [kI_hs|kR_hs] = HKDF(ikm = ss, salt = h2, info = "ghostmesh/v1/qstp/handshake-keys", 64)
 *   hF            = transcript hash after all three messages
 *   [kI|kR]       = HKDF(ikm = ss, salt = hF, info = "ghostmesh/v1/qstp/traffic-keys", 64)
 *   next key      = HKDF(ikm = key, salt = empty, info = "ghostmesh/v1/qstp/rekey", 32)
 * kI encrypts initiator -> responder, kR the other way. Handshake keys seal exactly one
 * message each, so their nonce is fixed at zero.
 */

const protocolBytes = utf8(QSTP_PROTOCOL);
const emptyBytes = new Uint8Array(0);
export const handshakeNonce = new Uint8Array(AEAD_NONCE_SIZE_BYTES);

/**
 * The handshake transcript: the protocol id then every message (or message head) in order,
 * each behind a u32 length so the concatenation has one parse. Hashing all of it at each
 * step (messages total ~12 KB) keeps the "hash of the whole transcript" literal.
 */
export class Transcript {
  readonly #parts: Uint8Array[] = [];

  constructor() {
    this.append(protocolBytes);
  }

  append(bytes: Uint8Array): void {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, bytes.byteLength);
    this.#parts.push(length, bytes);
  }

  hash(): Uint8Array {
    return hashTagged(transcriptTag, ...this.#parts);
  }

  /** The hash as if `extra` had been appended, without appending it. */
  hashWith(...extra: Uint8Array[]): Uint8Array {
    const copy = new Transcript();
    copy.#parts.splice(0, copy.#parts.length, ...this.#parts);
    for (const bytes of extra) copy.append(bytes);
    return copy.hash();
  }
}

export type DirectionalKeys = { readonly initiatorKey: Uint8Array; readonly responderKey: Uint8Array };

function splitKeys(ikm: Uint8Array, salt: Uint8Array, info: string): DirectionalKeys {
  assert(ikm.byteLength === 32 && salt.byteLength === 32, "splitKeys: 32-byte secret and transcript hash");
  const okm = hkdfSha256(ikm, salt, utf8(info), 2 * AEAD_KEY_SIZE_BYTES);
  return { initiatorKey: okm.slice(0, AEAD_KEY_SIZE_BYTES), responderKey: okm.slice(AEAD_KEY_SIZE_BYTES) };
}

export function deriveHandshakeKeys(sharedSecret: Uint8Array, transcriptHash: Uint8Array): DirectionalKeys {
  return splitKeys(sharedSecret, transcriptHash, handshakeKeysInfo);
}

export function deriveTrafficKeys(sharedSecret: Uint8Array, transcriptHash: Uint8Array): DirectionalKeys {
  return splitKeys(sharedSecret, transcriptHash, trafficKeysInfo);
}

/** One step of the per-direction ratchet: the old key cannot be recovered from the new one. */
export function nextTrafficKey(key: Uint8Array): Uint8Array {
  assert(key.byteLength === AEAD_KEY_SIZE_BYTES, "nextTrafficKey: key size");
  return hkdfSha256(key, emptyBytes, utf8(rekeyInfo), AEAD_KEY_SIZE_BYTES);
}
