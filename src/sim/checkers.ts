/**
 * Invariant checkers fed by the simulation as things happen:
 * - agreement: no two honest nodes commit different blocks at one height;
 * - validity: each honest node's commits form one hash-linked chain of blocks that re-execute
 *   to the roots in their headers, proposed by the view's leader;
 * - no honest equivocation: an honest key never signs two different votes or proposals for one
 *   view, across crashes and restarts (votes are seen as sent, or as signer bits of a QC);
 * - evidence: all evidence an honest node detected before GST (equivocations, and structurally
 *   invalid proposals signed by their view's leader) ends up in a committed block;
 * - no false evidence: no honest node ever makes evidence against an honest validator.
 * Liveness is judged by the simulation, which owns the phases.
 */
import { bitmapIndices, evidenceKey, leaderOf, type CommittedBlock, type Committee } from "../consensus/index.ts";
import type { Evidence, QuorumCertificate } from "../ledger/index.ts";
import { bytesEqual, toHex } from "../util/index.ts";
import { checkSimBlock, type SimChainState } from "./app.ts";

export const ViolationKind = {
  agreement: "agreement",
  validity: "validity",
  honestEquivocation: "honest-equivocation",
  evidenceMissing: "evidence-missing",
  falseEvidence: "false-evidence",
  liveness: "liveness",
} as const;
export type ViolationKind = (typeof ViolationKind)[keyof typeof ViolationKind];

export type Violation = { readonly kind: ViolationKind; readonly timeMs: number; readonly detail: string };

/** Kept per run: one entry per violation kind is enough to report and replay. */
const VIOLATIONS_PER_KIND_MAX = 4;

type NodeChain = { height: number; hashHex: string };

export class SimChecker {
  readonly violations: Violation[] = [];
  readonly latenciesMs: number[] = [];
  private readonly committee: Committee;
  private readonly honestKeys: ReadonlySet<number>;
  private readonly canonical = new Map<number, string>();
  private readonly stateByHash = new Map<string, SimChainState>();
  private readonly chains = new Map<number, NodeChain>();
  private readonly signedVotes = new Map<string, string>();
  private readonly signedProposals = new Map<string, string>();
  private readonly evidenceDetectedMs = new Map<string, number>();
  private readonly evidenceCommitted = new Set<string>();
  private invalidProposalsCommitted = 0;
  private readonly proposedAtMs = new Map<string, number>();
  private readonly genesisHex: string;

  constructor(committee: Committee, honestKeys: ReadonlySet<number>, genesisHash: Uint8Array, genesisState: SimChainState) {
    this.committee = committee;
    this.honestKeys = honestKeys;
    this.genesisHex = toHex(genesisHash);
    this.stateByHash.set(this.genesisHex, genesisState);
  }

  get committedHeight(): number {
    return this.canonical.size;
  }

  get evidenceCommittedCount(): number {
    return this.evidenceCommitted.size;
  }

  /** Committed invalid-proposal evidence (distinct keys). */
  get invalidProposalEvidenceCommittedCount(): number {
    return this.invalidProposalsCommitted;
  }

  get evidenceDetectedCount(): number {
    return this.evidenceDetectedMs.size;
  }

  private violation(kind: ViolationKind, timeMs: number, detail: string): void {
    if (this.violations.filter((v) => v.kind === kind).length < VIOLATIONS_PER_KIND_MAX) this.violations.push({ kind, timeMs, detail });
    else if (!this.violations.some((v) => v.kind === kind && v.detail === "...")) this.violations.push({ kind, timeMs, detail: "..." });
  }

  countOf(kind: ViolationKind): number {
    return this.violations.filter((v) => v.kind === kind).length;
  }

  onProposalSent(keyIndex: number, view: number, hashHex: string, nowMs: number): void {
    if (!this.proposedAtMs.has(hashHex)) this.proposedAtMs.set(hashHex, nowMs);
    if (!this.honestKeys.has(keyIndex)) return;
    this.recordSigned(this.signedProposals, keyIndex, view, hashHex, nowMs, "proposals");
  }

  onVoteSeen(keyIndex: number, view: number, hashHex: string, nowMs: number): void {
    if (this.honestKeys.has(keyIndex)) this.recordSigned(this.signedVotes, keyIndex, view, hashHex, nowMs, "votes");
  }

  /** Every signer of a QC voted for its block in its view. */
  onQcSeen(qc: QuorumCertificate, nowMs: number): void {
    const signers = bitmapIndices(qc.signers, this.committee.count);
    if (signers === undefined) return;
    const hashHex = toHex(qc.blockHash);
    for (const signer of signers) this.onVoteSeen(signer, qc.view, hashHex, nowMs);
  }

