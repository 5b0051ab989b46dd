/**
 * The ledger as consensus sees it (ConsensusApplication): proposals are built from the
 * mempool on any executed parent, proposals of others are re-executed and every header field
 * checked before this validator votes, and committed blocks are written through the Chain
 * in order. Per-block post-states live in SpeculativeBlocks.
 *
 * Block validity is a function of the block and its parent only. The local clock is a vote
 * rule (`checkTimely`): this validator does not vote for a proposal stamped later than its
 * parent and further ahead of its clock than `timestampAheadMsMax`, so a leader cannot push
 * the chain's time ahead unless more than a third of the power has clocks that far ahead too.
 * A block certified anyway is followed: a validator whose clock is behind keeps committing.
 */
import { blockHashOf, evidenceKey, leaderOf, type BlockValidation, type CommittedBlock, type ConsensusApplication, type ProposeRequest, type ValidatorSetProvider } from "../../consensus/index.ts";
import { BLOCK_ENTRIES_MAX, hashEvidenceList, hashValidatorSet, txRoot, type Block, type BlockHeader, type QuorumCertificate, type Validator, type ValidatorSet } from "../../ledger/index.ts";
import { blockContext, endsEpoch, validatorSetFromState } from "../../app/index.ts";
import type { Mempool } from "../../mempool/index.ts";
import { GhostmeshError, assert, bytesEqual, isGhostmeshError, toHex } from "../../util/index.ts";
import type { Chain } from "../chain.ts";
import { upgradeRequiredAt, upgradeRequiredMessage } from "../upgrade.ts";
import type { EpochValidatorSet } from "../validatorSets.ts";
import type { NodeMetrics } from "../metrics.ts";
import type { CommittedBlockEvent } from "../producer.ts";
import { EmptyBlockPacer } from "../emptyBlockPacer.ts";
import type { Clock, Logger } from "../types.ts";
import { SpeculativeBlocks, executeOnParent, tileKey, type ExecutedOnParent, type ParentState, type SpeculativeBlock } from "./speculative.ts";
import { TX_SIGNATURES_VERIFIED_MAX, TxPreparer, TxSignatureCache, type PreparedTx, type TxKey } from "./txChecks.ts";

export type LedgerApplicationOptions = {
  readonly txsMax: number;
  readonly entriesMax: number;
  readonly bytesMax: number;
  /** How far a block's timestamp may run ahead of this validator's clock. */
  readonly timestampAheadMsMax: number;
  /** An idle chain still proposes an empty block once this long has passed since the head's timestamp; 0 or absent: never. */
  readonly emptyBlockIntervalMs?: number;
};

export type LedgerApplicationModules = {
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly clock: Clock;
  /** Elapsed time when the wall clock stands behind the chain's (default: performance.now). */
  readonly monotonicClock?: Clock;
  readonly logger: Logger;
  readonly metrics: NodeMetrics | null;
};

/**
 * Validators' clocks (NTP-synchronised machines) agree within tens of ms; 5 s tolerates a
 * badly drifting one while bounding how far a leader can push timestamps ahead.
 */
export const BLOCK_TIMESTAMP_AHEAD_MS_MAX = 5_000;

type Executed = ExecutedOnParent;

/** The set the running consensus engine signs with, and its epoch label (decision 0605). */
export type ConsensusEpoch = { readonly label: number; readonly set: EpochValidatorSet };

export class LedgerApplication implements ConsensusApplication, ValidatorSetProvider {
  readonly blocks: SpeculativeBlocks;
  private upgradeChecked = { height: -1, required: false };
  private upgradeLogged = false;
  readonly signatures: TxSignatureCache;
  readonly preparer: TxPreparer;
  private readonly opts: LedgerApplicationOptions;
  private readonly modules: LedgerApplicationModules;
  private consensus: ConsensusEpoch;
  private readonly emptyBlocks: EmptyBlockPacer;

