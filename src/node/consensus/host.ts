/**
 * The host of one validator's consensus engine: it feeds the engine its inputs one at a
 * time, in arrival order, and performs the actions each input returns, in order
 * (consensus/types.ts ConsensusAction):
 * - persistSafety: SQLite with synchronous=FULL; the write has returned, durable, before the
 *   next action (a vote, timeout or proposal that depends on it) is performed;
 * - saveBlock / evidence: stored the same way, reloaded on restart. All writes of one step
 *   (e.g. commit, persistSafety, saveBlock, persistSafety around a leader's proposal and vote)
 *   are one SQLite transaction, committed before the step's sends and timers are performed,
 *   in order: one fsync per step instead of one per write. Every write is thus durable before
 *   every action after it; a send may also wait for writes listed after it in the same step,
 *   which only delays it (as a slower network would);
 * - send: encoded onto the in-memory network (network.ts);
 * - setTimer: one real timer; commit: written through the chain (ledgerApp.ts).
 * Inputs are prepared (decoded, signatures verified on the threadpool) concurrently as they
 * arrive, but applied strictly in arrival order.
 *
 * Pacing (docs/decisions/0200): the engine proposes as soon as it enters a view it leads. So
 * that an idle chain does not churn out empty blocks, while the validator is idle (no ready
 * transaction, no uncommitted block carrying transactions, no pending evidence) the host
 * (a) holds votes that would let it, as next leader, form a QC and propose, and (b) postpones
 * its view timer. Any admitted transaction ends idleness; held votes are then delivered.
 */
import { EventEmitter } from "node:events";
import { encodeSignedTx } from "../../ledger/index.ts";
import { sign, signAsync, type SigningKey } from "../../crypto/index.ts";
import {
  createCachingVerifier,
  createCommitteeVerifier,
  createConsensusEngine,
  encodeConsensusMessage,
  evidenceKey,
  leaderOf,
  observeConsensusStats,
  observeConsensusStep,
  type CachingVerifier,
  type ConsensusAction,
  type ConsensusEngine,
  type ConsensusMessage,
  type ConsensusMetrics,
  type ConsensusStats,
  type ConsensusStep,
  type ConsensusTiming,
  type VoteDelivery,
  type VoteMessage,
} from "../../consensus/index.ts";
import type { Mempool, PoolTx } from "../../mempool/index.ts";
import { GhostmeshError, assert, isGhostmeshError, toHex } from "../../util/index.ts";
import type { Chain } from "../chain.ts";
import type { CommittedBlockEvent } from "../producer.ts";
import type { Logger } from "../types.ts";
import { consensusRootOf, createStoreBlockSource } from "./committedBlocks.ts";
import type { ConsensusStore } from "./consensusStore.ts";
import { decodeFrame, verifyAhead, verifyBlockTxsAhead } from "./inbound.ts";
import type { LedgerApplication } from "./ledgerApp.ts";
import { NetworkTopic, type ConsensusNetwork, type NetworkEndpoint, type NetworkFrame } from "./network.ts";

export type ConsensusHostOptions = {
  readonly selfIndex: number;
  readonly timing: ConsensusTiming;
  /** Defaults to voteDeliveryFor(the genesis committee size). */
  readonly voteDelivery?: VoteDelivery;
  /** "threadpool" (default): sign actions answered by signAsync; "inline": signed inside the engine's step (benchmark comparison). */
  readonly signing?: "threadpool" | "inline";
  /** How often an idle leader re-asks the app whether an empty block is due (LedgerApplicationOptions.emptyBlockIntervalMs); 0 or absent: never. */
  readonly emptyBlockCheckMs?: number;
};

/**
 * Committees up to this size broadcast votes: n^2 vote messages per view are cheap for small
 * n, and every validator then commits as soon as it sees a QC, a proposal hop earlier.
 */
export const VOTE_BROADCAST_VALIDATORS_MAX = 16;

export function voteDeliveryFor(validators: number): VoteDelivery {
  return validators <= VOTE_BROADCAST_VALIDATORS_MAX ? "all" : "nextLeader";
}

export type ConsensusHostModules = {
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly app: LedgerApplication;
  readonly store: ConsensusStore;
  readonly key: SigningKey;
  readonly network: ConsensusNetwork;
  readonly logger: Logger;
  readonly metrics: ConsensusMetrics | null;
};

