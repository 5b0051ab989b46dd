/**
 * Votes collected by the leader of view + 1, per view and block, until a QC forms. Keeps the
 * first vote of each validator per view, so a second, different vote is equivocation.
 * Bounded: the engine prunes views below view - 1 and refuses views too far ahead; within a
 * view there is at most one entry per validator.
 */
import { toHex } from "../util/index.ts";
import { buildQc } from "./certificates.ts";
import { isQuorum, powerOf, type Committee } from "./committee.ts";
import type { QuorumCertificate } from "../ledger/index.ts";
import type { ValidatorIndex, VoteMessage } from "./types.ts";

type BlockVotes = { power: number; readonly signatures: Map<ValidatorIndex, Uint8Array> };
type ViewVotes = { readonly firstBySender: Map<ValidatorIndex, VoteMessage>; readonly byBlock: Map<string, BlockVotes>; qcFormed: boolean };

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
      views = { firstBySender: new Map(), byBlock: new Map(), qcFormed: false };
      this.byView.set(vote.view, views);
    }
    const first = views.firstBySender.get(vote.sender);
    const hashHex = toHex(vote.blockHash);
    if (first !== undefined) {
      const same = toHex(first.blockHash) === hashHex && first.height === vote.height;
      return same ? { kind: "duplicate" } : { kind: "equivocation", first };
    }
    views.firstBySender.set(vote.sender, vote);
    let block = views.byBlock.get(hashHex);
    if (block === undefined) {
      block = { power: 0, signatures: new Map() };
      views.byBlock.set(hashHex, block);
    }
    block.signatures.set(vote.sender, vote.signature);
    block.power += powerOf(this.committee, vote.sender);
    if (views.qcFormed || !isQuorum(this.committee, block.power)) return { kind: "added" };
    views.qcFormed = true;
    return { kind: "quorum", qc: buildQc(vote.view, vote.height, vote.blockHash, block.signatures, this.committee.count) };
  }

  /** Drops every view below `viewMin`. */
  prune(viewMin: number): void {
    for (const view of [...this.byView.keys()]) if (view < viewMin) this.byView.delete(view);
  }
}