  constructor(opts: LedgerApplicationOptions, modules: LedgerApplicationModules) {
    assert(opts.entriesMax <= BLOCK_ENTRIES_MAX && opts.txsMax >= 1, "LedgerApplication: block limits within the protocol's");
    this.opts = opts;
    this.modules = modules;
    this.blocks = new SpeculativeBlocks(modules.chain);
    this.signatures = new TxSignatureCache(
      (txHashHex) => modules.mempool.verifiedSignature(txHashHex),
      TX_SIGNATURES_VERIFIED_MAX,
      (txHashHex) => modules.mempool.pendingVerdict(txHashHex),
    );
    this.preparer = new TxPreparer(modules.chain.genesis.chainId, this.signatures);
    this.consensus = { label: 0, set: modules.chain.validatorSets.forEpoch(0) };
    this.emptyBlocks = new EmptyBlockPacer(opts.emptyBlockIntervalMs ?? 0, { wall: modules.clock, monotonic: modules.monotonicClock });
  }

  /** The consensus host calls this before it starts an engine: blocks are built and checked for that engine's set. */
  enterConsensusEpoch(epoch: ConsensusEpoch): void {
    this.consensus = epoch;
  }

  /**
   * Who signed a QC of block `height`: the running set, unless the QC is older than the set's
   * run (the first block after a switch carries the previous set's QC of its parent).
   */
  private signersOf(justify: QuorumCertificate | null): readonly Validator[] {
    const { chain } = this.modules;
    if (justify === null || justify.height >= this.consensus.label * chain.validatorSets.epochBlocks) return this.consensus.set.set.validators;
    return chain.validatorSets.forHeight(justify.height).set.validators;
  }

  /**
   * ValidatorSetProvider: committing the last block of an epoch hands consensus the next
   * epoch's set when it differs from the running one; it comes from the block's post-state,
   * the same state every node derives `chain.validatorSets` from once the block is committed.
   */
  nextValidatorSet(block: Block, blockHash: Uint8Array): ValidatorSet | null {
    const { chain } = this.modules;
    if (!endsEpoch(block.header.height, chain.validatorSets.epochBlocks)) return null;
    const after = this.blocks.stateAfter(toHex(blockHash));
    assert(after !== undefined, "nextValidatorSet: a committing block was executed here");
    const next = validatorSetFromState(chain.genesis, after.accounts);
    if (next === null || bytesEqual(hashValidatorSet(next), this.consensus.set.hash)) return null;
    return next;
  }

  proposeBlock(request: ProposeRequest): Block {
    const { chain, mempool, clock, logger } = this.modules;
    const parent = this.blocks.stateAfter(toHex(request.parentHash));
    assert(parent !== undefined && parent.height === request.parentHeight, "proposeBlock: the engine builds on an executed block");
    const carried = (txHashHex: string): boolean => parent.ancestry.some((block) => block.txHashesHex.has(txHashHex));
    const selected = mempool.select({ txsMax: this.opts.txsMax, entriesMax: this.opts.entriesMax, bytesMax: this.opts.bytesMax }, carried);
    const height = parent.height + 1;
    // The engine forgets committed evidence across restarts; the chain does not.
    const evidence = request.evidence.filter((item) => !chain.store.isEvidenceCommitted(evidenceKey(item)));
    const proposer = this.consensus.set.set.validators[request.proposer];
    assert(proposer !== undefined, "proposeBlock: the proposer is in the set");
    const context = blockContext(this.signersOf(request.justify), { evidence, justify: request.justify, proposer: proposer.address });
    const executed = executeOnParent(chain, parent, height, selected, context);
    if (executed.execution.rejected.length > 0) {
      // They cannot apply on this chain as it stands; keeping them would offer them forever.
      const refused = executed.execution.rejected.map(({ index, code, message }) => ({ txHashHex: (selected[index] as (typeof selected)[number]).txHashHex, code, message }));
      const dropped = mempool.removeRefused(refused.map(({ txHashHex }) => txHashHex));
      mempool.refusals.recordRefusedAtExecution(refused, dropped, height);
      logger.warn({ height, rejected: executed.execution.rejected }, "Proposal left out transactions that do not apply");
    }
    const header: BlockHeader = {
      chainId: chain.genesis.chainId,
      height,
      view: request.view,
      parentHash: request.parentHash,
      proposer: proposer.address,
      timestamp: Math.max(clock.nowMs(), parent.timestamp),
      txRoot: txRoot(executed.execution.executed),
      txCount: executed.execution.executed.length,
      stateRoot: executed.execution.stateRoot,
      logSize: executed.logAppend.size,
      logRoot: executed.logAppend.root,
      validatorSetHash: this.consensus.set.hash,
      evidenceHash: hashEvidenceList(evidence),
      justify: request.justify,
    };
    const block: Block = { header, txs: executed.execution.executed.map((tx) => tx.signedTx), evidence };
    this.remember(block, blockHashOf(block), executed);
    return block;
  }

