/**
 * The host of one validator's consensus engine: it feeds the engine its inputs one at a
 * time, in arrival order, and performs the actions each input returns, in order
 * (consensus/types.ts ConsensusAction):
 * - persistSafety: written to SQLite and durable before the next action (a vote, timeout or
 *   proposal that depends on it) is performed, and covered by the signing reservation beside
 *   the key (signingReservation.ts), which survives a wiped data directory;
 * - saveBlock / evidence: stored the same way, reloaded on restart. All writes of one step
 *   (e.g. commit, persistSafety, saveBlock, persistSafety around a leader's proposal and vote)
 *   are one SQLite transaction, durable before the step's sends and timers are performed, in
 *   order: one fsync per step instead of one per write. The fsync is the WAL sync thread's
 *   (walSyncer.ts), which the step awaits while the event loop serves everything else; without
 *   that thread, COMMIT fsyncs (synchronous=FULL). Every write is thus durable before every
 *   action after it; a send may also wait for writes listed after it in the same step, which
 *   only delays it (as a slower network would);
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
import { addressFromPublicKey, formatAddress, sign, signAsync, type SigningKey } from "../../crypto/index.ts";
import {
  OWN_SIGNATURE_VIEWS,
  blockHashOf,
  createCachingVerifier,
  createCommitteeVerifier,
  validityPower,
  createConsensusEngine,
  decodeEvidenceRecord,
  encodeConsensusMessage,
  evidenceKey,
  isUnsignedMessage,
  leaderOf,
  LeaderSilence,
  observeConsensusStats,
  proposalVote,
  observeConsensusStep,
  RejectCode,
  type CachingVerifier,
  type ConsensusAction,
  type ConsensusEngine,
  type ConsensusMessage,
  type ConsensusMetrics,
  type ConsensusRoot,
  type ConsensusStats,
  type ConsensusStep,
  type ConsensusTiming,
  type BlockRequestMessage,
  type Rejection,
  type RootQuarantine,
  type SignedElsewhereVerdict,
  type VoteDelivery,
  type ValidatorIndex,
  type VoteMessage,
} from "../../consensus/index.ts";
import type { Mempool, PoolTx } from "../../mempool/index.ts";
import { assert, isGhostmeshError, toHex } from "../../util/index.ts";
import { OWN_TX_HASHES_MAX, OwnTxHashes } from "./ownTxs.ts";
import { RegossipSchedule } from "./regossip.ts";
import type { Block, Evidence, ValidatorSet } from "../../ledger/index.ts";
import { indexInSet, setEpochLabel, type EpochValidatorSet } from "../validatorSets.ts";
import type { Chain } from "../chain.ts";
import type { CommittedBlockEvent } from "../producer.ts";
import { monotonicClock, type Logger } from "../types.ts";
import { consensusRootOf, createStoreBlockSource } from "./committedBlocks.ts";
import type { ConsensusStore } from "./consensusStore.ts";
import { decodeFrame, verifyAhead, verifyBlockTxsAhead } from "./inbound.ts";
import type { LedgerApplication } from "./ledgerApp.ts";
import { NetworkTopic, type ConsensusNetwork, type NetworkEndpoint, type NetworkFrame } from "./network.ts";
import { viewTimerOutcome } from "./viewTimer.ts";
import type { WalSyncer } from "../walSyncer.ts";
import type { SigningReservation } from "./signingReservation.ts";

export type ConsensusHostOptions = {
  /** This validator's slot on the network (consensus/network.ts); its index in each epoch's set follows from its address. */
  readonly slot: number;
  readonly timing: ConsensusTiming;
  /** Defaults to voteDeliveryFor(the genesis committee size). */
  readonly voteDelivery?: VoteDelivery;
  /** "threadpool" (default): sign actions answered by signAsync; "inline": signed inside the engine's step (benchmark comparison). */
  readonly signing?: "threadpool" | "inline";
  /** How often an idle leader re-asks the app whether an empty block is due (LedgerApplicationOptions.emptyBlockIntervalMs); 0 or absent: never. */
  readonly emptyBlockCheckMs?: number;
  /** How long a stall lasts before the whole pool is sent again, not only own transactions (regossip.ts; default REGOSSIP_ALL_INTERVAL_MS). */
  readonly regossipAllIntervalMs?: number;
  /**
   * The view of the stop of signing this process cleared (`ghostmesh start --resume-signing`).
   * Its first engine keeps out of the views after the root even with a safety state of its
   * own, and judges every view since the stop, where this key signed nothing from this home,
   * so that a signer of the key still running is seen before this one signs (decision 0200,
   * "Session 35").
   */
  readonly resumedFromStopAtView?: number;
  /** ConsensusEngineOptions.signerLiveAfterTimestampMs: when this validator's process started, by the clock that stamps blocks. */
  readonly signerLiveAfterTimestampMs?: number;
};

const SIGNING_STOPPED_ADVICE = "Stop every other process that holds the key, then restart this node with ghostmesh start --resume-signing";

/**
 * What the operator is told of a sighting: whether it stopped signing, and why (engine.ts
 * noticeSignedElsewhere: "ahead" never stops signing).
 */
function signedElsewhereLogMessage(verdict: SignedElsewhereVerdict, signingStopped: boolean, firstStop: boolean): string {
  if (!signingStopped) return "This validator's key signed elsewhere, in a view this node did not sign: no vote or proposal from this node until a few views past it. Another process holds the key, or this home is an older copy of one";
  if (!firstStop) return `This validator's key signed elsewhere again; signing stays stopped. ${SIGNING_STOPPED_ADVICE}`;
  const where = verdict === "beside" ? "in a view this node signed in too" : "now, in a recent view this node kept out of";
  return `This validator's key signs elsewhere, ${where}: signing stopped, and stays stopped across restarts. ${SIGNING_STOPPED_ADVICE}`;
}

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
  /** Syncs the store's WAL off the event loop; null: every durable step fsyncs inside its COMMIT. */
  readonly walSync: WalSyncer | null;
  /** Own transactions, shared by the hosts a validator runs one after another (re-syncs); default: this host's own. */
  readonly ownTxs?: OwnTxHashes;
  /** The views this key may have signed in, kept outside the store (signingReservation.ts); absent: the store's safety state alone. */
  readonly signingReservation?: SigningReservation;
};

