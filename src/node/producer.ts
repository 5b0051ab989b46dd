/**
 * Block production for a one-validator set: a block every `intervalMs`, or at once when
 * `txsMax` transactions (or `entriesMax` log entries) are ready. The validator signs the vote
 * for its own block; with one validator that signature is a full quorum, so the QC it forms
 * is the block's real, verifiable certificate. Without traffic it makes an empty block once
 * `emptyIntervalMs` has passed since the head's (epochs count blocks).
 */
import { EventEmitter } from "node:events";
import { addressFromPublicKey, signAsync, type SigningKey } from "../crypto/index.ts";
import { signerBitmap, voteMessage, type QuorumCertificate } from "../ledger/index.ts";
import type { Mempool, PoolTx } from "../mempool/index.ts";
import { assert, bytesEqual } from "../util/index.ts";
import type { Chain } from "./chain.ts";
import { EmptyBlockPacer } from "./emptyBlockPacer.ts";
import type { Clock, Logger } from "./types.ts";
import type { NodeMetrics } from "./metrics.ts";
import { upgradeRequiredAt, upgradeRequiredMessage } from "./upgrade.ts";

export type ProducerOptions = {
  readonly intervalMs: number;
  readonly txsMax: number;
  readonly entriesMax: number;
  readonly bytesMax: number;
  /** 0 or absent: no empty blocks. */
  readonly emptyIntervalMs?: number;
};

export type CommittedBlockEvent = { readonly height: number; readonly txHashes: readonly string[] };

export type ProducerModules = {
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly key: SigningKey;
  readonly clock: Clock;
  /** Elapsed time when the wall clock stands behind the head's (default: performance.now). */
  readonly monotonicClock?: Clock;
  readonly logger: Logger;
  readonly metrics: NodeMetrics | null;
};

export class SingleValidatorProducer extends EventEmitter<{ committed: [CommittedBlockEvent]; error: [Error] }> {
  private readonly opts: ProducerOptions;
  private readonly modules: ProducerModules;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private producing: Promise<void> | null = null;
  private upgradeLogged = false;
  private setChangeLogged = false;
  private stopped = true;
  private readonly emptyBlocks: EmptyBlockPacer;

  constructor(opts: ProducerOptions, modules: ProducerModules) {
    super();
    this.opts = opts;
    this.modules = modules;
    this.emptyBlocks = new EmptyBlockPacer(opts.emptyIntervalMs ?? 0, { wall: modules.clock, monotonic: modules.monotonicClock });
    const validators = modules.chain.genesis.validators;
    assert(validators.length === 1, "SingleValidatorProducer: genesis has one validator");
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.producing;
  }

