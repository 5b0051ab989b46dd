/**
 * Whether a running validator leaves consensus to sync by range, from one lag check's
 * observations (decision 0504). Pure, so every case is tested without a network.
 */
export type LagObservation = {
  /** The local head when the probe went out. */
  readonly height: number;
  /** The local head once the answers came back. */
  readonly heightNow: number;
  /** The head at least one honest peer holds (the (f+1)-th highest answer); undefined: too few answers. */
  readonly peerHeight: number | undefined;
  /** How long the local head has stood still, as of the probe. */
  readonly stalledMs: number;
  /** Read once the answers came back: more than a third of the power sent messages of a later epoch. */
  readonly behindAnEpoch: boolean;
};

export type LagThresholds = { readonly lagBlocksMin: number; readonly stalledBehindMs: number };

export type LagVerdictKind = "farBehind" | "behindAnEpoch" | "stalled";

export type LagVerdict = { readonly kind: LagVerdictKind; readonly syncLagBlocksMin: number };

export function lagVerdict(seen: LagObservation, thresholds: LagThresholds): LagVerdict | null {
  const { height, peerHeight } = seen;
  if (peerHeight === undefined || peerHeight <= height) return null;
  if (peerHeight - height >= thresholds.lagBlocksMin) return { kind: "farBehind", syncLagBlocksMin: thresholds.lagBlocksMin };
  // Its engine cannot fetch across a set switch it missed, so what it commits meanwhile stops at
  // that switch: a commit during the probe changes nothing. (Had it committed the switch itself,
  // its host would run the later epoch, and behindAnEpoch would be false.)
  if (seen.behindAnEpoch) return { kind: "behindAnEpoch", syncLagBlocksMin: 1 };
  // A commit during the probe means consensus moves again: no need to leave it.
  if (seen.stalledMs >= thresholds.stalledBehindMs && seen.heightNow === height) return { kind: "stalled", syncLagBlocksMin: 1 };
  return null;
}