type Input =
  | { readonly kind: "message"; readonly message: ConsensusMessage }
  | { readonly kind: "timer"; readonly view: number }
  | { readonly kind: "signature"; readonly engine: ConsensusEngine | null; readonly requestId: number; readonly signature: Uint8Array }
  | { readonly kind: "work" };

/** Actions that write the store; all others act outside the node (send) or on timers. */
function isWrite(action: ConsensusAction): boolean {
  return action.kind === "persistSafety" || action.kind === "saveBlock" || action.kind === "commit" || action.kind === "evidence";
}

/** The votes of one epoch, view and block: what ConsensusHost.votesAhead counts together. */
function votesAheadKey(vote: VoteMessage): string {
  return `${vote.epoch}:${vote.view}:${toHex(vote.blockHash)}`;
}

/** The vote a message carries: a vote, or a proposal (its signature is the leader's vote). */
function carriedVote(message: ConsensusMessage): VoteMessage | null {
  if (message.type === "vote") return message;
  return message.type === "proposal" ? proposalVote(message, blockHashOf(message.block)) : null;
}

/**
 * Block requests answered per observer slot while the committed head stays at one height. An
 * observer that missed blocks needs one or two requests (32 blocks each) per block it sees;
 * the budget stops a registered node outside the set from making this node read and send 32
 * blocks per request as fast as it can ask, and a longer lag is range sync's job.
 */
export const OBSERVER_REQUESTS_PER_HEIGHT_MAX = 2;
/** Messages of a later epoch held until this node's engine reaches it (it commits the switching block a little later than others). */
const FUTURE_EPOCH_MESSAGES_MAX = 4_096;
/** Votes held while idle: a few views' worth from every validator; older ones are dropped. */
const HELD_VOTE_VIEWS_MAX = 4;
/** Transactions sent again per view timeout (oldest first): one block's worth of small ones. */
const REGOSSIP_TXS_MAX = 1_000;
/** Gossiped transactions being verified at once: enough to keep every threadpool thread busy. */
const GOSSIP_ADMISSIONS_IN_FLIGHT_MAX = 32;
/** Gossiped transactions waiting for admission (~35 MB of 3.5 KB transactions). */
const GOSSIP_TXS_WAITING_MAX = 10_000;
const EMPTY_BYTES = new Uint8Array(0);
/** At most one "not voting: clock behind" warning per minute (monotonic). */
const UNTIMELY_WARN_INTERVAL_MS = 60_000;

/** The running engine's epoch: its set, this node's place in it, and how set indices map to network slots. */
type EpochRun = {
  readonly label: number;
  readonly set: EpochValidatorSet;
  /** This validator's index in the set; null: it follows consensus as an observer. */
  readonly selfIndex: number | null;
  readonly verifier: CachingVerifier;
  /** Engine index → network slot, resolved on first use (a joining validator's slot may appear late). */
  readonly slotByIndex: (number | undefined)[];
  readonly indexBySlot: Map<number, number | null>;
  /** Who has not been heard from lately (messages in a validator's name count unchecked: a forged one can only keep its views on the timer). */
  readonly silence: LeaderSilence;
  /** Leaders found absent at their last view, by engine index (noteLeaderAbsence logs the changes). */
  readonly absentLeaders: Map<number, AbsentLeaderCause>;
};

/** Why a view's leader will not propose, as far as this node can tell. */
export type AbsentLeaderCause = "disconnected" | "silent";

export class ConsensusHost extends EventEmitter<{ committed: [CommittedBlockEvent]; error: [Error]; epoch: [{ label: number; selfIndex: number | null }]; behindAnEpoch: [] }> {
  private readonly opts: ConsensusHostOptions;
  private readonly modules: ConsensusHostModules;
  /** This validator's ML-DSA address: how it finds itself in each epoch's set. */
  private readonly address: Uint8Array;
  private run: EpochRun | null = null;
  private engine: ConsensusEngine | null = null;
  /** Set by an epochChange action; performed once the step that emitted it is done. */
  private pendingEpochChange: { validatorSet: ValidatorSet; root: ConsensusRoot } | null = null;
  /** Sightings of this validator's key signing elsewhere (reportSignedElsewhere). */
  private signedElsewhereSeen = 0;
  /**
   * Another signer signed beside this node, now or before (recorded with the signing
   * reservation): this and later epochs' engines observe, until the operator resumes signing.
   */
  private signingStopped: boolean;
  /** Engines this host started (one per epoch): the first quarantines unsigned starts. */
  private enginesStarted = 0;
  private futureMessages: ConsensusMessage[] = [];
  /** Members of the running set (by index) that sent a signed message of a later epoch. */
  private readonly laterEpochSenders = new Set<number>();
  /** Block requests answered per observer slot at the current committed height (one entry per registered slot at most). */
  private readonly observerBudgets = new Map<number, { headHeight: number; answered: number }>();
  private endpoint: NetworkEndpoint | null = null;
  /** The ordered input path: each input is applied after the previous one. */
  private tail: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The view the timer runs for. */
  private timerView = -1;
  private timerDelayMs = 0;
  private timerPostponed = false;
  /** The last view timed out at once because its leader is absent: once per view, since the timer runs again to resend timeouts. */
  private absentLeaderTimedOutView = -1;
  private held: VoteMessage[] = [];
  /**
   * Senders whose votes (a proposal carries its leader's) are being checked ahead or wait in
   * the input queue, by epoch, view and block (votesAheadKey): once they complete a QC, a later
   * vote for that block is surplus and need not be checked ahead (ConsensusEngine.isSurplusVote).
   * Each leaves when the engine takes it.
   */
  private readonly votesAhead = new Map<string, Set<ValidatorIndex>>();
  private gossipAdmitting = 0;
  private gossipWaiting: Uint8Array[] = [];
  private gossipWaitingHead = 0;
  private gossipTxsDroppedTotal = 0;
  private voteDelivery: VoteDelivery = "nextLeader";
  /** A "work" input is queued for a leader that deferred its proposal. */
  private workQueued = false;
  /** A lone validator has no peer to fetch a lost committed block from: every commit is fsynced, inside COMMIT. */
  private commitsNeedFsync = true;
  /** The epoch of the label memo last stored (`rememberEpochLabel`). */
  private epochLabelSaved = -1;
  private emptyBlockCheck: ReturnType<typeof setInterval> | null = null;
  /** What to resend at a view timeout of a stalled chain (regossip.ts). */
  private readonly regossip: RegossipSchedule;
  /** Transactions this validator's clients submitted (`notifyAdmitted`): ownTxs.ts. */
  private readonly ownTxs: OwnTxHashes;
  /** Monotonic time of the last "not voting: clock behind" warning; null: none yet. */
  private untimelyWarnedAtMs: number | null = null;
  private running = false;

