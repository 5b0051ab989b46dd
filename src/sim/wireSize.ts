/**
 * Encoded size of consensus messages, counted as if every signature were ML-DSA-65 (3,309
 * bytes) even when the run signs with Ed25519 (64 bytes) for speed: the byte counts of the
 * bench are those of the production wire format (docs/decisions/0103).
 */
import { encodeCanonical } from "../codec/index.ts";
import { signatureSizeBytes, SignatureAlgorithm } from "../crypto/index.ts";
import type { ConsensusMessage, TimeoutCertificate } from "../consensus/index.ts";
import type { Block, Evidence, QuorumCertificate } from "../ledger/index.ts";

export const ML_DSA_65_SIGNATURE_BYTES = signatureSizeBytes[SignatureAlgorithm.mlDsa65];
/** CBOR byte-string header: 2 bytes for 64 bytes of content, 3 bytes for 3,309. */
const CBOR_HEADER_GROWTH_BYTES = 1;

const sizeCache = new WeakMap<object, number>();

function qcSignatures(qc: QuorumCertificate | null): number {
  return qc === null ? 0 : qc.signatures.length;
}

function tcSignatures(tc: TimeoutCertificate | null): number {
  return tc === null ? 0 : tc.signatures.length;
}

/** Equivocation evidence holds two signed records; invalid-proposal evidence one (plus the block's QC, not counted). */
function evidenceSignatures(evidence: Evidence): number {
  return evidence.kind === "invalid-proposal" ? 1 : 2;
}

function blockSignatures(block: Block): number {
  return qcSignatures(block.header.justify) + block.evidence.reduce((sum, evidence) => sum + evidenceSignatures(evidence), 0);
}

export function signatureCount(message: ConsensusMessage): number {
  switch (message.type) {
    case "proposal":
      return 1 + blockSignatures(message.block) + tcSignatures(message.tc);
    case "vote":
      return 1;
    case "timeout":
      return 1 + qcSignatures(message.highQc) + tcSignatures(message.tc);
    case "blockRequest":
      return 0;
    case "blockResponse":
      return message.blocks.reduce((sum, block) => sum + blockSignatures(block), 0);
    case "evidence":
      return evidenceSignatures(message.evidence);
    case "syncInfo":
      return qcSignatures(message.highQc) + tcSignatures(message.tc);
  }
}

/** Bytes of `message` on the wire with ML-DSA-65 signatures; `signatureBytes` is the run's actual size. */
export function wireSizeBytes(message: ConsensusMessage, signatureBytes: number): number {
  const cached = sizeCache.get(message);
  if (cached !== undefined) return cached;
  const encoded = encodeCanonical(message).byteLength;
  const growth = signatureBytes === ML_DSA_65_SIGNATURE_BYTES ? 0 : ML_DSA_65_SIGNATURE_BYTES - signatureBytes + CBOR_HEADER_GROWTH_BYTES;
  const size = encoded + signatureCount(message) * growth;
  sizeCache.set(message, size);
  return size;
}
