/**
 * Counting votes (decision 0603). Weights are read when counting, not when voting: a vote
 * weighs the voter's voting power at the tally (stakingState.readVotingPower), so stake moved
 * after voting moves its weight too. Integer arithmetic only: a share "≥ x bps of y" is
 * `share · 10000 ≥ x · y`.
 */
import { compareBytes } from "../util/index.ts";
import type { StateGetter } from "./blockState.ts";
import type { Tally, Vote } from "./governanceState.ts";
import type { ModuleParams } from "./params.ts";
import { readTotalVotingPower, readValidatorSet, readVotingPower } from "./stakingState.ts";

const BPS = 10_000n;

export function tallyVotes(get: StateGetter, votes: readonly Vote[]): Tally {
  const sums = { yes: 0n, no: 0n, abstain: 0n, veto: 0n };
  for (const vote of votes) sums[vote.option] += readVotingPower(get, vote.voter);
  return { ...sums, totalPower: readTotalVotingPower(get) };
}

export type Outcome = { readonly status: "passed" | "rejected" | "vetoed"; readonly reason: string };

/**
 * The decision at the end of the voting period:
 * - no quorum (votes cast < quorumBps of the total voting power, or nothing cast): rejected,
 *   whatever the veto share — so a lone small voter cannot burn a deposit;
 * - veto > vetoThresholdBps of the votes cast: vetoed;
 * - yes ≥ approvalThresholdBps of yes+no+veto (abstain counts for quorum only): passed;
 * - otherwise rejected.
 */
export function decide(tally: Tally, params: ModuleParams<"governance">): Outcome {
  const cast = tally.yes + tally.no + tally.abstain + tally.veto;
  if (cast === 0n || cast * BPS < BigInt(params.quorumBps) * tally.totalPower) {
    return { status: "rejected", reason: `no quorum: ${cast} of ${tally.totalPower} voting power voted, ${params.quorumBps} bps needed` };
  }
  if (tally.veto * BPS > BigInt(params.vetoThresholdBps) * cast) {
    return { status: "vetoed", reason: `veto ${tally.veto} of ${cast} cast exceeds ${params.vetoThresholdBps} bps` };
  }
  const deciding = tally.yes + tally.no + tally.veto;
  if (tally.yes > 0n && tally.yes * BPS >= BigInt(params.approvalThresholdBps) * deciding) {
    return { status: "passed", reason: `yes ${tally.yes} of ${deciding} (yes+no+veto) reaches ${params.approvalThresholdBps} bps` };
  }
  return { status: "rejected", reason: `yes ${tally.yes} of ${deciding} (yes+no+veto) is below ${params.approvalThresholdBps} bps` };
}

/**
 * The emergency fast path: the validator-set power of the set's members voting yes, and
 * whether it reaches emergencyThresholdBps of the set's power. An empty set never does.
 */
export function emergencySupermajority(get: StateGetter, votes: readonly Vote[], thresholdBps: number): { yesPower: bigint; setPower: bigint; reached: boolean } {
  const set = readValidatorSet(get);
  let setPower = 0n;
  let yesPower = 0n;
  for (const member of set) {
    setPower += member.power;
    const vote = votes.find((v) => compareBytes(v.voter, member.address) === 0);
    if (vote?.option === "yes") yesPower += member.power;
  }
  return { yesPower, setPower, reached: setPower > 0n && yesPower * BPS >= BigInt(thresholdBps) * setPower };
}
