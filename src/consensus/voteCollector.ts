/**
 * Votes collected by the leader of view + 1, per view and block, until a QC forms. Keeps the
 * first vote of each validator per view, so a second, different vote is equivocation.
 * Bounded: the engine prunes views below view - 1 and refuses views too far ahead; within a
 * view there is at most one entry per validator (and one unchecked surplus vote, see
 * `keepIfSurplus`).
 */
import { bytesEqual, toHex } from "../util/index.ts";
import { buildQc } from "./certificates.ts";
import { isQuorum, powerOf, type Committee } from "./committee.ts";
import type { QuorumCertificate } from "../ledger/index.ts";
import type { ValidatorIndex, VoteMessage } from "./types.ts";

type BlockVotes = { power: number; readonly signatures: Map<ValidatorIndex, Uint8Array> };
type ViewVotes = {
  readonly firstBySender: Map<ValidatorIndex, VoteMessage>;
  readonly byBlock: Map<string, BlockVotes>;
  /** The block the view's QC certifies, once formed. */
  qc: { readonly hashHex: string; readonly height: number } | null;
  /** Surplus votes kept unchecked, by sender (none of them in firstBySender). */
  readonly unchecked: Map<ValidatorIndex, VoteMessage>;
};

export type VoteOutcome =
  | { readonly kind: "added" }
  | { readonly kind: "duplicate" }
  | { readonly kind: "equivocation"; readonly first: VoteMessage }
  | { readonly kind: "quorum"; readonly qc: QuorumCertificate };

export class VoteCollector {
  private readonly byView = new Map<number, ViewVotes>();
  private readonly committee: Committee;

  constructor(committee: Committee) {
    this.committee = committee;
  }

  get viewCount(): number {
    return this.byView.size;
  }

  /** The vote must be verified and its view inside the engine's window. */
  add(vote: VoteMessage): VoteOutcome {
    let views = this.byView.get(vote.view);
    if (views === undefined) {
      views = { firstBySender: new Map(), byBlock: new Map(), qc: null, unchecked: new Map() };
      this.byView.set(vote.view, views);
    }
    const first = views.firstBySender.get(vote.sender);
    const hashHex = toHex(vote.blockHash);
    if (first !== undefined) {
      const same = toHex(first.blockHash) === hashHex && first.height === vote.height;
      return same ? { kind: "duplicate" } : { kind: "equivocation", first };
    }
    views.unchecked.delete(vote.sender);
    views.firstBySender.set(vote.sender, vote);
    let block = views.byBlock.get(hashHex);
    if (block === undefined) {
      block = { power: 0, signatures: new Map() };
      views.byBlock.set(hashHex, block);
    }
    block.signatures.set(vote.sender, vote.signature);
    block.power += powerOf(this.committee, vote.sender);
    if (views.qc !== null || !isQuorum(this.committee, block.power)) return { kind: "added" };
    views.qc = { hashHex, height: vote.height };
    return { kind: "quorum", qc: buildQc(vote.view, vote.height, vote.blockHash, block.signatures, this.committee.count) };
  }

  /**
   * Whether `vote` can add nothing to its view: the view's QC has formed for the same block,
   * and its sender has no vote recorded there (a vote kept unchecked counts only when it has
   * the same signature bytes: a repeat). With votes sent to everyone, the last vote of each
   * view is such a vote at every validator; checking its signature would buy nothing.
   */
  isSurplus(vote: VoteMessage): boolean {
    const views = this.byView.get(vote.view);
    if (views === undefined || views.qc === null || views.firstBySender.has(vote.sender)) return false;
    if (views.qc.height !== vote.height || views.qc.hashHex !== toHex(vote.blockHash)) return false;
    const kept = views.unchecked.get(vote.sender);
    return kept === undefined || bytesEqual(kept.signature, vote.signature);
  }

  /**
   * Whether `vote` will be surplus once votes that are on their way are added first: the votes
   * for its block collected so far, with those of the `ahead` senders (for the same view and
   * block, not yet added), reach a quorum without its sender. A prediction for the host, which
   * then need not check it ahead; the engine still keeps it unchecked only once the QC has formed.
   */
  isSurplusAfter(vote: VoteMessage, ahead: ReadonlySet<ValidatorIndex>): boolean {
    const views = this.byView.get(vote.view);
    if (views !== undefined && views.qc !== null) return this.isSurplus(vote);
    if (views?.firstBySender.has(vote.sender) === true) return false;
    let power = views?.byBlock.get(toHex(vote.blockHash))?.power ?? 0;
    for (const sender of ahead) {
      // `ahead` comes from the network, unchecked: a sender outside the set counts for nothing.
      if (sender !== vote.sender && sender < this.committee.count && views?.firstBySender.has(sender) !== true) power += powerOf(this.committee, sender);
    }
    return isQuorum(this.committee, power);
  }

  /**
   * Keeps a surplus vote (isSurplus) without checking it: it matters only if its sender also
   * votes for another block in the view, and then `takeUnchecked` hands it to the engine to
   * check before that vote, so the equivocation is still caught. False: check and `add` it.
   */
  keepIfSurplus(vote: VoteMessage): boolean {
    if (!this.isSurplus(vote)) return false;
    const views = this.byView.get(vote.view) as ViewVotes;
    if (!views.unchecked.has(vote.sender)) views.unchecked.set(vote.sender, vote);
    return true;
  }

  /** The vote kept unchecked for `sender` in `view`, removed; undefined if none. */
  takeUnchecked(view: number, sender: ValidatorIndex): VoteMessage | undefined {
    const views = this.byView.get(view);
    const kept = views?.unchecked.get(sender);
    if (kept !== undefined) views?.unchecked.delete(sender);
    return kept;
  }

  /** The validators whose (checked) votes for the block are collected in `view`. */
  votersOf(view: number, blockHash: Uint8Array): ValidatorIndex[] {
    const block = this.byView.get(view)?.byBlock.get(toHex(blockHash));
    return block === undefined ? [] : [...block.signatures.keys()];
  }

  /** Drops every view below `viewMin`. */
  prune(viewMin: number): void {
    for (const view of [...this.byView.keys()]) if (view < viewMin) this.byView.delete(view);
  }
}