  constructor(opts: ConsensusHostOptions, modules: ConsensusHostModules) {
    super();
    assert(Number.isSafeInteger(opts.slot) && opts.slot >= 0, "ConsensusHost: slot is a network slot");
    this.opts = opts;
    this.modules = modules;
    this.address = addressFromPublicKey(modules.key.alg, modules.key.publicKey);
    this.regossip = new RegossipSchedule(opts.regossipAllIntervalMs);
    this.ownTxs = modules.ownTxs ?? new OwnTxHashes(OWN_TX_HASHES_MAX);
    this.signingStopped = (modules.signingReservation?.signingStoppedAtView ?? null) !== null;
  }

  /**
   * Only a process's first engine can meet a second signer it does not know of: one with no
   * safety state of its own may be a copy of a home whose key signs on elsewhere, and one that
   * resumed signing may have been resumed while that signer still runs. Stopped, an engine
   * signs nothing after the view of its stop, or after the views it still kept then
   * (OWN_SIGNATURE_VIEWS), which a beside sighting lies in.
   */
  private secondSignerWatchOfNextEngine(): { readonly quarantineAfterRoot: RootQuarantine; readonly signedAtMostThroughView?: number } {
    if (this.enginesStarted++ > 0) return { quarantineAfterRoot: "never" };
    const stopView = this.opts.resumedFromStopAtView;
    if (stopView === undefined) return { quarantineAfterRoot: "withoutSafetyState" };
    return { quarantineAfterRoot: "always", signedAtMostThroughView: stopView + OWN_SIGNATURE_VIEWS };
  }

  /** The running epoch's label and this node's index in its set (null: observer). */
  get epoch(): { readonly label: number; readonly selfIndex: number | null } | null {
    return this.run === null ? null : { label: this.run.label, selfIndex: this.run.selfIndex };
  }

  get isRunning(): boolean {
    return this.running;
  }

  /**
   * True once members of the running set holding more than a third of its power (so at least
   * one honest one) sent messages of a later epoch: the switching block committed elsewhere
   * and this node missed it. Its engine cannot fetch across the switch (the others refuse its
   * epoch), so the validator syncs by range at once rather than after `stalledBehindMs`
   * ("behindAnEpoch" is emitted as each new sender keeps it true).
   */
  get behindAnEpoch(): boolean {
    const committee = this.engine?.committee;
    if (committee === undefined) return false;
    let power = 0;
    for (const index of this.laterEpochSenders) power += committee.validators[index]?.power ?? 0;
    return power >= validityPower(committee);
  }

  stats(): ConsensusStats | null {
    return this.engine?.stats() ?? null;
  }

  /** Loads the persisted consensus state, joins the network and starts the engine of the head's epoch. */
  async start(): Promise<void> {
    assert(this.engine === null, "ConsensusHost.start: called once");
    const { chain, app, store, key, network, logger } = this.modules;
    const root = consensusRootOf(chain);
    const sets = chain.validatorSets;
    const epoch = sets.epochOf(root.height + 1);
    const savedBlocks = store.loadBlocks(root.height);
    // Restoring re-validates saved blocks synchronously: verify their signatures ahead, in parallel.
    for (const block of savedBlocks) await verifyBlockTxsAhead(block, { chain, app });
    this.running = true;
    this.endpoint = network.attach(this.opts.slot, this.address, (from, frame) => this.onFrame(from, frame));
    const started = this.startEngine(setEpochLabel(sets, epoch, store.loadEpochLabel()), sets.forEpoch(epoch), root, savedBlocks);
    // Inputs (enqueued from now on) wait until the start step's actions are performed.
    if (started !== undefined) this.tail = started.catch((err: Error) => this.fail(err));
    const checkMs = this.opts.emptyBlockCheckMs ?? 0;
    if (checkMs > 0) this.emptyBlockCheck = setInterval(() => this.onWorkMayHaveAppeared(), checkMs);
    // A host that follows a re-sync finds the transactions admitted meanwhile, which no peer
    // heard of (the host before had left the network): without this, the others would learn
    // of them only from this validator's own proposal or after view timeouts.
    const poolTxsGossiped = this.gossipPoolTxs({ carriedToo: false });
    logger.info({ slot: this.opts.slot, epoch: this.run?.label, validator: this.run?.selfIndex, height: root.height, savedBlocks: savedBlocks.length, poolTxsGossiped }, "Consensus started");
  }