  /**
   * Called after each admission: a full block's worth of ready work (by transactions, or by
   * log entries, which is how batches fill a block) is produced at once.
   */
  notifyAdmitted(): void {
    if (this.producing || this.stopped) return;
    const { mempool } = this.modules;
    if (mempool.readyCount >= this.opts.txsMax || mempool.readyEntryCount >= this.opts.entriesMax) this.kick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.kick(), this.opts.intervalMs);
  }

  private kick(): void {
    if (this.producing || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.producing = this.produceReady()
      .catch((err: Error) => {
        this.emit("error", err);
      })
      .finally(() => {
        this.producing = null;
        this.schedule();
      });
  }

  /** Produces blocks until no ready transactions are left (or one empty block when it is due). */
  private async produceReady(): Promise<void> {
    if (this.blocked()) return;
    if (!this.stopped && this.modules.mempool.readyCount === 0 && this.emptyBlockDue()) await this.produceBlock();
    while (!this.stopped && this.modules.mempool.readyCount > 0 && !this.blocked()) await this.produceBlock();
  }

  private blocked(): boolean {
    return this.upgradeRequired() || this.leftTheSet();
  }

  /**
   * The producer is a one-validator committee. When the application moves the next epoch's set
   * elsewhere (decision 0605), this node alone can no longer certify blocks: stop, say why once.
   */
  private leftTheSet(): boolean {
    const { chain, logger } = this.modules;
    const height = chain.head.height + 1;
    const { set } = chain.validatorSets.forHeight(height);
    const only = set.validators.length === 1 ? set.validators[0] : undefined;
    if (only !== undefined && bytesEqual(only.publicKey, this.modules.key.publicKey)) return false;
    if (!this.setChangeLogged) {
      logger.error({ height, validators: set.validators.length }, "The validator set of this one-validator chain changed; this node alone cannot certify blocks any more. Run the new set's validators as a multi-validator chain.");
    }
    this.setChangeLogged = true;
    return true;
  }

  /** Blocks from an upgrade's activation height on belong to the new version (decision 0603): stop producing, say why once. */
  private upgradeRequired(): boolean {
    const { chain, logger } = this.modules;
    const upgrade = upgradeRequiredAt((key) => chain.state.get(key) ?? undefined, chain.head.height + 1);
    if (upgrade === undefined) return false;
    if (!this.upgradeLogged) logger.error({ height: chain.head.height + 1, version: upgrade.version }, upgradeRequiredMessage(upgrade));
    this.upgradeLogged = true;
    return true;
  }

  private emptyBlockDue(): boolean {
    const { head } = this.modules.chain;
    return this.emptyBlocks.due({ height: head.height, timestampMs: head.timestamp });
  }

  private async produceBlock(): Promise<void> {
    const { chain, mempool, key, clock, logger, metrics } = this.modules;
    const reaped = mempool.reap({ txsMax: this.opts.txsMax, entriesMax: this.opts.entriesMax, bytesMax: this.opts.bytesMax });
    if (reaped.length === 0 && !this.emptyBlockDue()) return;
    const startedMs = clock.nowMs();
    const built = chain.buildBlock({
      txs: reaped,
      proposer: addressFromPublicKey(key.alg, key.publicKey),
      view: chain.head.height + 1,
      timestampMs: clock.nowMs(),
      justify: null,
      evidence: [],
    });
    const { header } = built.block;
    const signature = await signAsync(key, voteMessage(header.chainId, header.view, header.height, built.hash));
    const qc: QuorumCertificate = { view: header.view, height: header.height, blockHash: built.hash, signers: signerBitmap([0], 1), signatures: [signature] };
    chain.commitBlock(built, qc);
    const rejectedIndices = new Set(built.execution.rejected.map((r) => r.index));
    const rejected = reaped.filter((_, i) => rejectedIndices.has(i));
    const committedTxs = reaped.filter((_, i) => !rejectedIndices.has(i));
    mempool.onCommitted(committedTxs);
    if (rejected.length > 0) {
      const dropped = mempool.onRejected(rejected);
      const refused = built.execution.rejected.map(({ index, code, message }) => ({ txHashHex: (reaped[index] as PoolTx).txHashHex, code, message }));
      mempool.refusals.recordRefusedAtExecution(refused, dropped, header.height);
      logger.warn({ height: header.height, rejected: built.execution.rejected, dropped: dropped.length }, "Execution refused transactions");
    }
    const expired = mempool.expireWaiting(header.height);
    if (expired.length > 0) logger.warn({ height: header.height, expired: expired.length }, "Dropped transactions that waited too long for an earlier nonce");
    metrics?.blockCommitSeconds.observe((clock.nowMs() - startedMs) / 1000);
    metrics?.height.set(header.height);
    metrics?.txsCommittedTotal.inc(header.txCount);
    metrics?.entriesCommittedTotal.inc(built.execution.entries.length);
    logger.info({ height: header.height, txs: header.txCount, logSize: header.logSize }, "Committed block");
    this.emit("committed", { height: header.height, txHashes: committedTxs.map((tx) => tx.txHashHex) });
  }
}
