/**
 * What one simulated run looks like. Every probability is in parts per million and every
 * duration in virtual milliseconds; the seed alone fixes everything else.
 */
import { SIGNING_RESERVATION_VIEWS, type ConsensusTiming, type VoteDelivery } from "../consensus/index.ts";
import { assert } from "../util/index.ts";
import { PPM } from "./rng.ts";
import { SimSignatureScheme } from "./keys.ts";

export const SimBehavior = {
  none: "none",
  twins: "twins",
  silent: "silent",
  withhold: "withhold",
  invalid: "invalid",
  forgedQc: "forged-qc",
  mixed: "mixed",
} as const;
export type SimBehavior = (typeof SimBehavior)[keyof typeof SimBehavior];
export const simBehaviors: readonly SimBehavior[] = Object.values(SimBehavior);

/** What one Byzantine key does; "mixed" picks one of these per key. */
export type ByzantineRole = Exclude<SimBehavior, "none" | "mixed">;
export const byzantineRoles: readonly ByzantineRole[] = ["twins", "silent", "withhold", "invalid", "forged-qc"];

export type SimNetworkOptions = {
  /** Each directed link gets a base latency in [latencyMinMs, latencyMaxMs]. */
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
  /** Per message, uniform extra delay in [0, jitterMs]: reorders messages on a link. */
  readonly jitterMs: number;
  /** Before GST: probability a message is delivered twice. */
  readonly duplicatePpm: number;
};

export type SimFaultOptions = {
  /** Before GST: probability a message is lost. */
  readonly dropPpm: number;
  readonly partitions: boolean;
  readonly crashes: boolean;
  /** Before GST: probability that an honest node crashes right after a safety write, before sending. */
  readonly crashAfterPersistPpm: number;
  readonly partitionGapMs: readonly [number, number];
  readonly partitionDurationMs: readonly [number, number];
  readonly crashGapMs: readonly [number, number];
  readonly crashDowntimeMs: readonly [number, number];
  /**
   * Of honest crashes, the share that also wipes the node's store (blocks, safety state,
   * evidence), as an operator deleting a validator's data/ does. Its signing reservation,
   * kept beside its key, survives (decision 0200, "Session 32").
   */
  readonly wipePpm: number;
};

export type SimOptions = {
  readonly validators: number;
  readonly byzantine: number;
  readonly behavior: SimBehavior;
  readonly seed: number;
  /** Length of the adversarial phase: GST comes when an honest node reaches this view. */
  readonly views: number;
  readonly scheme: SimSignatureScheme;
  readonly network: SimNetworkOptions;
  readonly faults: SimFaultOptions;
  readonly timing: ConsensusTiming;
  /** After GST every live honest node must commit this many new blocks... */
  readonly livenessBlocksMin: number;
  /** ...before the honest nodes pass this many views beyond the view at GST. */
  readonly livenessViewsMax: number;
  /** Count encoded bytes of every message (bench); costs an encode per message. */
  readonly measureBytes: boolean;
  /**
   * Honest nodes sign as the node does, outside the engine (ExternalSigner): each signature
   * arrives this many virtual ms after its `sign` action, while other inputs go on.
   */
  readonly signDelayMs: readonly [number, number];
  /** Where honest engines send votes (ConsensusEngineOptions.voteDelivery). */
  readonly voteDelivery: VoteDelivery;
  /**
   * Unequal powers: each Byzantine key holds 1, each honest key `honestPowerOf` (the least that
   * keeps Byzantine power under a third), so Byzantine keys may outnumber a third of the set.
   * Off: every key holds 1.
   */
  readonly weighted: boolean;
  /** Views per signing reservation (SIGNING_RESERVATION_VIEWS); 0: none, so a wiped node starts from a fresh safety state (tests show the checker catches what it then signs). */
  readonly signingReservationViews: number;
  /**
   * Honest nodes time a view out at once when its leader is absent, as the node's host does
   * (decision 0200, "Session 36"): every node holding its key is crashed (the node learns it
   * from closed connections; here at once), or, with votes to all, nothing in its name arrived
   * for silentLeaderViews views entered. Off by default: the view timer is the worst case the
   * liveness bound must hold in, and seeds replay as before.
   */
  readonly absentLeaders: boolean;
};

