/**
 * Engine timing and bounds. Every map and queue the engine keeps is bounded by one of the
 * `...Max` values below; input beyond a bound is dropped with a typed rejection.
 */
import { assert } from "../util/index.ts";

export type ConsensusLimits = {
  /** Votes are kept for views in [view - 1, view + votesAheadViewsMax]. */
  readonly votesAheadViewsMax: number;
  /** Timeouts are kept for views in [view, view + timeoutsAheadViewsMax]. */
  readonly timeoutsAheadViewsMax: number;
  /** Uncommitted blocks in the tree; a proposal beyond it is refused until commits prune. */
  readonly treeBlocksMax: number;
  /** Blocks served per block request (and asked for per request). */
  readonly retrievalBlocksMax: number;
  /** Fetched blocks waiting for their ancestors; bounds how far behind a node can catch up by fetching. */
  readonly stagedBlocksMax: number;
  /** Distinct block hashes being fetched at once. */
  readonly fetchesMax: number;
  /** Proposals waiting for a fetched parent. */
  readonly pendingProposalsMax: number;
  /** Views for which the first proposal seen is remembered (proposal equivocation window). */
  readonly proposalsSeenViewsMax: number;
  /** Verified evidence waiting to be committed. */
  readonly pendingEvidenceMax: number;
  /** Evidence items one block may carry. */
  readonly evidencePerBlockMax: number;
  /** Keys of committed evidence remembered so it is not proposed twice. */
  readonly committedEvidenceKeysMax: number;
  /** Evidence older than this many views is neither proposed nor accepted. */
  readonly evidenceViewsMax: number;
};

export type ConsensusTiming = {
  /** View timer after a view entered by a QC of the previous view. */
  readonly viewTimeoutBaseMs: number;
  /**
   * Each view without a QC multiplies the timer by backoffPercent / 100, for at most
   * backoffExponentMax views: the ceiling is base * (backoffPercent / 100)^backoffExponentMax.
   */
  readonly backoffPercent: number;
  readonly backoffExponentMax: number;
};

export const defaultConsensusLimits: ConsensusLimits = {
  // A vote can arrive before its proposal (fast voter, slow leader); 8 views covers a
  // burst of quick QCs without letting one peer pin memory.
  votesAheadViewsMax: 8,
  timeoutsAheadViewsMax: 8,
  treeBlocksMax: 1024,
  retrievalBlocksMax: 32,
  // 4096 blocks of catch-up by fetching; farther behind needs state/block sync.
  stagedBlocksMax: 4096,
  fetchesMax: 4,
  pendingProposalsMax: 4,
  proposalsSeenViewsMax: 64,
  pendingEvidenceMax: 256,
  evidencePerBlockMax: 16,
  committedEvidenceKeysMax: 65_536,
  evidenceViewsMax: 100_000,
};

export const defaultConsensusTiming: ConsensusTiming = {
  // One view needs a proposal broadcast and a vote unicast; 1 s covers WAN round trips.
  viewTimeoutBaseMs: 1000,
  // Doubling up to 16 s: after a long outage heals, a chain may wait out one ceiling-long view,
  // and views as slow as 16 s still end by QC (0100 "Pacemaker backoff", measured in the simulator).
  backoffPercent: 200,
  backoffExponentMax: 4,
};

export function checkConsensusLimits(limits: ConsensusLimits): void {
  assert(limits.votesAheadViewsMax >= 1 && limits.timeoutsAheadViewsMax >= 1, "limits: at least one view ahead is kept");
  assert(limits.treeBlocksMax >= 16, "limits: the tree holds at least a few views of forks");
  assert(limits.retrievalBlocksMax >= 1 && limits.retrievalBlocksMax <= limits.stagedBlocksMax, "limits: one response fits the staging area");
  assert(limits.fetchesMax >= 1 && limits.pendingProposalsMax >= 1, "limits: fetching and pending proposals are possible");
  assert(limits.evidencePerBlockMax >= 1 && limits.evidencePerBlockMax <= limits.pendingEvidenceMax, "limits: a block's evidence fits the pool");
  assert(limits.proposalsSeenViewsMax > limits.votesAheadViewsMax, "limits: equivocation window covers the vote window");
}

export function checkConsensusTiming(timing: ConsensusTiming): void {
  assert(Number.isSafeInteger(timing.viewTimeoutBaseMs) && timing.viewTimeoutBaseMs >= 1, "timing: base timeout is a positive integer (ms)");
  assert(Number.isSafeInteger(timing.backoffPercent) && timing.backoffPercent >= 100 && timing.backoffPercent <= 400, "timing: backoff percent in [100, 400]");
  assert(Number.isSafeInteger(timing.backoffExponentMax) && timing.backoffExponentMax >= 0 && timing.backoffExponentMax <= 20, "timing: backoff exponent in [0, 20]");
  assert(viewTimeoutMaxMs(timing) <= VIEW_TIMEOUT_MS_MAX, "timing: ceiling of the view timer at most a day");
}

/** A ceiling beyond which a chain is better stopped than waiting. */
export const VIEW_TIMEOUT_MS_MAX = 24 * 60 * 60 * 1000;

/**
 * The view timer after k = 0..backoffExponentMax failed views: base * (backoffPercent / 100)^k,
 * rounded down once. Exact integer arithmetic (BigInt), so every engine and the simulator
 * compute the same timers on any platform.
 */
export function viewTimeoutsMs(timing: ConsensusTiming): readonly number[] {
  const delays: number[] = [];
  const percent = BigInt(timing.backoffPercent);
  for (let k = 0; k <= timing.backoffExponentMax; k++) {
    delays.push(Number((BigInt(timing.viewTimeoutBaseMs) * percent ** BigInt(k)) / 100n ** BigInt(k)));
  }
  return delays;
}

export function viewTimeoutMaxMs(timing: ConsensusTiming): number {
  return viewTimeoutsMs(timing)[timing.backoffExponentMax] as number;
}

checkConsensusLimits(defaultConsensusLimits);
checkConsensusTiming(defaultConsensusTiming);
