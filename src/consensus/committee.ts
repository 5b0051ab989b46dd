/**
 * The validator set of one epoch as consensus uses it: voting power, quorum thresholds and
 * the leader schedule. Quorum is by power: strictly more than 2/3 of the total (so any two
 * quorums share more than 1/3, i.e. at least one honest validator when Byzantine power is
 * below 1/3). Leaders rotate round-robin by view over the set order; weights count in quorums
 * only (docs/decisions/0101).
 */
import { hashValidatorSet, hasQuorum, type Validator, type ValidatorSet } from "../ledger/index.ts";
import { assert, toHex } from "../util/index.ts";
import type { ValidatorIndex } from "./types.ts";

export type Committee = {
  readonly validators: readonly Validator[];
  readonly count: number;
  readonly powerTotal: number;
  readonly hash: Uint8Array;
  /** Index by lowercase hex address. */
  readonly indexByAddress: ReadonlyMap<string, ValidatorIndex>;
};

/** Largest total power, so sums and 3 * power stay exact integers. */
export const COMMITTEE_POWER_TOTAL_MAX = 2 ** 50;
/** Signer bitmaps are at most 1024 bytes on the wire (ledger QC schema). */
export const COMMITTEE_SIZE_MAX = 8192;

export function createCommittee(set: ValidatorSet): Committee {
  const validators = set.validators;
  assert(validators.length >= 1 && validators.length <= COMMITTEE_SIZE_MAX, `committee: 1..${COMMITTEE_SIZE_MAX} validators, got ${validators.length}`);
  let powerTotal = 0;
  const indexByAddress = new Map<string, ValidatorIndex>();
  validators.forEach((validator, index) => {
    assert(Number.isSafeInteger(validator.power) && validator.power >= 1, `committee: validator ${index} power is a positive integer`);
    powerTotal += validator.power;
    const key = toHex(validator.address);
    assert(!indexByAddress.has(key), `committee: validator ${index} repeats address ${key}`);
    indexByAddress.set(key, index);
  });
  assert(powerTotal <= COMMITTEE_POWER_TOTAL_MAX, "committee: total power fits exact integer arithmetic");
  const committee = { validators, count: validators.length, powerTotal, hash: hashValidatorSet(set), indexByAddress };
  // Quorum intersection: two quorums of > 2/3 overlap in > 1/3 of the power.
  assert(hasQuorum(quorumPower(committee), powerTotal) && !hasQuorum(quorumPower(committee) - 1, powerTotal), "committee: quorumPower is the least quorum");
  return committee;
}

/** The least power that is a quorum (> 2/3 of the total). */
export function quorumPower(committee: Pick<Committee, "powerTotal">): number {
  return Math.floor((committee.powerTotal * 2) / 3) + 1;
}

/** The least power that surely includes an honest validator (> 1/3 of the total). */
export function validityPower(committee: Pick<Committee, "powerTotal">): number {
  return Math.floor(committee.powerTotal / 3) + 1;
}

export function isQuorum(committee: Pick<Committee, "powerTotal">, power: number): boolean {
  return hasQuorum(power, committee.powerTotal);
}

export function leaderOf(committee: Pick<Committee, "count">, view: number): ValidatorIndex {
  assert(Number.isSafeInteger(view) && view >= 0, "leaderOf: view is a non-negative integer");
  return view % committee.count;
}

export function powerOf(committee: Committee, index: ValidatorIndex): number {
  const validator = committee.validators[index];
  assert(validator !== undefined, `powerOf: index ${index} is in the set`);
  return validator.power;
}

/** Largest f with n >= 3f + 1 for an equal-weight committee of n: the faults it tolerates. */
export function faultsTolerated(count: number): number {
  assert(count >= 1, "faultsTolerated: at least one validator");
  return Math.floor((count - 1) / 3);
}

// n = 3f + 1 with equal weights: 2f + 1 validators are exactly the least quorum.
for (const n of [1, 4, 7, 10, 100]) {
  const f = faultsTolerated(n);
  assert(n >= 3 * f + 1 && quorumPower({ powerTotal: n }) === 2 * f + 1, `committee: n=${n} needs 2f+1=${2 * f + 1} votes`);
}
