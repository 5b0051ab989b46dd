/**
 * Timeouts per view. Reports when a view's timeouts reach f + 1 power (some honest validator
 * gave up: join it, Bracha-style) and when they reach a quorum (form the TC). One entry per
 * validator per view; the engine prunes views below its current view and refuses views too
 * far ahead, so the map stays bounded.
 */
import { buildTc, type TimeoutShare } from "./certificates.ts";
import { isQuorum, powerOf, validityPower, type Committee } from "./committee.ts";
import type { TimeoutCertificate, ValidatorIndex } from "./types.ts";

type ViewTimeouts = { power: number; readonly shares: Map<ValidatorIndex, TimeoutShare>; tcFormed: boolean };

export type TimeoutOutcome = {
  readonly duplicate: boolean;
  /** Power of distinct validators that timed out of this view. */
  readonly power: number;
  /** True once the view's timeouts hold more than 1/3 of the power. */
  readonly joinable: boolean;
  /** The TC, exactly once: when the timeouts first reach a quorum. */
  readonly tc: TimeoutCertificate | null;
};

export class TimeoutCollector {
  private readonly byView = new Map<number, ViewTimeouts>();
  private readonly committee: Committee;

  constructor(committee: Committee) {
    this.committee = committee;
  }

  get viewCount(): number {
    return this.byView.size;
  }

  /** The timeout must be verified; `highQcView` is the view its signature covers. */
  add(view: number, sender: ValidatorIndex, share: TimeoutShare): TimeoutOutcome {
    let entry = this.byView.get(view);
    if (entry === undefined) {
      entry = { power: 0, shares: new Map(), tcFormed: false };
      this.byView.set(view, entry);
    }
    const joinable = (power: number): boolean => power >= validityPower(this.committee);
    if (entry.shares.has(sender)) return { duplicate: true, power: entry.power, joinable: joinable(entry.power), tc: null };
    entry.shares.set(sender, share);
    entry.power += powerOf(this.committee, sender);
    let tc: TimeoutCertificate | null = null;
    if (!entry.tcFormed && isQuorum(this.committee, entry.power)) {
      entry.tcFormed = true;
      tc = buildTc(view, entry.shares, this.committee.count);
    }
    return { duplicate: false, power: entry.power, joinable: joinable(entry.power), tc };
  }

  hasTimedOut(view: number, sender: ValidatorIndex): boolean {
    return this.byView.get(view)?.shares.has(sender) ?? false;
  }

  prune(viewMin: number): void {
    for (const view of [...this.byView.keys()]) if (view < viewMin) this.byView.delete(view);
  }
}