type Input =
  | { readonly kind: "message"; readonly message: ConsensusMessage }
  | { readonly kind: "timer"; readonly view: number }
  | { readonly kind: "signature"; readonly requestId: number; readonly signature: Uint8Array }
  | { readonly kind: "work" };

/** Actions that write the store; all others act outside the node (send) or on timers. */
function isWrite(action: ConsensusAction): boolean {
  return action.kind === "persistSafety" || action.kind === "saveBlock" || action.kind === "commit" || action.kind === "evidence";
}

/** Votes held while idle: a few views' worth from every validator; older ones are dropped. */
const HELD_VOTE_VIEWS_MAX = 4;
/** Transactions sent again per view timeout (oldest first): one block's worth of small ones. */
const REGOSSIP_TXS_MAX = 1_000;
/** Gossiped transactions being verified at once: enough to keep every threadpool thread busy. */
const GOSSIP_ADMISSIONS_IN_FLIGHT_MAX = 32;
/** Gossiped transactions waiting for admission (~35 MB of 3.5 KB transactions). */
const GOSSIP_TXS_WAITING_MAX = 10_000;
const EMPTY_BYTES = new Uint8Array(0);

export class ConsensusHost extends EventEmitter<{ committed: [CommittedBlockEvent]; error: [Error] }> {
  private readonly opts: ConsensusHostOptions;
  private readonly modules: ConsensusHostModules;
  private readonly verifier: CachingVerifier;
  private engine: ConsensusEngine | null = null;
  private endpoint: NetworkEndpoint | null = null;
  /** The ordered input path: each input is applied after the previous one. */
  private tail: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private held: VoteMessage[] = [];
  private gossipAdmitting = 0;
  private gossipWaiting: Uint8Array[] = [];
  private gossipWaitingHead = 0;
  private gossipTxsDroppedTotal = 0;
  private voteDelivery: VoteDelivery = "nextLeader";
  /** A "work" input is queued for a leader that deferred its proposal. */
  private workQueued = false;
  /** A lone validator has no peer to fetch a lost committed block from: every commit is fsynced. */
  private commitsNeedFsync = true;
  private emptyBlockCheck: ReturnType<typeof setInterval> | null = null;
  /** Committed height when the view timer last fired (-1: never), to tell a stalled chain. */
  private heightAtLastTimeout = -1;
  private running = false;

  constructor(opts: ConsensusHostOptions, modules: ConsensusHostModules) {
    super();
    const validators = modules.chain.genesis.validators;
    assert(opts.selfIndex >= 0 && opts.selfIndex < validators.length, "ConsensusHost: selfIndex is in the genesis set");
    this.opts = opts;
    this.modules = modules;
    this.verifier = createCachingVerifier(createCommitteeVerifier({ validators }));
  }

  get isRunning(): boolean {
    return this.running;
  }

  stats(): ConsensusStats | null {
    return this.engine?.stats() ?? null;
  }

  /** Loads the persisted consensus state, joins the network and starts the engine. */
  async start(): Promise<void> {
    assert(this.engine === null, "ConsensusHost.start: called once");
    const { chain, app, store, key, network, logger } = this.modules;
    const root = consensusRootOf(chain);
    this.voteDelivery = this.opts.voteDelivery ?? voteDeliveryFor(chain.genesis.validators.length);
    this.commitsNeedFsync = chain.genesis.validators.length === 1;
    const savedBlocks = store.loadBlocks(root.height);
    // Restoring re-validates saved blocks synchronously: verify their signatures ahead, in parallel.
    for (const block of savedBlocks) await verifyBlockTxsAhead(block, { chain, app });
    this.engine = createConsensusEngine(
      {
        chainId: chain.genesis.chainId,
        epoch: 0,
        validatorSet: { validators: chain.genesis.validators },
        selfIndex: this.opts.selfIndex,
        root,
        safety: store.loadSafety(),
        pendingEvidence: store.loadEvidence(),
        savedBlocks,
        timing: this.opts.timing,
        voteDelivery: this.voteDelivery,
      },
      // Signatures are made on the threadpool (signAsync) while the event loop serves the other inputs.
      { app, signer: this.opts.signing === "inline" ? { sign: (message) => sign(key, message) } : { external: true }, verifier: this.verifier, validatorSetProvider: null, blockSource: createStoreBlockSource(chain.store) },
    );
    this.running = true;
    this.endpoint = network.attach(this.opts.selfIndex, (from, frame) => this.onFrame(from, frame));
    this.applyStep(this.engine.start());
    const checkMs = this.opts.emptyBlockCheckMs ?? 0;
    if (checkMs > 0) this.emptyBlockCheck = setInterval(() => this.wakeIfWork(), checkMs);
    logger.info({ validator: this.opts.selfIndex, height: root.height, view: this.engine.view, savedBlocks: savedBlocks.length }, "Consensus started");
  }