  private recordSigned(seen: Map<string, string>, keyIndex: number, view: number, hashHex: string, nowMs: number, what: string): void {
    const key = `${keyIndex}:${view}`;
    const previous = seen.get(key);
    if (previous === undefined) seen.set(key, hashHex);
    else if (previous !== hashHex) this.violation(ViolationKind.honestEquivocation, nowMs, `honest validator ${keyIndex} signed two ${what} in view ${view}`);
  }

  onEvidenceDetected(evidence: Evidence, nowMs: number): void {
    const key = evidenceKey(evidence);
    if (!this.evidenceDetectedMs.has(key)) this.evidenceDetectedMs.set(key, nowMs);
    const accused = this.committee.indexByAddress.get(toHex(evidence.validator));
    if (accused !== undefined && this.honestKeys.has(accused)) this.violation(ViolationKind.falseEvidence, nowMs, `evidence ${key} accuses honest validator ${accused}`);
  }

  onCommit(instance: number, blocks: readonly CommittedBlock[], nowMs: number): void {
    for (const committed of blocks) {
      this.checkChain(instance, committed, nowMs);
      this.checkCanonical(committed, nowMs);
      for (const evidence of committed.block.evidence) this.onEvidenceCommitted(evidence);
      const proposedAt = this.proposedAtMs.get(toHex(committed.hash));
      if (proposedAt !== undefined) this.latenciesMs.push(nowMs - proposedAt);
    }
  }

  private onEvidenceCommitted(evidence: Evidence): void {
    const key = evidenceKey(evidence);
    if (this.evidenceCommitted.has(key)) return;
    this.evidenceCommitted.add(key);
    if (evidence.kind === "invalid-proposal") this.invalidProposalsCommitted++;
  }

  /** A wiped instance commits the chain again from genesis. */
  onWipe(instance: number): void {
    this.chains.delete(instance);
  }

  /** The instance's own commits extend its previous commit by exactly one block. */
  private checkChain(instance: number, committed: CommittedBlock, nowMs: number): void {
    const chain = this.chains.get(instance) ?? { height: 0, hashHex: this.genesisHex };
    const h = committed.block.header;
    if (h.height !== chain.height + 1 || toHex(h.parentHash) !== chain.hashHex) {
      this.violation(ViolationKind.validity, nowMs, `node ${instance} committed height ${h.height} not extending its height ${chain.height}`);
    }
    const leader = this.committee.validators[leaderOf(this.committee, h.view)];
    if (leader === undefined || !bytesEqual(leader.address, h.proposer)) this.violation(ViolationKind.validity, nowMs, `block ${h.height} proposer is not the leader of view ${h.view}`);
    if (!bytesEqual(committed.qc.blockHash, committed.hash)) this.violation(ViolationKind.validity, nowMs, `block ${h.height} committed with a QC for another block`);
    this.chains.set(instance, { height: h.height, hashHex: toHex(committed.hash) });
  }

  private checkCanonical(committed: CommittedBlock, nowMs: number): void {
    const h = committed.block.header;
    const hashHex = toHex(committed.hash);
    const existing = this.canonical.get(h.height);
    if (existing !== undefined) {
      if (existing !== hashHex) this.violation(ViolationKind.agreement, nowMs, `two blocks committed at height ${h.height}: ${existing.slice(0, 16)} and ${hashHex.slice(0, 16)}`);
      return;
    }
    this.canonical.set(h.height, hashHex);
    const parent = this.stateByHash.get(toHex(h.parentHash));
    if (parent === undefined) {
      this.violation(ViolationKind.validity, nowMs, `block ${h.height} committed on a parent never committed`);
      return;
    }
    const checked = checkSimBlock(parent, committed.block);
    if ("reason" in checked) this.violation(ViolationKind.validity, nowMs, `block ${h.height} does not re-execute: ${checked.reason}`);
    else this.stateByHash.set(hashHex, checked.state);
  }

  /** Equivocations detected before `cutoffMs` that no committed block carries. */
  evidenceMissing(cutoffMs: number): string[] {
    const missing: string[] = [];
    for (const [key, detectedMs] of this.evidenceDetectedMs) if (detectedMs < cutoffMs && !this.evidenceCommitted.has(key)) missing.push(key);
    return missing;
  }

  reportEvidenceMissing(cutoffMs: number, nowMs: number): void {
    const missing = this.evidenceMissing(cutoffMs);
    if (missing.length > 0) this.violation(ViolationKind.evidenceMissing, nowMs, `${missing.length} evidence item(s) detected before GST never committed, e.g. ${missing[0]}`);
  }

  reportLiveness(detail: string, nowMs: number): void {
    this.violation(ViolationKind.liveness, nowMs, detail);
  }
}
