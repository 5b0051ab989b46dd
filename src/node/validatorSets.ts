/**
 * The consensus validator set of every epoch (decision 0605). Epoch 0 is signed by the genesis
 * validators. Epoch e ≥ 1 is signed by the set the application holds (state key 0x25: stake,
 * jailing, PoA governance) after the last block of epoch e − 1, height e·epochBlocks − 1, with
 * each member's ML-DSA key from its account record (or from genesis, for a genesis validator
 * that never sent a transaction). So every node, and every verifier replaying the chain,
 * derives one set per epoch from the chain alone.
 *
 * Consensus weights are safe integers; stake is a bigint (consensusPowers). Most epochs end
 * with the same set as they began with; the consensus engine changes only when the set does
 * (the engine's epoch label is the first epoch of the set's run: `setEpochLabel`).
 */
import { readModuleParams, readValidatorSet, type Account, type ValidatorSetEntry } from "../app/index.ts";
import { SignatureAlgorithm, formatAddress } from "../crypto/index.ts";
import { hashValidatorSet, type Genesis, type Validator, type ValidatorSet } from "../ledger/index.ts";
import { GhostmeshError, assert, bytesEqual, toHex } from "../util/index.ts";

/** What deriving a set reads: application state and accounts, at one height. */
export type ValidatorSetReader = {
  readState(key: Uint8Array): Uint8Array | undefined;
  getAccount(address: Uint8Array): Account | undefined;
};

/** Consensus power totals stay at or below this, far inside the safe-integer range even summed with slack. */
export const CONSENSUS_POWER_TOTAL_MAX = 2n ** 40n;

export type EpochValidatorSet = {
  readonly epoch: number;
  readonly set: ValidatorSet;
  readonly hash: Uint8Array;
};

/** The epoch of a height: epoch e holds heights [e·epochBlocks, (e+1)·epochBlocks). */
export function epochOfHeight(height: number, epochBlocks: number): number {
  return (height - (height % epochBlocks)) / epochBlocks;
}

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
 * set whose members do not change keeps its leader schedule. When the result is the genesis set
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

/**
 * Sets by epoch for one chain, derived on first use and cached. `readerAt(height)` reads the
 * state after block `height`; it is only asked for epoch boundaries at or below what the
 * caller has applied.
 */
export class EpochValidatorSets {
  readonly genesis: Genesis;
  readonly epochBlocks: number;
  private readonly readerAt: (height: number) => ValidatorSetReader;
  private readonly cache = new Map<number, EpochValidatorSet>();

  constructor(genesis: Genesis, epochBlocks: number, readerAt: (height: number) => ValidatorSetReader) {
    assert(Number.isSafeInteger(epochBlocks) && epochBlocks >= 1, "EpochValidatorSets: epochBlocks ≥ 1");
    this.genesis = genesis;
    this.epochBlocks = epochBlocks;
    this.readerAt = readerAt;
  }

  epochOf(height: number): number {
    return epochOfHeight(height, this.epochBlocks);
  }

  /** The set that signs blocks (and certificates of blocks) at `height`. */
  forHeight(height: number): EpochValidatorSet {
    return this.forEpoch(this.epochOf(height));
  }

  forEpoch(epoch: number): EpochValidatorSet {
    const cached = this.cache.get(epoch);
    if (cached !== undefined) return cached;
    const derived = this.derive(epoch);
    // Sets are small and asked for in epoch order; a few recent ones cover every caller.
    if (this.cache.size >= 16) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(epoch, derived);
    return derived;
  }

  /** Records a set computed elsewhere (the engine's provider, from a block's post-state) so it is not derived again. */
  remember(epoch: number, set: ValidatorSet): EpochValidatorSet {
    const entry = { epoch, set, hash: hashValidatorSet(set) };
    this.cache.set(epoch, entry);
    return entry;
  }

  /** The set of `epoch` from the state after the last block of epoch − 1; the previous set when that state names no usable member. */
  private derive(epoch: number): EpochValidatorSet {
    if (epoch === 0) {
      const set = { validators: this.genesis.validators };
      return { epoch, set, hash: hashValidatorSet(set) };
    }
    const boundary = epoch * this.epochBlocks - 1;
    let reader: ValidatorSetReader;
    try {
      reader = this.readerAt(boundary);
    } catch (err) {
      throw new GhostmeshError("NODE_VALIDATOR_SET_UNAVAILABLE", `the validator set of epoch ${epoch} comes from the state after block ${boundary}, which this node cannot read: ${(err as Error).message}`, { epoch, height: boundary });
    }
    const set = validatorSetFromState(this.genesis, reader) ?? this.forEpoch(epoch - 1).set;
    return { epoch, set, hash: hashValidatorSet(set) };
  }
}

/**
 * The label consensus messages carry while the set of `epoch` signs: the first epoch of the run
 * of epochs with that same set. Walks back one epoch at a time (each set is cached).
 */
export function setEpochLabel(sets: EpochValidatorSets, epoch: number): number {
  let label = epoch;
  const hash = sets.forEpoch(epoch).hash;
  while (label > 0 && bytesEqual(sets.forEpoch(label - 1).hash, hash)) label--;
  return label;
}

/** The index of `address` in a set, or null: a node outside the set follows consensus as an observer. */
export function indexInSet(set: ValidatorSet, address: Uint8Array): number | null {
  const hex = toHex(address);
  const index = set.validators.findIndex((v) => toHex(v.address) === hex);
  return index < 0 ? null : index;
}