  /** Leaves the network and stops feeding the engine; inputs in flight are dropped. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.emptyBlockCheck !== null) clearInterval(this.emptyBlockCheck);
    this.emptyBlockCheck = null;
    this.endpoint?.close();
    await this.tail;
  }

  /**
   * Called by the API after each admission: gossip the transaction (its admitted wire bytes,
   * canonical since they decoded; re-encoded when not given), and stop being idle.
   */
  notifyAdmitted(poolTx: PoolTx, bytes?: Uint8Array): void {
    if (!this.running) return;
    this.endpoint?.send("all", { topic: NetworkTopic.tx, bytes: bytes ?? encodeSignedTx(poolTx.signedTx) });
    this.releaseHeldVotes();
    this.wakeIfWork();
  }

  // ---- inputs ------------------------------------------------------------------------------

  private onFrame(from: number, frame: NetworkFrame): void {
    if (frame.topic === NetworkTopic.tx) {
      this.queueGossipedTx(frame.bytes);
      return;
    }
    const decoded = decodeFrame(from, frame.bytes);
    if ("problem" in decoded) {
      this.modules.logger.warn({ from, problem: decoded.problem }, "Dropped a malformed consensus message");
      return;
    }
    const { chain, app } = this.modules;
    const prepared = verifyAhead(decoded.message, { chain, app, verifier: this.verifier }).then(
      (): Input => ({ kind: "message", message: decoded.message }),
      // Verifying ahead only fills caches; the engine still checks everything itself.
      (): Input => ({ kind: "message", message: decoded.message }),
    );
    this.enqueue(prepared);
  }

  /**
   * Gossiped transactions are admitted a bounded number at a time: a flood would otherwise put
   * thousands of verifies in the threadpool's one FIFO queue, ahead of the consensus
   * signatures and verifies that views wait for. The rest wait here, up to a bound; beyond it
   * they are dropped (gossip is best effort; view timeouts re-gossip what peers hold).
   */
  private queueGossipedTx(bytes: Uint8Array): void {
    if (this.gossipAdmitting < GOSSIP_ADMISSIONS_IN_FLIGHT_MAX) {
      void this.admitGossiped(bytes);
      return;
    }
    if (this.gossipWaiting.length - this.gossipWaitingHead >= GOSSIP_TXS_WAITING_MAX) {
      this.gossipTxsDroppedTotal++;
      if (this.gossipTxsDroppedTotal % 1000 === 1) this.modules.logger.warn({ droppedTotal: this.gossipTxsDroppedTotal, waiting: GOSSIP_TXS_WAITING_MAX }, "Dropped gossiped transactions: the admission queue is full");
      return;
    }
    this.gossipWaiting.push(bytes);
  }

  private async admitGossiped(bytes: Uint8Array): Promise<void> {
    this.gossipAdmitting++;
    try {
      await this.modules.mempool.admit(bytes);
      this.releaseHeldVotes();
      this.wakeIfWork();
    } catch (err) {
      // Duplicates and stale nonces are routine in gossip; the origin already answered its client.
      if (!isGhostmeshError(err)) this.fail(err as Error);
    } finally {
      this.gossipAdmitting--;
      this.admitNextGossiped();
    }
  }

  private admitNextGossiped(): void {
    if (!this.running || this.gossipWaitingHead === this.gossipWaiting.length) return;
    const bytes = this.gossipWaiting[this.gossipWaitingHead] as Uint8Array;
    this.gossipWaiting[this.gossipWaitingHead++] = EMPTY_BYTES;
    // Compact the consumed head now and then, so the array does not grow without bound.
    if (this.gossipWaitingHead === this.gossipWaiting.length) {
      this.gossipWaiting = [];
      this.gossipWaitingHead = 0;
    } else if (this.gossipWaitingHead >= 4096) {
      this.gossipWaiting = this.gossipWaiting.slice(this.gossipWaitingHead);
      this.gossipWaitingHead = 0;
    }
    void this.admitGossiped(bytes);
  }

