/**
 * What a block tells the application besides its transactions (decision 0601): the evidence it
 * carries, who signed its parent, its proposer. Staking reads it for slashing and downtime;
 * every module reads the height and epoch.
 */
import { signerIndices, type Evidence, type QuorumCertificate, type Validator } from "../ledger/index.ts";
import { assert } from "../util/index.ts";
import type { Account } from "./types.ts";

export type BlockContext = {
  /** Equivocation evidence the block carries; consensus verified each item before the block was accepted. */
  readonly evidence: readonly Evidence[];
  /**
   * Addresses of the validators whose signatures are in the block's justify QC (they voted for
   * the parent), in validator-set order; null for height 1, whose parent is genesis.
   */
  readonly parentSigners: readonly Uint8Array[] | null;
  /** The consensus validator set the QCs are made of (genesis order). */
  readonly validators: readonly Validator[];
  readonly proposer: Uint8Array;
};

/** Builds the context from a block's header fields. */
export function blockContext(validators: readonly Validator[], block: { evidence: readonly Evidence[]; justify: QuorumCertificate | null; proposer: Uint8Array }): BlockContext {
  const parentSigners =
    block.justify === null
      ? null
      : signerIndices(block.justify.signers, validators.length).map((index) => {
          const validator = validators[index];
          assert(validator !== undefined, "blockContext: signer index in the validator set");
          return validator.address;
        });
  return { evidence: block.evidence, parentSigners, validators, proposer: block.proposer };
}

/** What a module transaction sees besides state: the block it is in and the accounts' keys. */
export type TxContext = {
  readonly height: number;
  /** floor(height / chain.epochBlocks): the epoch the block belongs to. */
  readonly epoch: number;
  readonly getAccount: (address: Uint8Array) => Account | undefined;
};

/** What the end of a block sees: the transaction context, the block's context, and whether it closes its epoch. */
export type EndBlockContext = TxContext & BlockContext & { readonly epochEnds: boolean };
