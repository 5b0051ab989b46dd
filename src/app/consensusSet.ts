/**
 * The consensus validator set the application state describes (decision 0605): the set that
 * signs epoch e ≥ 1 is derived from the state after block e·epochBlocks − 1 with
 * `validatorSetFromState`. Pure: nodes, verifiers and light clients all derive it the same way.
 * Consensus weights are safe integers; stake is a bigint (consensusPowers).
 */
import { SignatureAlgorithm, formatAddress } from "../crypto/index.ts";
import type { Genesis, Validator, ValidatorSet } from "../ledger/index.ts";
import { bytesEqual } from "../util/index.ts";
import { readModuleParams } from "./params.ts";
import { readValidatorSet, type ValidatorSetEntry } from "./stakingState.ts";
import type { Account } from "./types.ts";

/** What deriving a set reads: application state and accounts, at one height. */
export type ValidatorSetReader = {
  readState(key: Uint8Array): Uint8Array | undefined;
  getAccount(address: Uint8Array): Account | undefined;
};

/** Consensus power totals stay at or below this, far inside the safe-integer range even summed with slack. */
export const CONSENSUS_POWER_TOTAL_MAX = 2n ** 40n;

/** Whether committing block `height` ends its epoch (the next set takes over after it). */
export function endsEpoch(height: number, epochBlocks: number): boolean {
  return (height + 1) % epochBlocks === 0;
}

/** The chain's blocks per epoch: fixed at genesis, read from the genesis state (version 0 or later). */
export function epochBlocksOf(readState: (key: Uint8Array) => Uint8Array | undefined): number {
  return readModuleParams(readState, "chain").epochBlocks;
}

/**
 * Scales bigint stake to consensus weights: divided by their greatest common divisor (so
 * proportional stakes give the same weights), then by one more common divisor when the total
 * would exceed 2^40; every member keeps at least 1.
 */
export function consensusPowers(powers: readonly bigint[]): number[] {
  let divisor = 0n;
  for (const power of powers) divisor = gcd(divisor, power);
  if (divisor === 0n) divisor = 1n;
  let total = 0n;
  for (const power of powers) total += power / divisor;
  const scale = total <= CONSENSUS_POWER_TOTAL_MAX ? 1n : (total + CONSENSUS_POWER_TOTAL_MAX - 1n) / CONSENSUS_POWER_TOTAL_MAX;
  return powers.map((power) => {
    const scaled = power / divisor / scale;
    return Number(scaled < 1n ? 1n : scaled);
  });
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/**
 * The consensus set the application state describes. A member needs an ML-DSA-65 key (consensus
 * signs with it): its account's, else its genesis entry's; a member with neither cannot sign
 * and is left out. Order: genesis validators in genesis order, then the others by address, so a
 * set whose members and power ratios do not change keeps its leader schedule. When the result is the genesis set
 * up to a common factor of the powers, the genesis set itself is returned (same hash: nothing
 * changes for consensus). Null when no member remains (the caller keeps the previous set: a
 * chain never halts for want of validators).
 */
export function validatorSetFromState(genesis: Genesis, reader: ValidatorSetReader): ValidatorSet | null {
  const entries: ValidatorSetEntry[] = readValidatorSet((key) => reader.readState(key));
  const members: { entry: ValidatorSetEntry; alg: Validator["alg"]; publicKey: Uint8Array; name: string; genesisIndex: number }[] = [];
  for (const entry of entries) {
    const genesisIndex = genesis.validators.findIndex((v) => bytesEqual(v.address, entry.address));
    const fromGenesis = genesis.validators[genesisIndex];
    const account = reader.getAccount(entry.address);
    const key = account !== undefined && account.alg === SignatureAlgorithm.mlDsa65 ? account : fromGenesis;
    if (key === undefined || key.alg !== SignatureAlgorithm.mlDsa65) continue;
    members.push({ entry, alg: key.alg, publicKey: key.publicKey, name: fromGenesis?.name ?? formatAddress(entry.address), genesisIndex: genesisIndex < 0 ? Number.MAX_SAFE_INTEGER : genesisIndex });
  }
  if (members.length === 0) return null;
  // Stable: members outside genesis share one rank and keep the state's address order.
  members.sort((a, b) => a.genesisIndex - b.genesisIndex);
  const powers = consensusPowers(members.map((m) => m.entry.power));
  const validators: Validator[] = members.map((m, i) => ({ name: m.name, address: m.entry.address, alg: m.alg, publicKey: m.publicKey, power: powers[i] as number }));
  return isGenesisSet(genesis, validators) ? { validators: genesis.validators } : { validators };
}

function isGenesisSet(genesis: Genesis, validators: readonly Validator[]): boolean {
  if (validators.length !== genesis.validators.length) return false;
  const genesisPowers = consensusPowers(genesis.validators.map((v) => BigInt(v.power)));
  return validators.every((v, i) => {
    const g = genesis.validators[i] as Validator;
    return bytesEqual(v.address, g.address) && v.alg === g.alg && bytesEqual(v.publicKey, g.publicKey) && v.power === genesisPowers[i];
  });
}