  /**
   * Checks a block on its executed parent: header rules, then re-execution to the same roots.
   * `txSignaturesCertified`: the caller authenticated the block by a quorum certificate
   * (committed blocks from block sync or a bundle) and checked its txRoot and evidenceHash
   * against its contents (`SyncedBlockApplier.precheck`); the txRoot covers every signature
   * the quorum verified, so neither those roots nor the signatures are checked again. Never
   * for a proposal.
   */
  validateBlock(block: Block, blockHash: Uint8Array, opts: { readonly txSignaturesCertified?: boolean } = {}): BlockValidation {
    const parent = this.blocks.stateAfter(toHex(block.header.parentHash));
    if (parent === undefined) return { ok: false, reason: "its parent was never executed here (or is on an abandoned fork)" };
    try {
      const problem = this.checkHeader(block.header, parent) ?? this.checkAndExecute(block, blockHash, parent, opts.txSignaturesCertified === true);
      return problem === null ? { ok: true } : { ok: false, reason: problem };
    } catch (err) {
      if (isGhostmeshError(err)) return { ok: false, reason: err.message };
      throw err;
    }
  }

  /**
   * The one check that reads this validator's clock, made before it votes, never for a block
   * that is only followed (fetched, synced, imported, restored). The parent's timestamp was
   * accepted already: a block that only repeats it pushes nothing ahead. Without that, a clock
   * stepped back (NTP, a VM resumed) on a quorum of validators would refuse every proposal
   * until their clocks caught up with the head again.
   */
  checkTimely(block: Block): BlockValidation {
    const { header } = block;
    const parent = this.blocks.stateAfter(toHex(header.parentHash));
    if (parent === undefined) return { ok: false, reason: "its parent was never executed here (or is on an abandoned fork)" };
    const nowMs = this.modules.clock.nowMs();
    if (header.timestamp > parent.timestamp && header.timestamp > nowMs + this.opts.timestampAheadMsMax) {
      return { ok: false, reason: `timestamp ${header.timestamp} is more than ${this.opts.timestampAheadMsMax} ms ahead of this validator's clock (${nowMs})` };
    }
    return { ok: true };
  }

  /** The header fields that do not need execution. */
  private checkHeader(header: BlockHeader, parent: ParentState): string | null {
    const { chain } = this.modules;
    const validators = this.consensus.set.set.validators;
    if (header.chainId !== chain.genesis.chainId) return `chain id "${header.chainId}" is not "${chain.genesis.chainId}"`;
    if (header.height !== parent.height + 1) return `height ${header.height} does not follow the parent's ${parent.height}`;
    const leader = validators[leaderOf({ validators }, header.view)];
    if (leader === undefined || !bytesEqual(header.proposer, leader.address)) return `proposer is not the leader of view ${header.view}`;
    if (!bytesEqual(header.validatorSetHash, this.consensus.set.hash)) return `validatorSetHash is not the hash of the validator set consensus runs with (epoch ${this.consensus.label})`;
    if (header.timestamp < parent.timestamp) return `timestamp ${header.timestamp} is before the parent's ${parent.timestamp}`;
    const upgrade = upgradeRequiredAt((key) => parent.accounts.readState(key), header.height);
    return upgrade === undefined ? null : upgradeRequiredMessage(upgrade);
  }

