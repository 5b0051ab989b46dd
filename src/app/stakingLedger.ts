/**
 * The staking module's bookkeeping steps (decision 0602), shared by its transactions and its
 * end of block. Each step keeps the module's invariants together:
 *
 *   stake(v)      = sum of the delegations to v
 *   total bonded  = sum of all stakes
 *   total supply  = sum of balances + total bonded + sum of the unbonding queue
 *   0x22/0x23     list exactly the (delegator, validator) pairs with a non-zero delegation
 *
 * Steps read and write through the block state; none refuses, callers check first.
 */
import { assert, compareBytes } from "../util/index.ts";
import { balanceKey, encodeAmountValue, readBalance, readTotalSupply, TOTAL_SUPPLY_KEY } from "./balances.ts";
import type { BlockState } from "./blockState.ts";
import {
  CANDIDATES_KEY,
  delegatorIndexKey,
  delegatorsOfKey,
  readAddressList,
  readDelegation,
  readTotalBonded,
  readUnbonding,
  readValidatorRecord,
  STAKING_LIST_MAX,
  writeAddressList,
  writeDelegation,
  writeTotalBonded,
  writeUnbonding,
  writeValidatorRecord,
  type Unbonding,
} from "./stakingState.ts";

const BPS_DENOMINATOR = 10_000n;

export const getter = (state: BlockState) => (key: Uint8Array) => state.get(key);

/** floor(amount × bps / 10000), in bigint. */
export function bpsOf(amount: bigint, bps: number): bigint {
  assert(Number.isSafeInteger(bps) && bps >= 0 && bps <= 10_000, "bpsOf: basis points in [0, 10000]");
  return (amount * BigInt(bps)) / BPS_DENOMINATOR;
}

export function creditBalance(state: BlockState, address: Uint8Array, amount: bigint): void {
  state.set(balanceKey(address), encodeAmountValue(readBalance(getter(state), address) + amount));
}

export function debitBalance(state: BlockState, address: Uint8Array, amount: bigint): void {
  const balance = readBalance(getter(state), address);
  assert(balance >= amount, "debitBalance: caller checked the balance");
  state.set(balanceKey(address), encodeAmountValue(balance - amount));
}

/** Minting (rewards, +) and burning (slashing, −): the only two ways the supply moves. */
export function changeSupply(state: BlockState, delta: bigint): void {
  const supply = readTotalSupply(getter(state)) + delta;
  assert(supply >= 0n, "changeSupply: a burn never exceeds the supply");
  state.set(TOTAL_SUPPLY_KEY, encodeAmountValue(supply));
}

function inList(list: readonly Uint8Array[], address: Uint8Array): boolean {
  return list.some((entry) => compareBytes(entry, address) === 0);
}

/** Why adding (delegator, validator) to the indexes would overflow a list record, or undefined. */
export function indexRoomProblem(state: BlockState, delegator: Uint8Array, validator: Uint8Array): string | undefined {
  const get = getter(state);
  const validators = readAddressList(get, delegatorIndexKey(delegator), "delegator index");
  const delegators = readAddressList(get, delegatorsOfKey(validator), "delegators index");
  if (!inList(validators, validator) && validators.length >= STAKING_LIST_MAX) return `the delegator already delegates to ${STAKING_LIST_MAX} validators`;
  if (!inList(delegators, delegator) && delegators.length >= STAKING_LIST_MAX) return `the validator already has ${STAKING_LIST_MAX} delegators`;
  return undefined;
}

/** Adds the validator to the sorted candidates list (no-op when it is one). */
export function addCandidate(state: BlockState, validator: Uint8Array): void {
  const candidates = readAddressList(getter(state), CANDIDATES_KEY, "candidates");
  if (!inList(candidates, validator)) writeAddressList(state, CANDIDATES_KEY, [...candidates, validator]);
}

/** Moves `amount` into the delegation (delegator → validator): delegation, indexes, stake, total bonded. */
export function increaseDelegation(state: BlockState, delegator: Uint8Array, validator: Uint8Array, amount: bigint): void {
  const get = getter(state);
  const record = readValidatorRecord(get, validator);
  assert(record !== undefined, "increaseDelegation: the validator is a candidate");
  const before = readDelegation(get, delegator, validator);
  writeDelegation(state, delegator, validator, before + amount);
  if (before === 0n) {
    writeAddressList(state, delegatorIndexKey(delegator), [...readAddressList(get, delegatorIndexKey(delegator), "delegator index"), validator]);
    writeAddressList(state, delegatorsOfKey(validator), [...readAddressList(get, delegatorsOfKey(validator), "delegators index"), delegator]);
  }
  writeValidatorRecord(state, validator, { ...record, stake: record.stake + amount });
  writeTotalBonded(state, readTotalBonded(get) + amount);
}

/**
 * Takes `amount` out of the delegation: delegation, stake, total bonded; a delegation that
 * reaches zero leaves both indexes. The amount goes wherever the caller sends it (queue, burn).
 */
export function decreaseDelegation(state: BlockState, delegator: Uint8Array, validator: Uint8Array, amount: bigint): void {
  const get = getter(state);
  const record = readValidatorRecord(get, validator);
  const before = readDelegation(get, delegator, validator);
  assert(record !== undefined && before >= amount && record.stake >= amount, "decreaseDelegation: within the delegation and the stake");
  if (amount === 0n) return;
  writeDelegation(state, delegator, validator, before - amount);
  if (before === amount) {
    const without = (list: Uint8Array[], address: Uint8Array) => list.filter((entry) => compareBytes(entry, address) !== 0);
    writeAddressList(state, delegatorIndexKey(delegator), without(readAddressList(get, delegatorIndexKey(delegator), "delegator index"), validator));
    writeAddressList(state, delegatorsOfKey(validator), without(readAddressList(get, delegatorsOfKey(validator), "delegators index"), delegator));
  }
  writeValidatorRecord(state, validator, { ...record, stake: record.stake - amount });
  writeTotalBonded(state, readTotalBonded(get) - amount);
}

/**
 * Slashes `validator`: burns floor(amount × fractionBps / 10000) of every delegation to it and
 * of every pending unbonding from it (so unbonding does not escape a slash), then jails it
 * until `jailedUntilEpoch`. Returns the amount burned.
 */
export function slashAndJail(state: BlockState, validator: Uint8Array, fractionBps: number, jailedUntilEpoch: number): bigint {
  const get = getter(state);
  let burned = 0n;
  for (const delegator of readAddressList(get, delegatorsOfKey(validator), "delegators index")) {
    const cut = bpsOf(readDelegation(get, delegator, validator), fractionBps);
    decreaseDelegation(state, delegator, validator, cut);
    burned += cut;
  }
  const queue = readUnbonding(get);
  let queueChanged = false;
  const slashedQueue: Unbonding[] = queue.map((entry) => {
    if (compareBytes(entry.validator, validator) !== 0) return entry;
    const cut = bpsOf(entry.amount, fractionBps);
    if (cut === 0n) return entry;
    burned += cut;
    queueChanged = true;
    return { ...entry, amount: entry.amount - cut };
  });
  if (queueChanged) writeUnbonding(state, slashedQueue);
  const record = readValidatorRecord(get, validator);
  assert(record !== undefined, "slashAndJail: the validator is a candidate");
  writeValidatorRecord(state, validator, { ...record, jailed: true, jailedUntilEpoch: Math.max(record.jailedUntilEpoch, jailedUntilEpoch) });
  if (burned > 0n) changeSupply(state, -burned);
  return burned;
}
