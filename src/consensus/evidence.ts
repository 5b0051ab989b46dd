/**
 * Evidence of misbehaviour: verifying it (anyone holding the validator set can), and the pool
 * of verified evidence waiting to be committed. Evidence for one (kind, validator, view) is
 * proposed until a committed block carries it, then never again.
 */
import type { Evidence } from "../ledger/index.ts";
import { bytesEqual, compareBytes } from "../util/index.ts";
import type { CertificateContext } from "./certificates.ts";
import { RejectCode, reject, type Rejection } from "./errors.ts";
import { decodeEvidenceRecord, evidenceKey, evidenceRecordMessage } from "./messages.ts";
import { invalidProposalProblem } from "./proposalStructure.ts";
import { isEvidenceShape } from "./shape.ts";

export { decodeEvidenceRecord };

/**
 * Checks that `evidence` proves misbehaviour of its validator: two different blocks signed for
 * one view ("vote", "proposal"), or a structurally invalid block signed as the view's leader
 * ("invalid-proposal", proposalStructure.ts).
 */
export function verifyEvidence(evidence: Evidence, ctx: CertificateContext): Rejection | null {
  const invalid = (why: string): Rejection => reject(RejectCode.evidenceInvalid, `evidence: ${why}`);
  if (!isEvidenceShape(evidence)) return invalid("malformed");
  if (evidence.kind === "invalid-proposal") {
    const problem = invalidProposalProblem(evidence, ctx, true);
    return problem === null ? null : invalid(problem);
  }
  return verifyEquivocation(evidence, ctx, invalid);
}

function verifyEquivocation(evidence: Evidence, ctx: CertificateContext, invalid: (why: string) => Rejection): Rejection | null {
  if (compareBytes(evidence.first, evidence.second) >= 0) return invalid("first must sort strictly before second");
  const a = decodeEvidenceRecord(evidence.first);
  const b = decodeEvidenceRecord(evidence.second);
  if (a === undefined || b === undefined) return invalid("a record does not decode");
  for (const record of [a, b]) {
    if (record.kind !== evidence.kind || record.view !== evidence.view) return invalid("record kind or view differs from the evidence");
    if (record.chainId !== ctx.chainId || record.epoch !== ctx.epoch) return invalid("record is for another chain or epoch");
  }
  if (a.signer !== b.signer) return invalid("records have different signers");
  const validator = ctx.committee.validators[a.signer];
  if (validator === undefined || !bytesEqual(validator.address, evidence.validator)) return invalid("signer is not the named validator");
  if (bytesEqual(a.blockHash, b.blockHash) && a.height === b.height) return invalid("records do not conflict");
  for (const record of [a, b]) {
    if (!ctx.verifier.verify(record.signer, evidenceRecordMessage(record), record.signature)) return invalid("a record signature does not verify");
  }
  return null;
}

/**
 * Evidence bytes (first + second) a leader puts in one block. Invalid-proposal evidence can
 * reach 1 MiB per item, so 16 such items would crowd a proposal towards the 16 MiB gossip cap;
 * the rest waits for the next blocks.
 */
export const EVIDENCE_BYTES_PER_BLOCK_MAX = 4 * 1024 * 1024;

export type EvidencePoolLimits = {
  readonly pendingEvidenceMax: number;
  readonly committedEvidenceKeysMax: number;
};

export class EvidencePool {
  private readonly pending = new Map<string, Evidence>();
  private readonly committed = new Set<string>();
  private readonly limits: EvidencePoolLimits;
  droppedTotal = 0;

  constructor(limits: EvidencePoolLimits, initial: readonly Evidence[]) {
    this.limits = limits;
    for (const evidence of initial) this.add(evidence);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  has(key: string): boolean {
    return this.pending.has(key) || this.committed.has(key);
  }

  isCommitted(key: string): boolean {
    return this.committed.has(key);
  }

  /** Adds verified evidence; false when already known or the pool is full (counted). */
  add(evidence: Evidence): boolean {
    const key = evidenceKey(evidence);
    if (this.has(key)) return false;
    if (this.pending.size >= this.limits.pendingEvidenceMax) {
      this.droppedTotal++;
      return false;
    }
    this.pending.set(key, evidence);
    return true;
  }

  markCommitted(list: readonly Evidence[]): void {
    for (const evidence of list) {
      const key = evidenceKey(evidence);
      this.pending.delete(key);
      this.committed.add(key);
    }
    // FIFO: the oldest committed keys go first; they are also the oldest views, which the
    // evidenceViewsMax expiry refuses anyway.
    for (const key of this.committed) {
      if (this.committed.size <= this.limits.committedEvidenceKeysMax) break;
      this.committed.delete(key);
    }
  }

  /**
   * Pending evidence not in `excludeKeys`, views >= viewMin, oldest first, at most `max` items
   * and EVIDENCE_BYTES_PER_BLOCK_MAX bytes (the first item always fits).
   */
  select(excludeKeys: ReadonlySet<string>, viewMin: number, max: number): Evidence[] {
    const chosen: Evidence[] = [];
    let bytes = 0;
    for (const [key, evidence] of this.pending) {
      if (evidence.view < viewMin) {
        this.pending.delete(key);
        continue;
      }
      if (chosen.length >= max || excludeKeys.has(key)) continue;
      const size = evidence.first.byteLength + evidence.second.byteLength;
      if (chosen.length > 0 && bytes + size > EVIDENCE_BYTES_PER_BLOCK_MAX) continue;
      chosen.push(evidence);
      bytes += size;
    }
    return chosen;
  }
}