  /** Re-executes the block on its parent and compares every root; remembers its post-state. */
  private checkAndExecute(block: Block, blockHash: Uint8Array, parent: ParentState, txSignaturesCertified: boolean): string | null {
    const { header } = block;
    if (!txSignaturesCertified && !bytesEqual(header.evidenceHash, hashEvidenceList(block.evidence))) return "evidenceHash does not match the evidence carried";
    const recommitted = block.evidence.find((item) => this.modules.chain.store.isEvidenceCommitted(evidenceKey(item)));
    if (recommitted !== undefined) return `evidence ${evidenceKey(recommitted)} was already committed by an earlier block`;
    if (header.txCount !== block.txs.length) return `txCount ${header.txCount} but ${block.txs.length} transactions`;
    const txs = block.txs.map((signedTx) => this.preparer.prepare(signedTx));
    let entries = 0;
    for (const tx of txs) entries += tx.entryCount;
    if (entries > BLOCK_ENTRIES_MAX) return `${entries} log entries, above the protocol limit ${BLOCK_ENTRIES_MAX}`;
    if (!txSignaturesCertified && !bytesEqual(header.txRoot, txRoot(txs))) return "txRoot does not match the transactions";
    const context = blockContext(this.signersOf(header.justify), { evidence: block.evidence, justify: header.justify, proposer: header.proposer });
    const executed = executeOnParent(this.modules.chain, parent, header.height, txs, context);
    const refused = executed.execution.rejected[0];
    if (refused !== undefined) return `transaction ${(txs[refused.index] as PreparedTx).txHashHex} does not apply: ${refused.message}`;
    const badSignature = txSignaturesCertified ? null : this.firstBadSignature(txs, parent);
    if (badSignature !== null) return `transaction ${badSignature} has a signature that does not verify under its sender's key`;
    if (!bytesEqual(header.stateRoot, executed.execution.stateRoot)) return "stateRoot differs from re-execution";
    if (header.logSize !== executed.logAppend.size || !bytesEqual(header.logRoot, executed.logAppend.root)) return "logSize or logRoot differs from re-execution";
    this.remember(block, blockHash, executed);
    return null;
  }

  /** Each transaction's signature under its sender's key in the state the block executes on. */
  private firstBadSignature(txs: readonly PreparedTx[], parent: ParentState): string | null {
    const registered = new Map<string, TxKey>();
    for (const tx of txs) {
      const { tx: body } = tx.signedTx;
      let key: TxKey | undefined;
      if (body.type === "account.register") {
        key = { alg: body.body.alg, publicKey: body.body.publicKey };
        registered.set(toHex(body.from), key);
      } else {
        key = parent.accounts.getAccount(body.from) ?? registered.get(toHex(body.from));
      }
      // Execution already refused unknown senders, so a key exists.
      assert(key !== undefined, "firstBadSignature: an executed transaction's sender has a key");
      if (!this.signatures.check(tx, key)) return tx.txHashHex;
    }
    return null;
  }

  private remember(block: Block, hash: Uint8Array, executed: Executed): void {
    const hashHex = toHex(hash);
    if (this.blocks.get(hashHex) !== undefined) return;
    const accounts = new Map(executed.execution.accountWrites.map((write) => [toHex(write.address), write.account] as const));
    const tiles = new Map(executed.logAppend.tiles.map((tile) => [tileKey(tile.tileLevel, tile.tileIndex), tile.hashes] as const));
    const txHashesHex = new Set(executed.execution.executed.map((tx) => toHex(tx.txHash)));
    const speculative: SpeculativeBlock = {
      hash,
      hashHex,
      parentHex: toHex(block.header.parentHash),
      height: block.header.height,
      block,
      execution: executed.execution,
      logAppend: executed.logAppend,
      accounts,
      tiles,
      txHashesHex,
    };
    this.blocks.add(speculative);
  }

