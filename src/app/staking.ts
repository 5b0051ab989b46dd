/**
 * The staking module's transactions (decision 0602): bond, delegate, unbond, unjail on PoS
 * chains; and the PoA validator-set change governance executes. The end of block (slashing,
 * downtime, unbonding, rewards, the next validator set) is in stakingEndBlock.ts.
 */
import { SignatureAlgorithm, signatureAlgorithmName } from "../crypto/index.ts";
import type { Tx } from "../ledger/index.ts";
import { compareBytes, toHex } from "../util/index.ts";
import { decodeAmount } from "./amount.ts";
import { readBalance } from "./balances.ts";
import type { BlockState } from "./blockState.ts";
import type { TxContext } from "./context.ts";
import { readModuleParams } from "./params.ts";
import { addCandidate, debitBalance, decreaseDelegation, getter, increaseDelegation, indexRoomProblem } from "./stakingLedger.ts";
import {
  CANDIDATES_KEY,
  readAddressList,
  readChainMode,
  readDelegation,
  readUnbonding,
  readValidatorRecord,
  readValidatorSet,
  STAKING_LIST_MAX,
  writeUnbonding,
  writeValidatorRecord,
  writeValidatorSet,
  type ValidatorSetEntry,
} from "./stakingState.ts";
import type { ModuleRejection } from "./types.ts";

export { stakingEndBlock } from "./stakingEndBlock.ts";

export type StakingTx = Extract<Tx, { type: "staking.bond" | "staking.delegate" | "staking.unbond" | "staking.unjail" }>;

/** Applies a staking transaction to `state` (staged), or says why it is refused. */
export function applyStakingTx(state: BlockState, tx: StakingTx, ctx: TxContext): ModuleRejection | undefined {
  if (readChainMode(getter(state)) !== "pos") {
    return { code: "APP_STAKING_DISABLED", message: `${tx.type}: this chain is proof-of-authority (mode "poa"); staking needs a chain created with mode "pos"` };
  }
  switch (tx.type) {
    case "staking.bond":
      return applyBond(state, tx, ctx);
    case "staking.delegate":
      return applyDelegate(state, tx.from, tx.body.validator, decodeAmount(tx.body.amount));
    case "staking.unbond":
      return applyUnbond(state, tx, ctx);
    case "staking.unjail":
      return applyUnjail(state, tx.from, ctx);
  }
}

function insufficient(state: BlockState, from: Uint8Array, amount: bigint): ModuleRejection | undefined {
  const balance = readBalance(getter(state), from);
  if (balance >= amount) return undefined;
  return { code: "APP_INSUFFICIENT_BALANCE", message: `account ${toHex(from)} holds ${balance}, cannot bond ${amount}` };
}

/**
 * Self-bond. A validator signs consensus messages with its account key, so the account's key
 * must be ML-DSA-65, the algorithm consensus uses.
 */
function applyBond(state: BlockState, tx: Extract<StakingTx, { type: "staking.bond" }>, ctx: TxContext): ModuleRejection | undefined {
  const amount = decodeAmount(tx.body.amount);
  const account = ctx.getAccount(tx.from);
  if (account === undefined || account.alg !== SignatureAlgorithm.mlDsa65) {
    const alg = account === undefined ? "none" : signatureAlgorithmName(account.alg);
    return { code: "APP_VALIDATOR_KEY_ALG", message: `a validator signs consensus with its account key, which must be ML-DSA-65; account ${toHex(tx.from)} has ${alg}` };
  }
  const refused = insufficient(state, tx.from, amount);
  if (refused) return refused;
  const full = indexRoomProblem(state, tx.from, tx.from);
  if (full) return { code: "APP_STAKING_LIST_FULL", message: full };
  const get = getter(state);
  if (readValidatorRecord(get, tx.from) === undefined) {
    if (readAddressList(get, CANDIDATES_KEY, "candidates").length >= STAKING_LIST_MAX) {
      return { code: "APP_STAKING_LIST_FULL", message: `the chain already has ${STAKING_LIST_MAX} validator candidates` };
    }
    writeValidatorRecord(state, tx.from, { stake: 0n, jailed: false, jailedUntilEpoch: 0 });
    addCandidate(state, tx.from);
  }
  debitBalance(state, tx.from, amount);
  increaseDelegation(state, tx.from, tx.from, amount);
  return undefined;
}

