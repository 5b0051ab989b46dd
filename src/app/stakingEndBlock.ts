/**
 * The staking module's end of block (decision 0602), in this order:
 *   1. evidence (equivocation, or an invalid proposal signed as leader): slash and jail each
 *      accused candidate, once per evidence identity (validator, kind, view);
 *   2. downtime: count the set's members missing from the parent's QC; at a window's end,
 *      slash and jail those that signed too little, and reset the counters;
 *   3. at the epoch's last block: release matured unbondings, pay rewards, choose the next set.
 * A validator is slashed at most once per block whatever it did. PoA chains have no stake:
 * nothing here runs on them.
 */
import type { Evidence } from "../ledger/index.ts";
import { encodeCanonical } from "../codec/index.ts";
import { bytesEqual, compareBytes, toHex } from "../util/index.ts";
import type { BlockState } from "./blockState.ts";
import type { EndBlockContext } from "./context.ts";
import { readModuleParams, type ModuleParams } from "./params.ts";
import { bpsOf, changeSupply, creditBalance, getter, slashAndJail } from "./stakingLedger.ts";
import {
  CANDIDATES_KEY,
  delegatorsOfKey,
  encodeValidatorSet,
  readAddressList,
  readChainMode,
  readDelegation,
  readMissed,
  readUnbonding,
  readValidatorRecord,
  readValidatorSet,
  slashedEvidenceKey,
  VALIDATOR_SET_KEY,
  writeMissed,
  writeUnbonding,
  type ValidatorSetEntry,
} from "./stakingState.ts";

type StakingParams = ModuleParams<"staking">;

const hexSet = (addresses: readonly Uint8Array[]): Set<string> => new Set(addresses.map((a) => toHex(a)));

export function stakingEndBlock(state: BlockState, ctx: EndBlockContext): void {
  const get = getter(state);
  if (readChainMode(get) !== "pos") return;
  const params = readModuleParams(get, "staking");
  // Hex addresses of the validators slashed in this block: one slash per validator per block.
  const slashed = new Set<string>();
  const punish = (validator: Uint8Array) => {
    slashed.add(toHex(validator));
    slashAndJail(state, validator, params.slashFractionBps, ctx.epoch + params.jailEpochs);
  };
  slashEvidence(state, ctx.evidence, ctx.height, slashed, punish);
  countMissedBlocks(state, ctx);
  if (ctx.height % params.downtimeWindowBlocks === 0) closeDowntimeWindow(state, params, slashed, punish);
  if (!ctx.epochEnds) return;
  releaseUnbondings(state, ctx.epoch);
  payRewards(state, params.rewardRateBps);
  chooseNextValidatorSet(state, params.maxValidators);
}

/**
 * Consensus verified each item. Every kind slashes slashFractionBps and jails alike: an
 * invalid proposal is as deliberate as double signing (honest software never signs one). An
 * identity (validator, kind, view) is slashed once even if carried again.
 */
function slashEvidence(state: BlockState, evidence: readonly Evidence[], height: number, slashed: Set<string>, punish: (validator: Uint8Array) => void): void {
  for (const item of evidence) {
    if (readValidatorRecord(getter(state), item.validator) === undefined) continue;
    const marker = slashedEvidenceKey(item.validator, item.kind, item.view);
    if (state.get(marker) !== undefined) continue;
    state.set(marker, encodeCanonical(height));
    if (!slashed.has(toHex(item.validator))) punish(item.validator);
  }
}

/** Members of the app's set that are consensus validators, not jailed, and absent from the parent's QC miss one block. */
function countMissedBlocks(state: BlockState, ctx: EndBlockContext): void {
  if (ctx.parentSigners === null) return;
  const get = getter(state);
  const consensus = hexSet(ctx.validators.map((v) => v.address));
  const signers = hexSet(ctx.parentSigners);
  for (const member of readValidatorSet(get)) {
    const hex = toHex(member.address);
    if (!consensus.has(hex) || signers.has(hex)) continue;
    const record = readValidatorRecord(get, member.address);
    if (record === undefined || record.jailed) continue;
    writeMissed(state, member.address, readMissed(get, member.address) + 1);
  }
}

/** Slashes and jails each candidate that signed fewer than downtimeMinSignedBps of the window; resets every counter. */
function closeDowntimeWindow(state: BlockState, params: StakingParams, slashed: Set<string>, punish: (validator: Uint8Array) => void): void {
  const get = getter(state);
  const window = params.downtimeWindowBlocks;
  for (const candidate of readAddressList(get, CANDIDATES_KEY, "candidates")) {
    const missed = readMissed(get, candidate);
    if (missed === 0) continue;
    writeMissed(state, candidate, 0);
    const record = readValidatorRecord(get, candidate);
    if (record === undefined || record.jailed || slashed.has(toHex(candidate))) continue;
    const signed = Math.max(0, window - missed);
    if (BigInt(signed) * 10_000n < BigInt(params.downtimeMinSignedBps) * BigInt(window)) punish(candidate);
  }
}

/** Unbondings whose release epoch has come return to the delegators' balances, in queue order. */
function releaseUnbondings(state: BlockState, epoch: number): void {
  const queue = readUnbonding(getter(state));
  const pending = queue.filter((entry) => entry.releaseEpoch > epoch);
  if (pending.length === queue.length) return;
  for (const entry of queue) if (entry.releaseEpoch <= epoch) creditBalance(state, entry.delegator, entry.amount);
  writeUnbonding(state, pending);
}

/**
 * Every non-jailed member of the current set pays each delegation to it floor(amount × rate /
 * 10000), minted into the delegator's balance. The amount is the delegation at the epoch's end.
 */
function payRewards(state: BlockState, rewardRateBps: number): void {
  const get = getter(state);
  let minted = 0n;
  for (const member of readValidatorSet(get)) {
    const record = readValidatorRecord(get, member.address);
    if (record === undefined || record.jailed) continue;
    for (const delegator of readAddressList(get, delegatorsOfKey(member.address), "delegators index")) {
      const reward = bpsOf(readDelegation(get, delegator, member.address), rewardRateBps);
      if (reward === 0n) continue;
      creditBalance(state, delegator, reward);
      minted += reward;
    }
  }
  if (minted > 0n) changeSupply(state, minted);
}

/**
 * The next set: the top maxValidators non-jailed candidates with stake, by stake (ties: lower
 * address first), power = stake. With no eligible candidate the set is kept, never emptied.
 */
function chooseNextValidatorSet(state: BlockState, maxValidators: number): void {
  const get = getter(state);
  const eligible: ValidatorSetEntry[] = [];
  for (const candidate of readAddressList(get, CANDIDATES_KEY, "candidates")) {
    const record = readValidatorRecord(get, candidate);
    if (record !== undefined && !record.jailed && record.stake > 0n) eligible.push({ address: candidate, power: record.stake });
  }
  if (eligible.length === 0) return;
  eligible.sort((a, b) => (a.power === b.power ? compareBytes(a.address, b.address) : a.power > b.power ? -1 : 1));
  const encoded = encodeValidatorSet(eligible.slice(0, maxValidators));
  const current = state.get(VALIDATOR_SET_KEY);
  if (current === undefined || !bytesEqual(current, encoded)) state.set(VALIDATOR_SET_KEY, encoded);
}