  /**
   * Writes committed blocks in order through the chain, settles the mempool, and forgets
   * what can no longer be built on. Returns one event per block for API waiters.
   */
  /**
   * `synced`: blocks from block sync or a bundle, thousands at a time; their "Committed block"
   * line is debug (the sync logs its progress instead).
   */
  commit(committed: readonly CommittedBlock[], opts: { readonly synced?: boolean } = {}): CommittedBlockEvent[] {
    const { chain, mempool, metrics, logger } = this.modules;
    const events: CommittedBlockEvent[] = [];
    for (const { block, hash, qc } of committed) {
      const speculative = this.blocks.get(toHex(hash));
      if (speculative === undefined) {
        throw new GhostmeshError("NODE_CONSENSUS_COMMIT_UNKNOWN", `consensus committed block ${toHex(hash)} at height ${block.header.height}, which this node never executed`, { height: block.header.height });
      }
      const { execution, logAppend } = speculative;
      chain.commitExecutedBlock({ block: speculative.block, hash, execution, logAppend }, qc, block.evidence.map(evidenceKey));
      const txHashes = execution.executed.map((tx) => toHex(tx.txHash));
      const height = block.header.height;
      const dropped = mempool.onBlockCommitted(execution.executed.map((tx, i) => ({ from: tx.signedTx.tx.from, txHashHex: txHashes[i] as string })));
      // A client waiting for one of them hears at once that its nonce is spent.
      for (const poolTx of dropped) {
        mempool.refusals.record(poolTx.txHashHex, { code: "MEMPOOL_NONCE_USED", message: `another transaction of its sender committed with nonce ${poolTx.signedTx.tx.nonce}`, height });
      }
      const expired = mempool.expireWaiting(height);
      metrics?.height.set(block.header.height);
      metrics?.txsCommittedTotal.inc(execution.executed.length);
      metrics?.entriesCommittedTotal.inc(execution.entries.length);
      const line = { height: block.header.height, view: block.header.view, txs: execution.executed.length, logSize: block.header.logSize, dropped: dropped.length, expired: expired.length };
      if (opts.synced === true) logger.debug(line, "Committed block");
      else logger.info(line, "Committed block");
      events.push({ height: block.header.height, txHashes });
    }
    this.blocks.prune();
    return events;
  }

  /** Nothing to order: no ready transaction, and no uncommitted block waiting for blocks on top to commit it. */
  isIdle(): boolean {
    // A node that an on-chain upgrade left behind proposes nothing (and votes for nothing: checkHeader).
    if (this.upgradeRequired()) return true;
    return !this.hasTxsToOrder() && !this.emptyBlockDue();
  }

  /**
   * How long the next empty block has been due when it is this node's only work (no ready
   * transaction, no uncommitted block carrying some); null otherwise.
   */
  emptyBlockOnlyDueForMs(): number | null {
    if (this.upgradeRequired() || this.hasTxsToOrder()) return null;
    return this.emptyBlocks.dueForMs(this.blocks.newest());
  }

  /** A ready transaction in the pool, or an uncommitted block carrying some. */
  private hasTxsToOrder(): boolean {
    return this.modules.mempool.readyCount > 0 || this.blocks.hasUncommittedTxs();
  }

  /** Whether the block after the committed head needs another software version; read once per head, logged once. */
  private upgradeRequired(): boolean {
    const { chain, logger } = this.modules;
    const height = chain.head.height + 1;
    if (this.upgradeChecked.height !== height) {
      const plan = upgradeRequiredAt((key) => chain.state.get(key) ?? undefined, height);
      this.upgradeChecked = { height, required: plan !== undefined };
      if (plan !== undefined && !this.upgradeLogged) {
        this.upgradeLogged = true;
        logger.error({ height, version: plan.version, activationHeight: plan.activationHeight }, upgradeRequiredMessage(plan));
      }
    }
    return this.upgradeChecked.required;
  }

  /**
   * Epochs and governance periods count blocks, so a chain without traffic still makes one now
   * and then. Measured from the newest block, uncommitted ones included: one empty block per
   * interval, whose certifying and committing blocks come with the next intervals' (rather
   * than three back to back each time).
   */
  private emptyBlockDue(): boolean {
    return this.emptyBlocks.due(this.blocks.newest());
  }
}
