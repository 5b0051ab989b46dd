/**
 * The staking module's records in the state tree, and the reads governance shares (decision 0601):
 *
 *   0x11                            chain mode: "pos" (absent: "poa")
 *   0x20 || validator               {stake, jailed, jailedUntilEpoch}: a validator candidate
 *   0x21 || delegator || validator  amount delegated (a self-bond: delegator = validator)
 *   0x22 || delegator               validators the delegator delegates to, sorted
 *   0x23 || validator               delegators of the validator, sorted
 *   0x24                            candidates (validators with a record), sorted
 *   0x25                            the validator set: [{address, power}] sorted by address
 *   0x26                            total bonded amount
 *   0x27                            unbonding queue: [{delegator, validator, amount, releaseEpoch}]
 *   0x28 || validator               blocks missed in the current downtime window
 *   0x29 || validator || kind || view  evidence already slashed (kind: 0 vote, 1 proposal, 2 invalid-proposal; view u64 BE)
 *
 * The index records (0x22-0x24) exist because the state tree has no prefix scan: every loop
 * over delegations reads one sorted list, so iteration order is the same on every replica.
 * Amounts are minimal big-endian byte strings (amount.ts), as balances are.
 */
import { decodeWith, encodeCanonical, s } from "../codec/index.ts";
import { ADDRESS_SIZE_BYTES } from "../crypto/index.ts";
import { AMOUNT_BYTES_MAX, type ChainMode, type EvidenceKind, type Genesis, type StateWrite } from "../ledger/index.ts";
import { GhostmeshError, compareBytes, concatBytes, toHex } from "../util/index.ts";
import { decodeAmount, encodeAmount, parseDecimalAmount } from "./amount.ts";
import type { BlockState, StateGetter } from "./blockState.ts";

export const CHAIN_MODE_KEY = new Uint8Array([0x11]);
export const CANDIDATES_KEY = new Uint8Array([0x24]);
export const VALIDATOR_SET_KEY = new Uint8Array([0x25]);
export const TOTAL_BONDED_KEY = new Uint8Array([0x26]);
export const UNBONDING_KEY = new Uint8Array([0x27]);
const VALIDATOR_PREFIX = 0x20;
const DELEGATION_PREFIX = 0x21;
const DELEGATOR_INDEX_PREFIX = 0x22;
const DELEGATORS_OF_PREFIX = 0x23;
const MISSED_PREFIX = 0x28;
const SLASHED_EVIDENCE_PREFIX = 0x29;

/** Bounds every list record, so no single state value grows without limit. */
export const STAKING_LIST_MAX = 4096;

const prefixed = (prefix: number, ...parts: Uint8Array[]) => concatBytes([new Uint8Array([prefix]), ...parts]);
export const validatorKey = (validator: Uint8Array) => prefixed(VALIDATOR_PREFIX, validator);
export const delegationKey = (delegator: Uint8Array, validator: Uint8Array) => prefixed(DELEGATION_PREFIX, delegator, validator);
export const delegatorIndexKey = (delegator: Uint8Array) => prefixed(DELEGATOR_INDEX_PREFIX, delegator);
export const delegatorsOfKey = (validator: Uint8Array) => prefixed(DELEGATORS_OF_PREFIX, validator);
export const missedKey = (validator: Uint8Array) => prefixed(MISSED_PREFIX, validator);

/** The kind byte of a 0x29 marker; 0 and 1 predate invalid proposals, so existing markers keep their keys. */
const EVIDENCE_KIND_BYTE: { readonly [kind in EvidenceKind]: number } = { vote: 0, proposal: 1, "invalid-proposal": 2 };

/** One key per evidence identity (validator, kind, view), so evidence carried again by a later block is not slashed twice. */
export function slashedEvidenceKey(validator: Uint8Array, kind: EvidenceKind, view: number): Uint8Array {
  const viewBytes = new Uint8Array(8);
  new DataView(viewBytes.buffer).setBigUint64(0, BigInt(view));
  return prefixed(SLASHED_EVIDENCE_PREFIX, validator, new Uint8Array([EVIDENCE_KIND_BYTE[kind]]), viewBytes);
}

const address = s.bytes({ size: ADDRESS_SIZE_BYTES });
const amountBytes = s.bytes({ maxSize: AMOUNT_BYTES_MAX });
const addressList = s.array(address, { maxLength: STAKING_LIST_MAX });
const validatorRecordSchema = s.object({ stake: amountBytes, jailed: s.bool(), jailedUntilEpoch: s.uint() });
const validatorSetSchema = s.array(s.object({ address, power: amountBytes }), { maxLength: STAKING_LIST_MAX });
const unbondingSchema = s.array(s.object({ delegator: address, validator: address, amount: amountBytes, releaseEpoch: s.uint() }), { maxLength: STAKING_LIST_MAX });

