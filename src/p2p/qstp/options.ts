import { SignatureAlgorithm, isSignatureAlgorithmId, type SignatureAlgorithmId } from "../../crypto/index.ts";
import { qstpError } from "./errors.ts";

export type QstpOptions = {
  /** The whole three-message handshake must finish within this, or the connection is closed. */
  readonly handshakeTimeoutMs: number;
  /**
   * Plaintext bytes per record. Both peers must use the same value: a frame longer than
   * our limit is refused from its 5-byte header, before its body is buffered.
   */
  readonly recordSizeBytesMax: number;
  /** A sender moves to the next key after this many plaintext bytes under one key. */
  readonly rekeyBytes: number;
  /** ... or when the key is this old when the next record goes out. */
  readonly rekeyIntervalMs: number;
  /** Records under one key; past it the connection closes rather than reuse a nonce. */
  readonly recordsPerKeyMax: number;
  /** ML-DSA parameter sets a peer may prove its identity with. */
  readonly identityAlgorithmsAccepted: readonly SignatureAlgorithmId[];
};

export const defaultQstpOptions: QstpOptions = {
  // Two round trips plus three ML-DSA signs and verifies take milliseconds; 10 s covers slow
  // links without letting half-open handshakes pile up.
  handshakeTimeoutMs: 10_000,
  // 64 KiB: large enough that per-record cost (one GCM init, 21 bytes of framing) is noise
  // next to the bulk cipher, small enough that a receiver buffers little before it can
  // authenticate, and it equals yamux's default window.
  recordSizeBytesMax: 64 * 1024,
  // 1 GiB per key keeps AES-GCM far inside its confidentiality bound (TLS 1.3 allows
  // 2^24.5 full records, about 24 GiB, per key) and bounds what one leaked key reveals.
  rekeyBytes: 1024 * 1024 * 1024,
  // Ten minutes bounds how long one key protects an idle, long-lived validator link.
  rekeyIntervalMs: 10 * 60 * 1000,
  // 2^32 records: data records carry at least one byte, so the byte limit (2^30) always
  // triggers first; this is the hard stop if limits are misconfigured.
  recordsPerKeyMax: 2 ** 32,
  // ML-DSA-44 (NIST level 2) is below the level the chain signs with.
  identityAlgorithmsAccepted: [SignatureAlgorithm.mlDsa65, SignatureAlgorithm.mlDsa87],
};

/** The nonce counter is 64 bits on the wire; a JavaScript number stays exact below 2^53. */
const RECORDS_PER_KEY_MAX_LIMIT = Number.MAX_SAFE_INTEGER;
/** A u32 frame length must fit record + tag. */
const RECORD_SIZE_BYTES_MAX_LIMIT = 16 * 1024 * 1024;

/**
 * Defaults overlaid with `opts`, checked.
 * @throws GhostmeshError P2P_INVALID_OPTIONS naming the field.
 */
export function resolveQstpOptions(opts: Partial<QstpOptions> = {}): QstpOptions {
  const resolved: QstpOptions = { ...defaultQstpOptions, ...opts };
  checkInteger("handshakeTimeoutMs", resolved.handshakeTimeoutMs, 1, 10 * 60 * 1000);
  checkInteger("recordSizeBytesMax", resolved.recordSizeBytesMax, 1, RECORD_SIZE_BYTES_MAX_LIMIT);
  checkInteger("rekeyBytes", resolved.rekeyBytes, 1, Number.MAX_SAFE_INTEGER);
  checkInteger("rekeyIntervalMs", resolved.rekeyIntervalMs, 1, Number.MAX_SAFE_INTEGER);
  checkInteger("recordsPerKeyMax", resolved.recordsPerKeyMax, 2, RECORDS_PER_KEY_MAX_LIMIT);
  const algs = resolved.identityAlgorithmsAccepted;
  if (!Array.isArray(algs) || algs.length === 0 || !algs.every(isSignatureAlgorithmId)) {
    throw qstpError("P2P_INVALID_OPTIONS", "identityAlgorithmsAccepted must list at least one signature algorithm id (1, 2 or 3)", {
      field: "identityAlgorithmsAccepted",
    });
  }
  return Object.freeze({ ...resolved, identityAlgorithmsAccepted: Object.freeze([...algs]) });
}

function checkInteger(field: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw qstpError("P2P_INVALID_OPTIONS", `qstp option ${field} must be an integer in ${min}..${max}, got ${String(value)}`, {
      field,
      value,
      min,
      max,
    });
  }
}
