/**
 * The validator set of one epoch as consensus uses it: voting power, quorum thresholds and
 * the leader schedule. Quorum is by power: strictly more than 2/3 of the total (so any two
 * quorums share more than 1/3, i.e. at least one honest validator when Byzantine power is
 * below 1/3). Leaders follow a schedule weighted by power, round-robin when powers are equal
 * (docs/decisions/0101).
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

/**
 * Schedule slots at most (before each validator's floor of one slot) when the powers, over
 * their gcd, sum to more: a schedule is then proportional to within one slot per validator.
 */
export const LEADER_SLOTS_MAX = 16_384;

/** Schedules by validator list; a committee's list is one array for its whole epoch. */
const schedules = new WeakMap<readonly Validator[], Uint16Array>();

/**
 * The leader of `view`: slot `view mod P` of the set's schedule. Each validator holds slots in
 * proportion to its power (exactly, when the powers over their gcd sum to at most
 * LEADER_SLOTS_MAX), so Byzantine power under a third holds under a third of the slots, and
 * some run of three consecutive slots is honest, as the 2-chain needs after GST (0101).
 */
export function leaderOf(committee: Pick<Committee, "validators">, view: number): ValidatorIndex {
  assert(Number.isSafeInteger(view) && view >= 0, "leaderOf: view is a non-negative integer");
  const schedule = leaderScheduleOf(committee.validators);
  return schedule[view % schedule.length] as ValidatorIndex;
}

/**
 * The slots of one period, in Sainte-Laguë order: validator i's k-th slot (k from 0) sorts at
 * (2k + 1) / (2·w_i), ties by index. Each validator's slots are spread evenly through the
 * period, and equal powers give round-robin over the set order: 0, 1, ..., n − 1.
 */
export function leaderScheduleOf(validators: readonly Validator[]): Uint16Array {
  const cached = schedules.get(validators);
  if (cached !== undefined) return cached;
  const weights = slotWeightsOf(validators.map((validator) => validator.power));
  const slots: { readonly index: number; readonly k: number }[] = [];
  weights.forEach((weight, index) => {
    for (let k = 0; k < weight; k++) slots.push({ index, k });
  });
  // (2a + 1) / (2·w_i) < (2b + 1) / (2·w_j)  ⟺  (2a + 1)·w_j < (2b + 1)·w_i; products < 2^31.
  slots.sort((x, y) => (2 * x.k + 1) * (weights[y.index] as number) - (2 * y.k + 1) * (weights[x.index] as number) || x.index - y.index);
  const schedule = Uint16Array.from(slots, (slot) => slot.index);
  schedules.set(validators, schedule);
  return schedule;
}

/** Powers over their gcd; scaled to LEADER_SLOTS_MAX in all (each at least 1) when they sum to more. */
function slotWeightsOf(powers: readonly number[]): number[] {
  assert(powers.length >= 1 && powers.length <= COMMITTEE_SIZE_MAX, "leader schedule: 1..COMMITTEE_SIZE_MAX validators");
  const divisor = powers.reduce((g, power) => gcd(g, power), 0);
  const reduced = powers.map((power) => power / divisor);
  let total = 0;
  for (const weight of reduced) total += weight;
  if (total <= LEADER_SLOTS_MAX) return reduced;
  // Exact integer scaling: powers and their total stay below 2^50, times 2^14 needs a bigint.
  const totalBig = BigInt(total);
  return reduced.map((weight) => Math.max(1, Number((BigInt(weight) * BigInt(LEADER_SLOTS_MAX)) / totalBig)));
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
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