  /** A failed signature fails the node once the queue reaches it (the key is broken). */
  private enqueueSignature(requestId: number, message: Uint8Array): void {
    const signed = signAsync(this.modules.key, message).then((signature): Input => ({ kind: "signature", requestId, signature }));
    signed.catch(() => {}); // Handled in order by enqueue; this only marks it handled meanwhile.
    this.enqueue(signed);
  }

  /** `prepared` must not reject (it may settle before the queue reaches it), except as enqueueSignature allows. */
  private enqueue(prepared: Promise<Input>): void {
    this.tail = this.tail
      .then(() => prepared)
      .then((input) => this.apply(input))
      .catch((err: Error) => this.fail(err));
  }

  private apply(input: Input): void {
    const engine = this.engine;
    if (!this.running || engine === null) return;
    if (input.kind === "message" && input.message.type === "vote" && this.shouldHold(engine, input.message)) {
      this.hold(engine, input.message);
      return;
    }
    if (input.kind === "timer") {
      this.regossipReadyTxs();
      this.applyStep(engine.onLocalTimer(input.view));
    } else if (input.kind === "signature") this.applyStep(engine.onSignature(input.requestId, input.signature));
    else if (input.kind === "work") {
      this.workQueued = false;
      this.applyStep(engine.onWork());
    } else this.applyStep(engine.onMessage(input.message));
  }

  /**
   * A view timed out again with no block committed since the last timeout, while this
   * validator holds transactions no uncommitted block carries: perhaps only it has them
   * (gossip is fire-and-forget; a peer may have been down when they arrived), and idle peers
   * would never propose them. Sending them again is harmless (peers refuse duplicates) and
   * bounded; it is skipped while the chain progresses (slow views under load time out too,
   * and a resend storm would only slow them further).
   */
  private regossipReadyTxs(): void {
    const { mempool, app, chain } = this.modules;
    const height = chain.head.height;
    const progressed = height !== this.heightAtLastTimeout;
    this.heightAtLastTimeout = height;
    if (progressed || mempool.readyCount === 0) return;
    const carried = app.blocks.carriedTxHashes();
    const txs = mempool.select({ txsMax: REGOSSIP_TXS_MAX, entriesMax: Number.MAX_SAFE_INTEGER, bytesMax: Number.MAX_SAFE_INTEGER }, (txHashHex) => carried.has(txHashHex));
    for (const poolTx of txs) this.endpoint?.send("all", { topic: NetworkTopic.tx, bytes: encodeSignedTx(poolTx.signedTx) });
    if (txs.length > 0) this.modules.logger.debug({ txs: txs.length }, "Gossiped held transactions again after a view timeout");
  }

  private applyStep(step: ConsensusStep): void {
    const engine = this.engine as ConsensusEngine;
    observeConsensusStep(this.modules.metrics, step);
    if (step.rejection !== null) this.modules.logger.debug({ validator: this.opts.selfIndex, code: step.rejection.code, reason: step.rejection.message }, "Consensus input refused");
    // All of a step's writes are one transaction, durable before any of its sends or timers
    // (docs/decisions/0200): every write precedes every later action, as the contract asks.
    // A step that only commits skips the fsync: the blocks are final by their QCs and can be
    // fetched again from any honest peer, and the next vote's fsync makes them durable anyway.
    const writes = step.actions.filter(isWrite);
    const durable = this.commitsNeedFsync || writes.some((action) => action.kind !== "commit");
    const events = writes.length === 0 ? [] : this.modules.store.transaction(() => writes.flatMap((action) => this.performWrite(action)), { durable });
    // Clients hear of a commit only once it is durable.
    for (const event of events) this.emit("committed", event);
    for (const action of step.actions) {
      if (!this.running) return;
      if (!isWrite(action)) this.performEffect(action);
    }
    observeConsensusStats(this.modules.metrics, engine.stats());
    this.releaseHeldVotes();
    this.wakeIfWork();
  }

  // ---- actions -----------------------------------------------------------------------------

