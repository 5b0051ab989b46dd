/**
 * Quorum and timeout certificates: checking their shape, power and every signature through
 * the injected verifier, and assembling them from collected votes/timeouts. A certificate is
 * a signer bitmap over the set order plus one signature per set bit, in bit order.
 */
import { signerBitmap, type QuorumCertificate } from "../ledger/index.ts";
import { assert } from "../util/index.ts";
import { isQuorum, powerOf, type Committee } from "./committee.ts";
import { RejectCode, reject, type Rejection } from "./errors.ts";
import { timeoutMessage, voteMessage, type VoteMessageOf } from "./messages.ts";
import { isBytes, isUint } from "./shape.ts";
import type { SignatureVerifier, TimeoutCertificate, ValidatorIndex } from "./types.ts";

export type CertificateContext = {
  readonly chainId: string;
  readonly epoch: number;
  readonly committee: Committee;
  readonly verifier: SignatureVerifier;
  /** The engine's memo of voteMessage(chainId, ...); without it each QC check encodes its message. */
  readonly voteMessageOf?: VoteMessageOf;
};

/** Set bits of a bitmap sized exactly for the committee; undefined if malformed (wrong size, stray bits). */
export function bitmapIndices(bitmap: unknown, count: number): ValidatorIndex[] | undefined {
  if (!(bitmap instanceof Uint8Array) || bitmap.byteLength !== Math.max(1, Math.ceil(count / 8))) return undefined;
  const indices: ValidatorIndex[] = [];
  for (let i = 0; i < bitmap.byteLength * 8; i++) {
    if ((((bitmap[i >> 3] as number) >> (i & 7)) & 1) === 0) continue;
    if (i >= count) return undefined;
    indices.push(i);
  }
  return indices;
}

/** The signature of `index` in a verified certificate of a committee of `count`, or null when it did not sign. */
export function signatureOfSigner(signers: Uint8Array, signatures: readonly Uint8Array[], count: number, index: ValidatorIndex): Uint8Array | null {
  const position = bitmapIndices(signers, count)?.indexOf(index) ?? -1;
  return position < 0 ? null : (signatures[position] ?? null);
}

function signaturesShapeOk(signatures: unknown, length: number): signatures is readonly Uint8Array[] {
  return Array.isArray(signatures) && signatures.length === length && signatures.every((s) => s instanceof Uint8Array);
}

export function verifyQc(qc: QuorumCertificate, ctx: CertificateContext): Rejection | null {
  if (!isUint(qc.view) || !isUint(qc.height) || !isBytes(qc.blockHash, 32)) return reject(RejectCode.qcMalformed, "QC view, height or blockHash malformed");
  const indices = bitmapIndices(qc.signers, ctx.committee.count);
  if (indices === undefined) return reject(RejectCode.qcMalformed, `QC signer bitmap is not ${Math.ceil(ctx.committee.count / 8)} bytes with bits below ${ctx.committee.count}`);
  if (!signaturesShapeOk(qc.signatures, indices.length)) return reject(RejectCode.qcMalformed, `QC has ${indices.length} signers but signatures do not match`);
  let power = 0;
  for (const index of indices) power += powerOf(ctx.committee, index);
  if (!isQuorum(ctx.committee, power)) return reject(RejectCode.qcNoQuorum, `QC signers hold ${power} of ${ctx.committee.powerTotal} power`);
  const message = ctx.voteMessageOf === undefined ? voteMessage(ctx.chainId, qc.view, qc.height, qc.blockHash) : ctx.voteMessageOf(qc.view, qc.height, qc.blockHash);
  for (let k = 0; k < indices.length; k++) {
    if (!ctx.verifier.verify(indices[k] as number, message, qc.signatures[k] as Uint8Array)) {
      return reject(RejectCode.qcBadSignature, `QC signature of validator ${indices[k]} does not verify`);
    }
  }
  return null;
}

export function verifyTc(tc: TimeoutCertificate, ctx: CertificateContext): Rejection | null {
  if (!isUint(tc.view) || tc.view < 1) return reject(RejectCode.tcMalformed, "TC view malformed");
  const indices = bitmapIndices(tc.signers, ctx.committee.count);
  if (indices === undefined) return reject(RejectCode.tcMalformed, "TC signer bitmap malformed");
  if (!signaturesShapeOk(tc.signatures, indices.length)) return reject(RejectCode.tcMalformed, "TC signatures do not match its signers");
  const views = tc.highQcViews;
  if (!Array.isArray(views) || views.length !== indices.length || !views.every((v) => isUint(v) && v < tc.view)) {
    return reject(RejectCode.tcMalformed, "TC highQcViews must be one view below tc.view per signer");
  }
  let power = 0;
  for (const index of indices) power += powerOf(ctx.committee, index);
  if (!isQuorum(ctx.committee, power)) return reject(RejectCode.tcNoQuorum, `TC signers hold ${power} of ${ctx.committee.powerTotal} power`);
  for (let k = 0; k < indices.length; k++) {
    const message = timeoutMessage(ctx.chainId, ctx.epoch, tc.view, views[k] as number);
    if (!ctx.verifier.verify(indices[k] as number, message, tc.signatures[k] as Uint8Array)) {
      return reject(RejectCode.tcBadSignature, `TC signature of validator ${indices[k]} does not verify`);
    }
  }
  return null;
}

export function tcHighQcViewMax(tc: TimeoutCertificate): number {
  let max = 0;
  for (const view of tc.highQcViews) max = Math.max(max, view);
  return max;
}

/** QC from votes keyed by signer index (any order). */
export function buildQc(view: number, height: number, blockHash: Uint8Array, signatures: ReadonlyMap<ValidatorIndex, Uint8Array>, count: number): QuorumCertificate {
  const indices = [...signatures.keys()].sort((a, b) => a - b);
  assert(indices.length > 0 && (indices[indices.length - 1] as number) < count, "buildQc: signers are in the set");
  return { view, height, blockHash, signers: signerBitmap(indices, count), signatures: indices.map((i) => signatures.get(i) as Uint8Array) };
}

export type TimeoutShare = { readonly highQcView: number; readonly signature: Uint8Array };

export function buildTc(view: number, shares: ReadonlyMap<ValidatorIndex, TimeoutShare>, count: number): TimeoutCertificate {
  const indices = [...shares.keys()].sort((a, b) => a - b);
  assert(indices.length > 0 && (indices[indices.length - 1] as number) < count, "buildTc: signers are in the set");
  const ordered = indices.map((i) => shares.get(i) as TimeoutShare);
  return { view, signers: signerBitmap(indices, count), highQcViews: ordered.map((s) => s.highQcView), signatures: ordered.map((s) => s.signature) };
}