  /**
   * Builds and starts the engine of one epoch (decision 0605). This node votes when its key is
   * in the set and observes otherwise. The safety state carries over: views continue across
   * epochs (the engine keeps the vote high-water marks and drops the old certificates).
   * Once another signer was seen beside this one, the node stays an observer.
   */
  private startEngine(label: number, set: EpochValidatorSet, root: ConsensusRoot, savedBlocks: readonly Block[]): Promise<void> | undefined {
    const { chain, app, store, key, signingReservation } = this.modules;
    const selfIndex = this.signingStopped ? null : indexInSet(set.set, this.address);
    const validators = set.set.validators;
    this.voteDelivery = this.opts.voteDelivery ?? voteDeliveryFor(validators.length);
    this.run = { label, set, selfIndex, verifier: createCachingVerifier(createCommitteeVerifier(set.set)), slotByIndex: [], indexBySlot: new Map(), silence: new LeaderSilence(validators.length, this.voteDelivery), absentLeaders: new Map() };
    this.laterEpochSenders.clear();
    this.commitsNeedFsync = validators.length === 1;
    app.enterConsensusEpoch({ label, set });
    store.saveEpochLabel({ epoch: set.epoch, label, setHash: set.hash });
    this.epochLabelSaved = set.epoch;
    // Resolving every member's slot now registers newcomers with the network (libp2p), so their gossip is accepted from the start.
    for (let index = 0; index < validators.length; index++) this.slotOfIndex(this.run, index);
    const signer = selfIndex === null ? null : this.opts.signing === "inline" ? { sign: (message: Uint8Array) => sign(key, message) } : { external: true as const };
    this.engine = createConsensusEngine(
      {
        chainId: chain.genesis.chainId,
        epoch: label,
        validatorSet: set.set,
        selfIndex,
        root,
        safety: signingReservation === undefined ? store.loadSafety() : signingReservation.startingSafety(store.loadSafety(), label, root.view),
        pendingEvidence: this.pendingEvidenceOf(label),
        savedBlocks,
        timing: this.opts.timing,
        voteDelivery: this.voteDelivery,
        ...this.secondSignerWatchOfNextEngine(),
        ...(this.opts.signerLiveAfterTimestampMs === undefined ? {} : { signerLiveAfterTimestampMs: this.opts.signerLiveAfterTimestampMs }),
      },
      // Signatures are made on the threadpool (signAsync) while the event loop serves the other inputs.
      { app, signer, verifier: this.run.verifier, validatorSetProvider: app, blockSource: createStoreBlockSource(chain.store) },
    );
    this.emit("epoch", { label, selfIndex });
    return this.applyStep(this.engine.start());
  }

  /**
   * Persisted evidence this engine can carry: records of its own epoch. Validators check
   * evidence against the running set, so a block carrying an older epoch's would be refused;
   * evidence not committed before a set switch is dropped (decision 0605).
   */
  private pendingEvidenceOf(label: number): Evidence[] {
    const { store, logger } = this.modules;
    const current: Evidence[] = [];
    for (const item of store.loadEvidence()) {
      if (decodeEvidenceRecord(item.first)?.epoch === label) current.push(item);
      else {
        store.dropEvidence(item);
        logger.warn({ epoch: label, validator: toHex(item.validator), view: item.view, kind: item.kind }, "Evidence from an earlier validator set was not committed before the set changed; dropped");
      }
    }
    return current;
  }

  /**
   * Keeps the stored label memo at the newest epoch this run committed in (once per epoch, in
   * the commit's transaction), so a restart walks back through at most the epochs since.
   * Every block this engine commits is certified by its set, so its epoch is in the run.
   */
  private rememberEpochLabel(heightCommitted: number): void {
    const run = this.run;
    const epoch = this.modules.chain.validatorSets.epochOf(heightCommitted);
    if (run === null || epoch <= this.epochLabelSaved) return;
    this.modules.store.saveEpochLabel({ epoch, label: run.label, setHash: run.set.hash });
    this.epochLabelSaved = epoch;
  }

  /** The old engine committed the last block of its set's run: the next set takes over from its root. */
  private switchEpoch(change: { validatorSet: ValidatorSet; root: ConsensusRoot }): Promise<void> | undefined {
    const { chain, logger } = this.modules;
    const epoch = chain.validatorSets.epochOf(change.root.height + 1);
    const set = chain.validatorSets.remember(epoch, change.validatorSet);
    logger.info({ epoch, height: change.root.height, validators: set.set.validators.length, validator: indexInSet(set.set, this.address) }, "Validator set changed");
    this.held = [];
    // Blocks saved above the root belong to the old set's run and are never committed.
    const started = this.startEngine(epoch, set, change.root, []);
    // Messages of this epoch go to the new engine; those of a still later one keep waiting.
    const waiting = this.futureMessages;
    this.futureMessages = waiting.filter((message) => message.epoch > epoch);
    for (const message of waiting) if (message.epoch === epoch) this.enqueue(Promise.resolve({ kind: "message", message }));
    return started;
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
   * canonical since they decoded; re-encoded when not given), and stop being idle. With
   * `relayed` (a Dandelion stem this validator relays), it is not one of its own: its embargo
   * gets it out if the stem breaks, and every holder of a stem resending it at each stalled
   * view timeout multiplied the copies (twenty validators: ~6.7 duplicate admissions per
   * transaction at every validator with Dandelion, ~1.1 without).
   */
  notifyAdmitted(poolTx: PoolTx, bytes?: Uint8Array, opts: { readonly relayed?: boolean } = {}): void {
    // Remembered even by a stopped host (a re-sync under way): the next host resends it.
    if (opts.relayed !== true) this.ownTxs.remember(poolTx.txHashHex, this.isPending);
    if (!this.running) return;
    this.endpoint?.send("all", { topic: NetworkTopic.tx, bytes: bytes ?? encodeSignedTx(poolTx.signedTx) });
    this.releaseHeldVotes();
    this.onWorkMayHaveAppeared();
  }

