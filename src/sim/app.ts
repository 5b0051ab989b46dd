/**
 * The simulator's application: deterministic, cheap, and checkable. A block carries no
 * transactions; its one log entry records (height, view, proposer, timestamp), and the
 * state and log roots chain real SHA-256 hashes over those entries. A validator re-executes
 * the block on its parent's state and refuses any header root that differs, exactly as the
 * real application does, so invalid proposals are caught by the same path.
 */
import { encodeCanonical } from "../codec/index.ts";
import { hashTagged } from "../crypto/index.ts";
import { DomainTag, hashEvidenceList, txRoot, type Block, type BlockHeader } from "../ledger/index.ts";
import { emptyRoot, leafHash } from "../merkle/index.ts";
import { blockHashOf, type BlockValidation, type ConsensusApplication, type ProposeRequest } from "../consensus/index.ts";
import { bytesEqual, toHex } from "../util/index.ts";

export type SimChainState = {
  readonly height: number;
  readonly stateRoot: Uint8Array;
  readonly logSize: number;
  readonly logRoot: Uint8Array;
  readonly timestamp: number;
};

export const SIM_LOG_TAG = "ghostmesh/v1/sim/log";
/** A proposer's clock may run this far ahead of a validator's. */
export const SIM_TIMESTAMP_DRIFT_MS_MAX = 1000;
const EMPTY_TX_ROOT = txRoot([]);

export function genesisSimState(genesisHash: Uint8Array): SimChainState {
  return { height: 0, stateRoot: genesisHash, logSize: 0, logRoot: emptyRoot(), timestamp: 0 };
}

/** The state after `header` on `parent`: the roots its header must carry. */
export function executeSimBlock(parent: SimChainState, header: Pick<BlockHeader, "height" | "view" | "proposer" | "timestamp" | "evidenceHash">): SimChainState {
  const entry = encodeCanonical({ height: header.height, view: header.view, proposer: header.proposer, timestamp: header.timestamp });
  const leaf = leafHash(entry);
  return {
    height: header.height,
    stateRoot: hashTagged(DomainTag.state, parent.stateRoot, leaf, header.evidenceHash),
    logSize: parent.logSize + 1,
    logRoot: hashTagged(SIM_LOG_TAG, parent.logRoot, leaf),
    timestamp: header.timestamp,
  };
}

/** Everything about a block except the local clock: shared by validators and the validity checker. */
export function checkSimBlock(parent: SimChainState, block: Block): { readonly state: SimChainState } | { readonly reason: string } {
  const h = block.header;
  if (block.txs.length !== 0 || h.txCount !== 0 || !bytesEqual(h.txRoot, EMPTY_TX_ROOT)) return { reason: "the simulated app carries no transactions" };
  if (!bytesEqual(h.evidenceHash, hashEvidenceList(block.evidence))) return { reason: "evidenceHash does not match the evidence" };
  if (h.timestamp < parent.timestamp) return { reason: `timestamp ${h.timestamp} before the parent's ${parent.timestamp}` };
  const state = executeSimBlock(parent, h);
  if (!bytesEqual(state.stateRoot, h.stateRoot)) return { reason: "stateRoot differs from re-execution" };
  if (state.logSize !== h.logSize || !bytesEqual(state.logRoot, h.logRoot)) return { reason: "log size or root differs from re-execution" };
  return { state };
}

export type SimApplicationParams = {
  readonly chainId: string;
  readonly validatorSetHash: Uint8Array;
  readonly proposerAddresses: readonly Uint8Array[];
  /** This node's clock (virtual time plus its skew). */
  readonly nowMs: () => number;
  readonly rootHash: Uint8Array;
  readonly rootState: SimChainState;
};

export class SimApplication implements ConsensusApplication {
  private readonly params: SimApplicationParams;
  /** Speculative states by block hash, plus the committed root. Pruned on commit. */
  private readonly states = new Map<string, SimChainState>();

  constructor(params: SimApplicationParams) {
    this.params = params;
    this.states.set(toHex(params.rootHash), params.rootState);
  }

  proposeBlock(request: ProposeRequest): Block {
    const parent = this.states.get(toHex(request.parentHash));
    if (parent === undefined) throw new Error(`SimApplication.proposeBlock: parent ${toHex(request.parentHash)} was never executed`);
    const proposer = this.params.proposerAddresses[request.proposer] as Uint8Array;
    const evidenceHash = hashEvidenceList(request.evidence);
    const base = { height: request.parentHeight + 1, view: request.view, proposer, timestamp: Math.max(this.params.nowMs(), parent.timestamp), evidenceHash };
    const state = executeSimBlock(parent, base);
    const header: BlockHeader = {
      chainId: this.params.chainId,
      height: base.height,
      view: base.view,
      parentHash: request.parentHash,
      proposer,
      timestamp: base.timestamp,
      txRoot: EMPTY_TX_ROOT,
      txCount: 0,
      stateRoot: state.stateRoot,
      logSize: state.logSize,
      logRoot: state.logRoot,
      validatorSetHash: this.params.validatorSetHash,
      evidenceHash,
      justify: request.justify,
    };
    const block: Block = { header, txs: [], evidence: request.evidence };
    // blockHashOf caches by object, so the engine does not hash the header again.
    this.states.set(toHex(blockHashOf(block)), state);
    return block;
  }

  validateBlock(block: Block, blockHash: Uint8Array): BlockValidation {
    const parent = this.states.get(toHex(block.header.parentHash));
    if (parent === undefined) return { ok: false, reason: "parent was never executed" };
    const checked = checkSimBlock(parent, block);
    if ("reason" in checked) return { ok: false, reason: checked.reason };
    this.states.set(toHex(blockHash), checked.state);
    return { ok: true };
  }

  /** Vote rule (the node's clock), never part of validity: see ConsensusApplication.checkTimely. */
  checkTimely(block: Block): BlockValidation {
    if (block.header.timestamp > this.params.nowMs() + SIM_TIMESTAMP_DRIFT_MS_MAX) return { ok: false, reason: "timestamp too far in the future" };
    return { ok: true };
  }

  /** Committed up to `height`: states below it can never be built on again. */
  pruneBelow(height: number): void {
    for (const [key, state] of [...this.states]) if (state.height < height) this.states.delete(key);
  }
}