export type ValidatorRecord = { readonly stake: bigint; readonly jailed: boolean; readonly jailedUntilEpoch: number };
export type ValidatorSetEntry = { readonly address: Uint8Array; readonly power: bigint };
export type Unbonding = { readonly delegator: Uint8Array; readonly validator: Uint8Array; readonly amount: bigint; readonly releaseEpoch: number };

const amountOf = (raw: Uint8Array): bigint => (raw.length === 0 ? 0n : decodeAmount(raw));

export function readChainMode(get: StateGetter): ChainMode {
  const bytes = get(CHAIN_MODE_KEY);
  return bytes === undefined ? "poa" : decodeWith(s.oneOf(["poa", "pos"] as const), bytes, "chain mode");
}

export function readValidatorRecord(get: StateGetter, validator: Uint8Array): ValidatorRecord | undefined {
  const bytes = get(validatorKey(validator));
  if (bytes === undefined) return undefined;
  const record = decodeWith(validatorRecordSchema, bytes, "validator record");
  return { stake: amountOf(record.stake), jailed: record.jailed, jailedUntilEpoch: record.jailedUntilEpoch };
}

export function writeValidatorRecord(state: BlockState, validator: Uint8Array, record: ValidatorRecord): void {
  state.set(validatorKey(validator), encodeCanonical({ stake: encodeAmount(record.stake), jailed: record.jailed, jailedUntilEpoch: record.jailedUntilEpoch }));
}

export function readDelegation(get: StateGetter, delegator: Uint8Array, validator: Uint8Array): bigint {
  const bytes = get(delegationKey(delegator, validator));
  return bytes === undefined ? 0n : amountOf(decodeWith(amountBytes, bytes, "delegation"));
}

export function writeDelegation(state: BlockState, delegator: Uint8Array, validator: Uint8Array, amount: bigint): void {
  state.set(delegationKey(delegator, validator), encodeCanonical(encodeAmount(amount)));
}

export function readAddressList(get: StateGetter, key: Uint8Array, what: string): Uint8Array[] {
  const bytes = get(key);
  return bytes === undefined ? [] : decodeWith(addressList, bytes, what);
}

/** Writes a sorted, duplicate-free address list. */
export function writeAddressList(state: BlockState, key: Uint8Array, list: readonly Uint8Array[]): void {
  const unique = new Map(list.map((a) => [toHex(a), a] as const));
  state.set(key, encodeCanonical([...unique.values()].sort(compareBytes)));
}

export function readValidatorSet(get: StateGetter): ValidatorSetEntry[] {
  const bytes = get(VALIDATOR_SET_KEY);
  if (bytes === undefined) return [];
  return decodeWith(validatorSetSchema, bytes, "validator set").map((entry) => ({ address: entry.address, power: amountOf(entry.power) }));
}

export function encodeValidatorSet(set: readonly ValidatorSetEntry[]): Uint8Array {
  const sorted = [...set].filter((entry) => entry.power > 0n).sort((a, b) => compareBytes(a.address, b.address));
  return encodeCanonical(sorted.map((entry) => ({ address: entry.address, power: encodeAmount(entry.power) })));
}

export function writeValidatorSet(state: BlockState, set: readonly ValidatorSetEntry[]): void {
  state.set(VALIDATOR_SET_KEY, encodeValidatorSet(set));
}

/** Blocks `validator` missed in the current downtime window (0 without a record). */
export function readMissed(get: StateGetter, validator: Uint8Array): number {
  const bytes = get(missedKey(validator));
  return bytes === undefined ? 0 : decodeWith(s.uint(), bytes, "missed blocks");
}

export function writeMissed(state: BlockState, validator: Uint8Array, missed: number): void {
  state.set(missedKey(validator), encodeCanonical(missed));
}

export function readTotalBonded(get: StateGetter): bigint {
  const bytes = get(TOTAL_BONDED_KEY);
  return bytes === undefined ? 0n : amountOf(decodeWith(amountBytes, bytes, "total bonded"));
}

export function writeTotalBonded(state: BlockState, amount: bigint): void {
  state.set(TOTAL_BONDED_KEY, encodeCanonical(encodeAmount(amount)));
}