  // ---- inputs ------------------------------------------------------------------------------

  private onFrame(fromSlot: number, frame: NetworkFrame): void {
    if (frame.topic === NetworkTopic.tx) {
      this.queueGossipedTx(frame.bytes);
      return;
    }
    const run = this.run;
    if (run === null) return;
    // Unsigned messages are attributed to the link: a slot outside the running set has no index (-1: refused as unsigned below).
    const from = this.indexOfSlot(run, fromSlot) ?? -1;
    const decoded = decodeFrame(from, frame.bytes);
    if ("problem" in decoded) {
      this.modules.logger.warn({ from: fromSlot, problem: decoded.problem }, "Dropped a malformed consensus message");
      return;
    }
    const { message } = decoded;
    const unsigned = isUnsignedMessage(message);
    if (unsigned && from < 0) {
      if (message.type === "blockRequest") this.answerObserver(run, fromSlot, message);
      return;
    }
    if (message.epoch > run.label) {
      // A later set already runs elsewhere: keep its signed messages for when this node switches too.
      if (!unsigned && this.futureMessages.length < FUTURE_EPOCH_MESSAGES_MAX) this.futureMessages.push(message);
      // The link proved the sender; the message is checked only once this node switches too.
      if (!unsigned && from >= 0 && !this.laterEpochSenders.has(from)) {
        this.laterEpochSenders.add(from);
        if (this.behindAnEpoch) this.emit("behindAnEpoch");
      }
      return;
    }
    const engine = this.engine;
    // Unsigned messages (a sync info, a block request) are the link's: a validator back from a restart is heard from its first sync info, before it votes.
    if (message.epoch === run.label) run.silence.heard(unsigned ? from : message.sender);
    const carried = engine === null ? null : carriedVote(message);
    if (engine !== null && carried !== null) {
      const key = votesAheadKey(carried);
      const ahead = this.votesAhead.get(key);
      if (message.type === "vote" && engine.isSurplusVote(message, ahead)) {
        // Its view's QC has formed for its block, or the votes on their way complete it: the
        // engine keeps it without checking it (or, if one of those fails its check, checks it).
        this.enqueue(Promise.resolve({ kind: "message", message }));
        return;
      }
      // Only the set's validators: the engine refuses a vote from anyone else.
      if (carried.sender < engine.committee.count) {
        if (ahead === undefined) this.votesAhead.set(key, new Set([carried.sender]));
        else ahead.add(carried.sender);
      }
    }
    const { chain, app } = this.modules;
    const prepared = verifyAhead(message, { chain, app, verifier: run.verifier, validators: run.set.set.validators, voteMessageOf: engine?.voteMessageOf }).then(
      (): Input => ({ kind: "message", message }),
      // Verifying ahead only fills caches; the engine still checks everything itself.
      (): Input => ({ kind: "message", message }),
    );
    this.enqueue(prepared);
  }

  /**
   * A validator outside the running set follows it from proposals and votes; when it missed a
   * block it asks the set for it. The engine takes no messages from outside its set, so the
   * host answers from the engine's blocks (a read) straight to the asking slot.
   */
  private answerObserver(run: EpochRun, slot: number, request: BlockRequestMessage): void {
    const engine = this.engine;
    if (engine === null || request.countMax < 1) return;
    const headHeight = this.modules.chain.head.height;
    const budget = this.observerBudgets.get(slot);
    if (budget === undefined || budget.headHeight !== headHeight) this.observerBudgets.set(slot, { headHeight, answered: 1 });
    else if (budget.answered >= OBSERVER_REQUESTS_PER_HEIGHT_MAX) return;
    else budget.answered += 1;
    const blocks = engine.blocksRequested(request);
    if (blocks.length === 0) return;
    const response = { type: "blockResponse", epoch: run.label, blocks, sender: run.selfIndex ?? 0 } as const;
    this.endpoint?.send(slot, { topic: NetworkTopic.consensus, bytes: encodeConsensusMessage(response) });
  }

  /** The running set's index of the validator on a network slot; null when it is not in the set. */
  private indexOfSlot(run: EpochRun, slot: number): number | null {
    const known = run.indexBySlot.get(slot);
    if (known !== undefined) return known;
    const address = this.modules.network.addressOf(slot);
    const index = address === undefined ? null : indexInSet(run.set.set, address);
    run.indexBySlot.set(slot, index);
    return index;
  }