export const defaultSimNetworkOptions: SimNetworkOptions = {
  latencyMinMs: 5,
  latencyMaxMs: 60,
  jitterMs: 20,
  duplicatePpm: 20_000,
};

export const defaultSimFaultOptions: SimFaultOptions = {
  dropPpm: 0,
  partitions: false,
  crashes: true,
  // 0.5% of safety writes: with a write per vote, every node crashes there a few times per run.
  crashAfterPersistPpm: 5_000,
  partitionGapMs: [1000, 5000],
  partitionDurationMs: [500, 4000],
  crashGapMs: [2000, 8000],
  crashDowntimeMs: [200, 2000],
  wipePpm: 0,
};

export const defaultSimTiming: ConsensusTiming = {
  // Two network hops (proposal, vote) take at most 2 * (60 + 20) ms; 500 ms leaves margin.
  viewTimeoutBaseMs: 500,
  // 500 ms * 2^4 = 8 s: ceiling of the backoff, longer than any partition episode.
  backoffPercent: 200,
  backoffExponentMax: 4,
};

export function defaultSimOptions(partial: Partial<SimOptions> & Pick<SimOptions, "validators" | "seed">): SimOptions {
  const validators = partial.validators;
  return {
    byzantine: 0,
    behavior: SimBehavior.none,
    views: 40,
    scheme: SimSignatureScheme.ed25519,
    network: defaultSimNetworkOptions,
    faults: defaultSimFaultOptions,
    timing: defaultSimTiming,
    livenessBlocksMin: 2,
    measureBytes: false,
    // An ML-DSA-65 signature on a busy threadpool.
    signDelayMs: [0, 5],
    voteDelivery: "nextLeader",
    weighted: false,
    signingReservationViews: SIGNING_RESERVATION_VIEWS,
    absentLeaders: false,
    ...partial,
    // Enough for every leader slot to come up three times, plus view synchronisation.
    livenessViewsMax: partial.livenessViewsMax ?? 3 * powerTotalOf({ validators, byzantine: partial.byzantine ?? 0, weighted: partial.weighted ?? false }) + 20,
  };
}

/** Power of each honest key: 1 unweighted; weighted, the least h with 3·F < F + (N − F)·h. */
export function honestPowerOf(opts: Pick<SimOptions, "validators" | "byzantine" | "weighted">): number {
  if (!opts.weighted) return 1;
  return Math.floor((2 * opts.byzantine) / (opts.validators - opts.byzantine)) + 1;
}

/** The committee's total power; also the slots of one period of its leader schedule (the powers' gcd is 1: Byzantine keys hold 1 each, or all hold 1). */
export function powerTotalOf(opts: Pick<SimOptions, "validators" | "byzantine" | "weighted">): number {
  return opts.byzantine + (opts.validators - opts.byzantine) * honestPowerOf(opts);
}

/** Checks programmer-facing invariants; the CLI validates user input with clear messages first. */
export function checkSimOptions(opts: SimOptions): void {
  assert(opts.validators >= 1 && opts.validators <= 1000, "sim: 1..1000 validators");
  // The checkers judge what honest validators commit: a run needs one.
  assert(opts.byzantine >= 0 && opts.byzantine < opts.validators, "sim: byzantine < validators");
  assert(opts.behavior !== SimBehavior.none || opts.byzantine === 0, "sim: byzantine validators need a behaviour");
  assert(opts.faults.dropPpm >= 0 && opts.faults.dropPpm < PPM, "sim: drop probability in [0, 1)");
  assert(opts.faults.wipePpm >= 0 && opts.faults.wipePpm <= PPM, "sim: wipe probability in [0, 1]");
  assert(Number.isSafeInteger(opts.signingReservationViews) && opts.signingReservationViews >= 0, "sim: signing reservation views");
  assert(opts.network.latencyMinMs >= 1 && opts.network.latencyMinMs <= opts.network.latencyMaxMs, "sim: latency range");
  assert(opts.views >= 1 && opts.livenessViewsMax >= 1 && opts.livenessBlocksMin >= 1, "sim: phase lengths");
  assert(opts.signDelayMs[0] >= 0 && opts.signDelayMs[0] <= opts.signDelayMs[1], "sim: sign delay range");
}