export function readUnbonding(get: StateGetter): Unbonding[] {
  const bytes = get(UNBONDING_KEY);
  if (bytes === undefined) return [];
  return decodeWith(unbondingSchema, bytes, "unbonding queue").map((u) => ({ ...u, amount: amountOf(u.amount) }));
}

export function writeUnbonding(state: BlockState, queue: readonly Unbonding[]): void {
  state.set(UNBONDING_KEY, encodeCanonical(queue.map((u) => ({ delegator: u.delegator, validator: u.validator, amount: encodeAmount(u.amount), releaseEpoch: u.releaseEpoch }))));
}

/**
 * Governance weight. PoS: the address's bonded stake (all its delegations, self-bond included);
 * PoA: its power in the validator set (0 when it is not a validator).
 */
export function readVotingPower(get: StateGetter, voter: Uint8Array): bigint {
  if (readChainMode(get) === "poa") return readValidatorSet(get).find((entry) => compareBytes(entry.address, voter) === 0)?.power ?? 0n;
  let power = 0n;
  for (const validator of readAddressList(get, delegatorIndexKey(voter), "delegator index")) power += readDelegation(get, voter, validator);
  return power;
}

/** The denominator of quorum: total bonded (PoS) or the validator set's power (PoA). */
export function readTotalVotingPower(get: StateGetter): bigint {
  if (readChainMode(get) === "pos") return readTotalBonded(get);
  return readValidatorSet(get).reduce((sum, entry) => sum + entry.power, 0n);
}

function invalid(message: string): GhostmeshError<"APP_GENESIS_INVALID", Record<string, never>> {
  return new GhostmeshError("APP_GENESIS_INVALID", `genesis: ${message}`, {});
}

/**
 * Genesis staking state: the chain mode, the validator set (PoA: the genesis validators' power;
 * PoS: their self-bonds) and, for PoS, the bonds as delegations. Returns the bonded total, which
 * joins the total supply.
 */
export function stakingGenesisWrites(genesis: Genesis): { writes: StateWrite[]; bonded: bigint } {
  const mode = genesis.mode ?? "poa";
  const bonds = genesis.bonds ?? [];
  if (mode === "poa") {
    if (bonds.length > 0) throw invalid("bonds: a PoA chain has no staking; set mode to \"pos\"");
    const set = genesis.validators.map((v) => ({ address: v.address, power: BigInt(v.power) }));
    return { writes: [{ key: VALIDATOR_SET_KEY, value: encodeValidatorSet(set) }], bonded: 0n };
  }
  const byValidator = new Map<string, bigint>();
  for (const [i, bond] of bonds.entries()) {
    const hex = toHex(bond.validator);
    if (!genesis.validators.some((v) => toHex(v.address) === hex)) throw invalid(`bonds[${i}]: ${hex} is not a genesis validator`);
    if (byValidator.has(hex)) throw invalid(`bonds[${i}]: ${hex} is bonded twice`);
    const amount = parseDecimalAmount(bond.amount, `bonds[${i}].amount`);
    if (amount === 0n) throw invalid(`bonds[${i}].amount: must be at least 1`);
    byValidator.set(hex, amount);
  }
  const writes: StateWrite[] = [{ key: CHAIN_MODE_KEY, value: encodeCanonical("pos") }];
  const set: ValidatorSetEntry[] = [];
  let bonded = 0n;
  for (const validator of genesis.validators) {
    const stake = byValidator.get(toHex(validator.address));
    if (stake === undefined) throw invalid(`bonds: genesis validator ${toHex(validator.address)} has no bond; a PoS validator's power is its stake`);
    bonded += stake;
    set.push({ address: validator.address, power: stake });
    const a = validator.address;
    writes.push(
      { key: validatorKey(a), value: encodeCanonical({ stake: encodeAmount(stake), jailed: false, jailedUntilEpoch: 0 }) },
      { key: delegationKey(a, a), value: encodeCanonical(encodeAmount(stake)) },
      { key: delegatorIndexKey(a), value: encodeCanonical([a]) },
      { key: delegatorsOfKey(a), value: encodeCanonical([a]) },
    );
  }
  writes.push(
    { key: CANDIDATES_KEY, value: encodeCanonical(genesis.validators.map((v) => v.address).sort(compareBytes)) },
    { key: VALIDATOR_SET_KEY, value: encodeValidatorSet(set) },
    { key: TOTAL_BONDED_KEY, value: encodeCanonical(encodeAmount(bonded)) },
  );
  return { writes, bonded };
}