  /** Performs a write action; a commit returns its blocks' events, to announce once durable. */
  private performWrite(action: ConsensusAction): CommittedBlockEvent[] {
    const { store, app } = this.modules;
    switch (action.kind) {
      case "persistSafety":
        store.saveSafety(action.state);
        return [];
      case "saveBlock":
        store.saveBlock(action.block, action.hash);
        return [];
      case "commit":
        return app.commit(action.blocks);
      case "evidence":
        // Committed already (the engine forgets that across restarts): nothing to propose.
        if (this.modules.chain.store.isEvidenceCommitted(evidenceKey(action.evidence))) return [];
        store.saveEvidence(action.evidence);
        this.modules.logger.warn({ validator: toHex(action.evidence.validator), view: action.evidence.view, kind: action.evidence.kind }, "Equivocation evidence");
        return [];
      default:
        assert(false, `performWrite: ${action.kind} is not a write`);
        return [];
    }
  }

  private performEffect(action: ConsensusAction): void {
    switch (action.kind) {
      case "send":
        this.send(action.to, action.message);
        return;
      case "setTimer":
        this.armTimer(action.view, action.delayMs);
        return;
      case "sign":
        // Performed after the step's writes, so the safety state it depends on is durable.
        this.enqueueSignature(action.requestId, action.message);
        return;
      case "epochChange":
        // No validator-set provider is wired, so the engine never ends an epoch here.
        throw new GhostmeshError("NODE_CONSENSUS_EPOCH_CHANGE", `consensus ended epoch ${action.epoch - 1}, which this node does not support yet`, { epoch: action.epoch });
      default:
        assert(false, `performEffect: ${action.kind} is a write`);
    }
  }

  /**
   * Encodes once, then queues to each receiver. A proposal goes first to the leader of the
   * next view, which forms the QC: validators in one process take turns on one thread, so
   * the order of delivery is the order of processing.
   */
  private send(to: "all" | number, message: ConsensusMessage): void {
    const endpoint = this.endpoint;
    if (endpoint === null) return;
    const frame = { topic: NetworkTopic.consensus, bytes: encodeConsensusMessage(message) };
    if (to !== "all" || message.type !== "proposal") {
      endpoint.send(to, frame);
      return;
    }
    const count = this.modules.chain.genesis.validators.length;
    const next = leaderOf({ count }, message.block.header.view + 1);
    if (next !== this.opts.selfIndex) endpoint.send(next, frame);
    for (let other = 0; other < count; other++) if (other !== next && other !== this.opts.selfIndex) endpoint.send(other, frame);
  }

  private fail(err: Error): void {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.endpoint?.close();
    this.emit("error", err);
  }

  // ---- pacing ------------------------------------------------------------------------------

  private isIdle(engine: ConsensusEngine): boolean {
    return this.modules.app.isIdle() && engine.stats().pendingEvidence === 0;
  }

  /**
   * Votes go to the next leader only: a vote for the view this node waits in, which (as next
   * leader) would let it form a QC and propose. With votes broadcast, every validator forms
   * the QC, so holding would only make this one fall behind; the engine defers the proposal
   * itself (ConsensusApplication.isIdle) and the host wakes it (wakeIfWork).
   */
  private shouldHold(engine: ConsensusEngine, vote: VoteMessage): boolean {
    if (this.voteDelivery !== "nextLeader") return false;
    if (vote.view < engine.view || leaderOf(engine.committee, vote.view + 1) !== this.opts.selfIndex) return false;
    return this.modules.app.blocks.get(toHex(vote.blockHash)) !== undefined && this.isIdle(engine);
  }

  private hold(engine: ConsensusEngine, vote: VoteMessage): void {
    this.held = this.held.filter((held) => held.view + HELD_VOTE_VIEWS_MAX > engine.view);
    this.held.push(vote);
  }

  private releaseHeldVotes(): void {
    const engine = this.engine;
    if (this.held.length === 0 || engine === null || this.isIdle(engine)) return;
    const votes = this.held;
    this.held = [];
    for (const vote of votes) this.enqueue(Promise.resolve({ kind: "message", message: vote }));
  }

  /** A leader that deferred its proposal while idle proposes once there is something to order. */
  private wakeIfWork(): void {
    const engine = this.engine;
    if (engine === null || this.workQueued || !engine.awaitsWork || this.isIdle(engine)) return;
    this.workQueued = true;
    this.enqueue(Promise.resolve({ kind: "work" }));
  }

  /** The engine's single view timer; while idle it is postponed rather than fired. */
  private armTimer(view: number, delayMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const engine = this.engine;
      if (!this.running || engine === null) return;
      if (this.isIdle(engine)) this.armTimer(view, delayMs);
      else this.enqueue(Promise.resolve({ kind: "timer", view }));
    }, delayMs);
  }
}