  /** The network slot of the running set's validator `index`; undefined when the network cannot reach it. */
  private slotOfIndex(run: EpochRun, index: number): number | undefined {
    const known = run.slotByIndex[index];
    if (known !== undefined) return known;
    const validator = run.set.set.validators[index];
    const slot = validator === undefined ? undefined : this.modules.network.slotOf(validator.address);
    if (slot !== undefined) run.slotByIndex[index] = slot;
    return slot;
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
      this.onWorkMayHaveAppeared();
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

  /**
   * A failed signature fails the node once the queue reaches it (the key is broken). The
   * signature is primed as valid: the engine counts its own votes and timeouts unchecked, and
   * when they come back inside a QC or TC nothing needs to verify them again.
   */
  private enqueueSignature(requestId: number, message: Uint8Array): void {
    const engine = this.engine;
    const run = this.run;
    const signed = signAsync(this.modules.key, message).then((signature): Input => {
      if (run !== null && run.selfIndex !== null) run.verifier.prime(run.selfIndex, message, signature, true);
      return { kind: "signature", engine, requestId, signature };
    });
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

  /** Applies one input; a promise when its step waits for the WAL sync (the input path awaits it). */
  private apply(input: Input): Promise<void> | undefined {
    const carried = input.kind === "message" ? carriedVote(input.message) : null;
    if (carried !== null) this.forgetVoteAhead(carried);
    const engine = this.engine;
    if (!this.running || engine === null) return;
    if (input.kind === "message" && input.message.type === "vote" && this.shouldHold(engine, input.message)) {
      this.hold(engine, input.message);
      return;
    }
    if (input.kind === "timer") {
      this.regossipReadyTxs();
      return this.applyStep(engine.onLocalTimer(input.view));
    }
    if (input.kind === "signature") {
      // A signature the previous epoch's engine asked for has no use in this one.
      return input.engine === engine ? this.applyStep(engine.onSignature(input.requestId, input.signature)) : undefined;
    }
    if (input.kind === "work") {
      this.workQueued = false;
      return this.applyStep(engine.onWork());
    }
    return this.applyStep(engine.onMessage(input.message));
  }

  /**
   * A view timed out again with no block committed since the last timeout, while this
   * validator holds ready transactions: perhaps only it has them (gossip is fire-and-forget; a
   * peer may have been down when they arrived), and idle peers would never time out or
   * propose them. That includes transactions an uncommitted block carries: this validator's
   * own proposal may have gone out while its peers were down, and nothing sends a proposal
   * again. Sending them again is harmless (peers refuse duplicates; a block built on a branch
   * that carries one leaves it out). Own transactions go at every such timeout, the whole pool
   * once a minute of the stall (regossip.ts: resends of every pool at every timeout were
   * themselves the load that stalled a large committee).
   */
  private regossipReadyTxs(): void {
    const scope = this.regossip.onViewTimeout(this.modules.chain.head.height, monotonicClock.nowMs());
    if (scope === "none") return;
    if (scope === "own") {
      this.ownTxs.prune(this.isPending);
      if (this.ownTxs.size === 0) return;
    }
    const sent = this.gossipPoolTxs({ carriedToo: true, ownOnly: scope === "own" });
    if (sent > 0) this.modules.logger.debug({ txs: sent, scope }, "Gossiped held transactions again after a view timeout");
  }

  private readonly isPending = (txHashHex: string): boolean => this.modules.mempool.has(txHashHex);

  /**
   * Sends the pool's ready transactions (at most REGOSSIP_TXS_MAX, oldest first) to every peer;
   * returns how many. Unless `carriedToo`, those an uncommitted block carries are left out:
   * peers that have the block have them. With `ownOnly`, only those this validator's clients submitted.
   */
  private gossipPoolTxs(opts: { readonly carriedToo: boolean; readonly ownOnly?: boolean }): number {
    const { mempool, app } = this.modules;
    if (mempool.readyCount === 0) return 0;
    const carried = opts.carriedToo ? null : app.blocks.carriedTxHashes();
    const own = opts.ownOnly === true ? this.ownTxs : null;
    const excluded = (txHashHex: string): boolean => carried?.has(txHashHex) === true || (own !== null && !own.has(txHashHex));
    const txs = mempool.select({ txsMax: REGOSSIP_TXS_MAX, entriesMax: Number.MAX_SAFE_INTEGER, bytesMax: Number.MAX_SAFE_INTEGER }, excluded);
    for (const poolTx of txs) this.endpoint?.send("all", { topic: NetworkTopic.tx, bytes: encodeSignedTx(poolTx.signedTx) });
    return txs.length;
  }

  /**
   * Refusals are routine (late, duplicate, hostile messages): debug. Not voting for valid
   * proposals because this validator's clock is behind is an operator's problem (NTP), so it is
   * a warning, at most one per UNTIMELY_WARN_INTERVAL_MS (every proposal would repeat it).
   */
  private logRejection(rejection: Rejection): void {
    const fields = { slot: this.opts.slot, code: rejection.code, reason: rejection.message };
    if (rejection.code === RejectCode.blockUntimely) {
      const nowMs = monotonicClock.nowMs();
      if (this.untimelyWarnedAtMs === null || nowMs - this.untimelyWarnedAtMs >= UNTIMELY_WARN_INTERVAL_MS) {
        this.untimelyWarnedAtMs = nowMs;
        return this.modules.logger.warn(fields, "Not voting for proposals ahead of this validator's clock (is its clock behind? check NTP); still following the blocks the others certify");
      }
    }
    this.modules.logger.debug(fields, "Consensus input refused");
  }

  /**
   * Performs a step: its writes now, its other actions once the writes are durable. Returns a
   * promise when that waits for the WAL sync thread; the input path awaits it, so the next
   * input is applied after this step's actions.
   */
  private applyStep(step: ConsensusStep): Promise<void> | undefined {
    observeConsensusStep(this.modules.metrics, step);
    if (step.rejection !== null) this.logRejection(step.rejection);
    // All of a step's writes are one transaction, durable before any of its sends or timers
    // (docs/decisions/0200): every write precedes every later action, as the contract asks.
    // A step that only commits skips the fsync: the blocks are final by their QCs and can be
    // fetched again from any honest peer, and the next vote's fsync makes them durable anyway.
    const writes = step.actions.filter(isWrite);
    if (writes.length === 0) return this.performActions(step, []);
    const durable = this.commitsNeedFsync || writes.some((action) => action.kind !== "commit");
    // With the sync thread, COMMIT only writes the WAL, and the thread's fdatasync makes it
    // durable while the event loop serves the other validators, the API and peers. Not for a
    // lone validator: its blocks carry only its own QC, and the API could serve one between
    // COMMIT and sync that a crash of the machine then takes back (decision 0200).
    const walSync = this.commitsNeedFsync ? null : this.modules.walSync;
    const reserved = this.coverSigning(writes);
    const events = this.modules.store.transaction(() => writes.flatMap((action) => this.performWrite(action)), { durable: durable && walSync === null });
    const synced = durable && walSync !== null ? walSync.sync() : null;
    if (synced === null && reserved === null) return this.performActions(step, events);
    return Promise.all([synced, reserved]).then(() => this.performActions(step, events));
  }

  /**
   * The signing reservation of the step's safety states (signingReservation.ts): null when the
   * durable one covers them, else the write to wait for, beside the WAL sync, before the
   * step's sends (its signatures among them) leave.
   */
  private coverSigning(writes: readonly ConsensusAction[]): Promise<void> | null {
    const reservation = this.modules.signingReservation;
    if (reservation === undefined) return null;
    let waiting: Promise<void> | null = null;
    for (const action of writes) if (action.kind === "persistSafety") waiting = reservation.cover(action.state) ?? waiting;
    return waiting;
  }

  /**
   * A step's actions after its writes are durable: commit events, then sends, timers and
   * signature requests, in order. A promise when an epoch switch's start step waits for its sync.
   */
  private performActions(step: ConsensusStep, events: readonly CommittedBlockEvent[]): Promise<void> | undefined {
    // Clients hear of a commit only once it is durable.
    for (const event of events) this.emit("committed", event);
    if (!this.running) return;
    const engine = this.engine as ConsensusEngine;
    for (const action of step.actions) {
      if (!this.running) return;
      if (!isWrite(action)) this.performEffect(action);
    }
    observeConsensusStats(this.modules.metrics, engine.stats());
    // An observer because of a stop (this run's, or one recorded before) has an engine with nothing to stop.
    if (this.signingStopped) this.modules.metrics?.signingStopped.set(1);
    const change = this.pendingEpochChange;
    if (change !== null) {
      this.pendingEpochChange = null;
      // The input being applied waits for the new engine's start step too (its actions come first).
      return this.switchEpoch(change);
    }
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
      case "commit": {
        const events = app.commit(action.blocks);
        const last = action.blocks.at(-1);
        if (last !== undefined) this.rememberEpochLabel(last.block.header.height);
        return events;
      }
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
        if (this.run?.silence.enter(action.view) === true) this.noteLeaderAbsence(action.view);
        // Entered while idle, the view's clock starts when work appears (armTimer).
        this.armTimer(action.view, action.delayMs, this.engine !== null && this.isIdle(this.engine));
        return;
      case "sign":
        // Performed after the step's writes, so the safety state it depends on is durable.
        this.enqueueSignature(action.requestId, action.message);
        return;
      case "epochChange":
        // The old engine is halted; the new one starts once this step's other actions are done.
        this.pendingEpochChange = { validatorSet: action.validatorSet, root: action.root };
        return;
      case "signedElsewhere":
        this.reportSignedElsewhere(action);
        return;
      default:
        assert(false, `performEffect: ${action.kind} is a write`);
    }
  }

  /**
   * Another signer holds this validator's key (engine.ts noticeSignedElsewhere). A second
   * process in lockstep shows it every view: logged at the 1st, 2nd, 4th, 8th... sighting, and
   * when signing stops.
   */
  private reportSignedElsewhere(action: Extract<ConsensusAction, { kind: "signedElsewhere" }>): void {
    const seen = ++this.signedElsewhereSeen;
    const firstStop = action.signingStopped && !this.signingStopped;
    this.signingStopped ||= action.signingStopped;
    const { view, seenIn, verdict, signingStopped } = action;
    const { logger, signingReservation } = this.modules;
    if (firstStop && signingReservation !== undefined) {
      signingReservation.recordSigningStopped(view).catch((err: unknown) => logger.error({ err, view }, "The stop of signing could not be recorded: a restart of this node would sign again"));
    }
    if (!firstStop && (seen & (seen - 1)) !== 0) return;
    logger.error({ view, seenIn, verdict, signingStopped, seenTotal: seen }, signedElsewhereLogMessage(verdict, signingStopped, firstStop));
  }

  /**
   * Encodes once, then queues to each receiver. A proposal goes first to the leader of the
   * next view, which forms the QC: validators in one process take turns on one thread, so
   * the order of delivery is the order of processing.
   */
  private send(to: "all" | number, message: ConsensusMessage): void {
    const endpoint = this.endpoint;
    const run = this.run;
    if (endpoint === null || run === null) return;
    const frame = { topic: NetworkTopic.consensus, bytes: encodeConsensusMessage(message) };
    if (to !== "all") {
      const slot = this.slotOfIndex(run, to);
      if (slot !== undefined) endpoint.send(slot, frame);
      return;
    }
    if (message.type !== "proposal") {
      endpoint.send("all", frame);
      return;
    }
    const validators = run.set.set.validators;
    const count = validators.length;
    const next = leaderOf({ validators }, message.block.header.view + 1);
    const order = [next, ...Array.from({ length: count }, (_, index) => index).filter((index) => index !== next)];
    const sent = new Set<number>([this.opts.slot]);
    for (const index of order) {
      const slot = this.slotOfIndex(run, index);
      if (slot === undefined || sent.has(slot)) continue;
      sent.add(slot);
      endpoint.send(slot, frame);
    }
    // Validators outside the running set follow it from the proposals (and broadcast votes).
    for (const slot of this.modules.network.slots()) if (!sent.has(slot)) endpoint.send(slot, frame);
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

  /** The vote reached the engine: it is no longer on its way. */
  private forgetVoteAhead(vote: VoteMessage): void {
    const key = votesAheadKey(vote);
    const ahead = this.votesAhead.get(key);
    if (ahead === undefined) return;
    ahead.delete(vote.sender);
    if (ahead.size === 0) this.votesAhead.delete(key);
  }

  /**
   * Votes go to the next leader only: a vote for the view this node waits in, which (as next
   * leader) would let it form a QC and propose. With votes broadcast, every validator forms
   * the QC, so holding would only make this one fall behind; the engine defers the proposal
   * itself (ConsensusApplication.isIdle) and the host wakes it (wakeIfWork).
   */
  private shouldHold(engine: ConsensusEngine, vote: VoteMessage): boolean {
    if (this.voteDelivery !== "nextLeader") return false;
    if (vote.view < engine.view || leaderOf(engine.committee, vote.view + 1) !== this.run?.selfIndex) return false;
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

  /** A transaction was admitted, or an empty block may have fallen due. */
  private onWorkMayHaveAppeared(): void {
    this.wakeIfWork();
    this.timeOutNowIfLeaderAbsent();
  }

  /** A leader that deferred its proposal while idle proposes once there is something to order. */
  private wakeIfWork(): void {
    const engine = this.engine;
    if (engine === null || this.workQueued || !engine.awaitsWork || this.isIdle(engine)) return;
    this.workQueued = true;
    this.enqueue(Promise.resolve({ kind: "work" }));
  }

  /**
   * Why the view's leader will not propose, if this node can tell: it was reachable and is not
   * now (ConsensusNetwork.isKnownDown), or, with votes to everyone, nothing in its name reached
   * this node for `silentLeaderViews` views (a hung process, a machine whose connections have
   * not timed out yet, a validator behind sentries that stopped). Waiting out the timer then
   * only delays the timeout certificate that ends the view. Timing out early is always safe
   * (safety never depends on timers); when every live validator sees the same they time out
   * together, and the next view starts a message delay later instead of a view timer later.
   * With nothing to order the view is left to the timer, as any view is (viewTimer.ts).
   */
  private leaderAbsence(engine: ConsensusEngine, view: number): AbsentLeaderCause | null {
    const run = this.run;
    if (run === null || run.selfIndex === null || view !== engine.view || this.absentLeaderTimedOutView === view || this.isIdle(engine)) return null;
    return this.absenceOf(run, leaderOf(engine.committee, view));
  }

  /** Why validator `leader` would not propose, busy or idle (leaderAbsence adds when to act on it). */
  private absenceOf(run: EpochRun, leader: number): AbsentLeaderCause | null {
    if (leader === run.selfIndex) return null;
    const slot = this.slotOfIndex(run, leader);
    if (slot !== undefined && this.modules.network.isKnownDown(slot)) return "disconnected";
    return run.silence.isSilent(leader) ? "silent" : null;
  }

  /** Work appeared while the timer of an absent leader's view was postponed as idle (a timer armed with work was cut short already). */
  private timeOutNowIfLeaderAbsent(): void {
    const engine = this.engine;
    if (!this.timerPostponed || this.timer === null || engine === null || this.leaderAbsence(engine, this.timerView) === null) return;
    this.armTimer(this.timerView, this.timerDelayMs, this.timerPostponed);
  }

  /** The engine's single view timer: each run ends as `viewTimerOutcome` says (viewTimer.ts). */
  private armTimer(view: number, delayMs: number, postponed = false, runMs = delayMs): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerView = view;
    this.timerDelayMs = delayMs;
    this.timerPostponed = postponed;
    const cutShort = this.engine !== null && this.leaderAbsence(this.engine, view) !== null;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        const engine = this.engine;
        if (!this.running || engine === null) return;
        const absence = this.leaderAbsence(engine, view);
        if (absence !== null) {
          this.absentLeaderTimedOutView = view;
          this.modules.metrics?.absentLeaderTimeoutsTotal.inc({ cause: absence });
          this.enqueue(Promise.resolve({ kind: "timer", view }));
          return;
        }
        // Back between the arming and now: the view gets its timer after all.
        if (cutShort) return this.armTimer(view, delayMs, postponed, runMs);
        this.onTimerRun(engine, view, delayMs, postponed);
      },
      cutShort ? 0 : runMs,
    );
  }

