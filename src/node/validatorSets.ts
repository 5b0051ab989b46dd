/**
 * The consensus validator set of every epoch, as a node holds them (decision 0605). Epoch 0 is
 * signed by the genesis validators. Epoch e ≥ 1 is signed by the set the application holds
 * (state key 0x25: stake, jailing, PoA governance) after the last block of epoch e − 1, height
 * e·epochBlocks − 1, derived by app/consensusSet.ts. So every node, and every verifier
 * replaying the chain, derives one set per epoch from the chain alone. Most epochs end with the
 * set they began with; the consensus engine changes only when the set does (its epoch label is
 * the first epoch of the set's run: `setEpochLabel`).
 */
import { epochOf, validatorSetFromState, type ValidatorSetReader } from "../app/index.ts";
import { hashValidatorSet, type Genesis, type ValidatorSet } from "../ledger/index.ts";
import { GhostmeshError, assert, bytesEqual, toHex } from "../util/index.ts";

export type EpochValidatorSet = {
  readonly epoch: number;
  readonly set: ValidatorSet;
  readonly hash: Uint8Array;
};

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
    return epochOf(height, this.epochBlocks);
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
 * A label found before, kept in the chain store (`ConsensusStore.saveEpochLabel`): the run of
 * epochs with the set `setHash` that includes `epoch` began at `label`. Committed history never
 * changes, so it stays true for that store.
 */
export type EpochLabelMemo = { readonly epoch: number; readonly label: number; readonly setHash: Uint8Array };

/**
 * The label consensus messages carry while the set of `epoch` signs: the first epoch of the run
 * of epochs with that same set. Walks back one epoch at a time (each set is cached) until the
 * set differs, or until `memo`'s epoch when the walk reaches it with the memo's set: a restart
 * after a long run of one set then derives only the sets since the memo, not every one back
 * to genesis (~0.3 ms of state reads each).
 */
export function setEpochLabel(sets: EpochValidatorSets, epoch: number, memo: EpochLabelMemo | null = null): number {
  let label = epoch;
  const hash = sets.forEpoch(epoch).hash;
  while (label > 0) {
    if (memo !== null && memo.epoch === label && bytesEqual(memo.setHash, hash)) return memo.label;
    if (!bytesEqual(sets.forEpoch(label - 1).hash, hash)) break;
    label--;
  }
  return label;
}

/** The index of `address` in a set, or null: a node outside the set follows consensus as an observer. */
export function indexInSet(set: ValidatorSet, address: Uint8Array): number | null {
  const hex = toHex(address);
  const index = set.validators.findIndex((v) => toHex(v.address) === hex);
  return index < 0 ? null : index;
}
