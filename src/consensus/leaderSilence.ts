/**
 * Which validators nothing has been heard from lately, counted in views this node entered: a
 * view's leader that is silent will not propose, so its host times the view out at once
 * instead of waiting for the view timer (node/consensus/host.ts; the simulator does the same).
 * Timing out early is each validator's own choice and never touches safety, so no two nodes
 * need to agree on who is silent.
 *
 * With votes to everyone, a running validator is heard in every view it takes part in: its
 * vote, its timeout, or its proposal; with votes to the next leader only it is not, and nobody
 * counts as silent. Views are counted as entered, not by number, so a node
 * that jumps ahead (its own restart, a healed partition) finds nobody silent until it has been
 * through the views itself. Deterministic: no clock, no randomness.
 */
import { assert } from "../util/index.ts";
import type { VoteDelivery } from "./engine.ts";

/** A validator is silent after more views than this without a word: twice the set, at least 8, room for a slow one. */
export function silentLeaderViews(validators: number): number {
  return Math.max(SILENT_LEADER_VIEWS_MIN, 2 * validators);
}
const SILENT_LEADER_VIEWS_MIN = 8;

export class LeaderSilence {
  /** By validator index: views entered since the last message in its name. */
  private readonly viewsSinceHeard: number[];
  private readonly viewsMax: number;
  /** Votes only to the next leader: a running validator is not heard every view, so silence shows nothing and nobody is silent. */
  private readonly meaningful: boolean;
  private viewEntered = -1;

  constructor(validators: number, voteDelivery: VoteDelivery) {
    assert(Number.isSafeInteger(validators) && validators >= 1, "LeaderSilence: at least one validator");
    this.viewsSinceHeard = Array.from({ length: validators }, () => 0);
    this.viewsMax = silentLeaderViews(validators);
    this.meaningful = voteDelivery === "all";
  }

  /** The node is in `view` now; a view entered before (or again) counts once. Returns whether `view` is newly entered. */
  enter(view: number): boolean {
    if (view <= this.viewEntered) return false;
    this.viewEntered = view;
    for (let index = 0; index < this.viewsSinceHeard.length; index++) this.viewsSinceHeard[index] = (this.viewsSinceHeard[index] as number) + 1;
    return true;
  }

  /** A message in validator `index`'s name reached this node; indices outside the set are ignored (the sender field is not checked yet). */
  heard(index: number): void {
    if (Number.isInteger(index) && index >= 0 && index < this.viewsSinceHeard.length) this.viewsSinceHeard[index] = 0;
  }

  isSilent(index: number): boolean {
    return this.meaningful && (this.viewsSinceHeard[index] ?? 0) > this.viewsMax;
  }
}