  /**
   * Logs, as each view is entered, when its leader turns absent and when it is present again:
   * once per change, not per view, so an operator sees which validator the others work around,
   * and why.
   */
  private noteLeaderAbsence(view: number): void {
    const run = this.run;
    const engine = this.engine;
    if (run === null || engine === null || run.selfIndex === null || view !== engine.view) return;
    const leader = leaderOf(engine.committee, view);
    const before = run.absentLeaders.get(leader) ?? null;
    const absence = this.absenceOf(run, leader);
    if (absence === before) return;
    const validator = run.set.set.validators[leader];
    const fields = { view, leader, address: validator === undefined ? undefined : formatAddress(validator.address), cause: absence ?? before };
    if (absence === null) {
      run.absentLeaders.delete(leader);
      this.modules.logger.info(fields, "A leader is back: its views wait for its proposal again");
    } else {
      run.absentLeaders.set(leader, absence);
      this.modules.logger.warn(fields, absence === "disconnected" ? "A leader is down (its connection closed): its views are timed out at once" : "A leader is silent (nothing in its name for many views): its views are timed out at once");
    }
  }

  /** One run of a view's timer ended: fire, or run again (viewTimer.ts). */
  private onTimerRun(engine: ConsensusEngine, view: number, delayMs: number, postponed: boolean): void {
    const idle = this.isIdle(engine);
    const emptyBlockOnlyDueForMs = idle || postponed || engine.stats().pendingEvidence > 0 ? null : this.modules.app.emptyBlockOnlyDueForMs();
    const outcome = viewTimerOutcome({ idle, postponed, emptyBlockOnlyDueForMs, delayMs });
    if (outcome.kind === "fire") this.enqueue(Promise.resolve({ kind: "timer", view }));
    else this.armTimer(view, delayMs, outcome.postponed, outcome.runMs);
  }
}