function applyDelegate(state: BlockState, from: Uint8Array, validator: Uint8Array, amount: bigint): ModuleRejection | undefined {
  if (readValidatorRecord(getter(state), validator) === undefined) {
    return { code: "APP_NOT_A_VALIDATOR", message: `${toHex(validator)} is not a validator candidate (it never bonded)` };
  }
  const refused = insufficient(state, from, amount);
  if (refused) return refused;
  const full = indexRoomProblem(state, from, validator);
  if (full) return { code: "APP_STAKING_LIST_FULL", message: full };
  debitBalance(state, from, amount);
  increaseDelegation(state, from, validator, amount);
  return undefined;
}

/** The amount leaves the stake now and returns to the balance at the end of epoch `epoch + unbondingEpochs`. */
function applyUnbond(state: BlockState, tx: Extract<StakingTx, { type: "staking.unbond" }>, ctx: TxContext): ModuleRejection | undefined {
  const get = getter(state);
  const amount = decodeAmount(tx.body.amount);
  const { validator } = tx.body;
  const delegation = readDelegation(get, tx.from, validator);
  if (delegation < amount) {
    return { code: "APP_UNBOND_EXCEEDS_DELEGATION", message: `${toHex(tx.from)} delegates ${delegation} to ${toHex(validator)}, cannot unbond ${amount}` };
  }
  const queue = readUnbonding(get);
  if (queue.length >= STAKING_LIST_MAX) {
    return { code: "APP_UNBONDING_QUEUE_FULL", message: `${STAKING_LIST_MAX} unbondings are pending chain-wide; retry after the next epoch releases some` };
  }
  const releaseEpoch = ctx.epoch + readModuleParams(get, "staking").unbondingEpochs;
  decreaseDelegation(state, tx.from, validator, amount);
  writeUnbonding(state, [...queue, { delegator: tx.from, validator, amount, releaseEpoch }]);
  return undefined;
}

function applyUnjail(state: BlockState, from: Uint8Array, ctx: TxContext): ModuleRejection | undefined {
  const record = readValidatorRecord(getter(state), from);
  if (record === undefined) return { code: "APP_NOT_A_VALIDATOR", message: `${toHex(from)} is not a validator candidate` };
  if (!record.jailed) return { code: "APP_NOT_JAILED", message: `validator ${toHex(from)} is not jailed` };
  if (ctx.epoch < record.jailedUntilEpoch) {
    return { code: "APP_STILL_JAILED", message: `validator ${toHex(from)} is jailed until epoch ${record.jailedUntilEpoch}; this block is in epoch ${ctx.epoch}` };
  }
  writeValidatorRecord(state, from, { ...record, jailed: false });
  return undefined;
}

/**
 * PoA validator-set change from governance: power 0 removes the validator (a no-op when it is
 * not in the set), any other power sets it; applied in order. Refused on PoS chains (the set
 * follows stake), when the set would be left empty, and for a newcomer without a registered
 * ML-DSA-65 account key.
 */
export function applyValidatorSetChange(state: BlockState, changes: readonly { address: Uint8Array; power: number }[], getAccount: TxContext["getAccount"]): ModuleRejection | undefined {
  const get = getter(state);
  if (readChainMode(get) === "pos") {
    return { code: "APP_VALIDATOR_SET_FOLLOWS_STAKE", message: "on a proof-of-stake chain the validator set is chosen from stake each epoch; bond or unbond instead" };
  }
  let set: ValidatorSetEntry[] = readValidatorSet(get);
  for (const change of changes) {
    if (!Number.isSafeInteger(change.power) || change.power < 0) {
      return { code: "APP_VALIDATOR_POWER_INVALID", message: `validator ${toHex(change.address)}: power must be a non-negative integer, got ${change.power}` };
    }
    // Consensus signs with the member's key (decision 0605): a newcomer must have registered an ML-DSA-65 account.
    const isMember = set.some((entry) => compareBytes(entry.address, change.address) === 0);
    if (change.power > 0 && !isMember && getAccount(change.address)?.alg !== SignatureAlgorithm.mlDsa65) {
      return { code: "APP_VALIDATOR_KEY_UNKNOWN", message: `validator ${toHex(change.address)} has no registered ML-DSA-65 account key, which consensus would sign with; register it (account.register) before proposing it` };
    }
    set = set.filter((entry) => compareBytes(entry.address, change.address) !== 0);
    if (change.power > 0) set.push({ address: change.address, power: BigInt(change.power) });
  }
  if (set.length === 0) return { code: "APP_VALIDATOR_SET_EMPTY", message: "the change would leave the validator set empty; keep at least one validator" };
  if (set.length > STAKING_LIST_MAX) return { code: "APP_STAKING_LIST_FULL", message: `a validator set holds at most ${STAKING_LIST_MAX} validators` };
  writeValidatorSet(state, set);
  return undefined;
}
