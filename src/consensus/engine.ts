/**
 * The consensus engine: chained HotStuff with the 2-chain commit rule (Jolteon / DiemBFT-v4).
 * Deterministic and I/O-free: each input (message, timer tick) returns the ordered actions the
 * host must perform. A `persistSafety` action always precedes the vote, timeout or proposal
 * that depends on it; the host fsyncs before performing later actions.
 *
 * Flow of a view v: the leader of v proposes a block extending its highest QC (with TC(v-1)
 * if it entered v by timeout), signed as its vote for the block; validators validate
 * (execute) it and send their vote to the leader of v + 1 (or to all), which forms QC(v) with
 * the leader's vote from the proposal, enters v + 1 and proposes. A QC for a block whose parent
 * has the previous view commits the parent. A view that makes no progress times out: every
 * validator broadcasts a timeout; a quorum of timeouts is a TC that moves everyone to v + 1.
 */
import { hashBlockHeader, type Block, type Evidence, type QuorumCertificate, type ValidatorSet } from "../ledger/index.ts";
import { GhostmeshError, assert, bytesEqual, isGhostmeshError, toHex } from "../util/index.ts";
import { BlockTree, type TreeNode } from "./blockTree.ts";
import { bitmapIndices, signatureOfSigner, tcHighQcViewMax, verifyQc, verifyTc, type CertificateContext } from "./certificates.ts";
import { createCommittee, leaderOf, powerOf, validityPower, type Committee } from "./committee.ts";
import { RejectCode, reject, type Rejection } from "./errors.ts";
import { EvidencePool, verifyEvidence } from "./evidence.ts";
import { BlockFetcher } from "./fetcher.ts";
import { invalidProposalEvidence } from "./proposalStructure.ts";
import { createEvidence, createVoteMessageOf, evidenceKey, proposalVote, timeoutMessage, voteRecord, type EvidenceRecord, type VoteMessageOf } from "./messages.ts";
import {
  checkConsensusLimits,
  checkConsensusTiming,
  viewTimeoutsMs,
  defaultConsensusLimits,
  defaultConsensusTiming,
  type ConsensusLimits,
  type ConsensusTiming,
} from "./options.ts";
import { OwnSignatures, SIGNED_ELSEWHERE_QUARANTINE_VIEWS } from "./ownSignatures.ts";
import { afterPropose, afterTimeout, afterVote, initialSafetyState, isSafeToPropose, isSafeToTimeout, isSafeToVote, safetyForNewEpoch, withSigningFloor, type TcSummary } from "./safety.ts";
import { isMessageShape, isUint } from "./shape.ts";
import { TimeoutCollector } from "./timeoutCollector.ts";
import { contextKey, isVerified, markVerified } from "./verifiedCache.ts";
import { VoteCollector } from "./voteCollector.ts";
import type {
  BlockRequestMessage,
  BlockResponseMessage,
  BlockSource,
  ConsensusAction,
  ConsensusApplication,
  ConsensusMessage,
  ConsensusRoot,
  ConsensusSigner,
  EvidenceMessage,
  ExternalSigner,
  ProposalMessage,
  SafetyState,
  SignatureVerifier,
  SignedElsewhereSeenIn,
  SignedElsewhereVerdict,
  SyncInfoMessage,
  TimeoutCertificate,
  TimeoutMessage,
  ValidatorIndex,
  ValidatorSetProvider,
  VoteMessage,
} from "./types.ts";

export type ConsensusEngineOptions = {
  readonly chainId: string;
  readonly epoch: number;
  readonly validatorSet: ValidatorSet;
  /** This node's index in the set; null for a non-voting observer (full node). */
  readonly selfIndex: ValidatorIndex | null;
  readonly root: ConsensusRoot;
  /** The persisted safety state (restart), or null on the very first start. */
  readonly safety: SafetyState | null;
  /** Persisted evidence not yet known to be committed. */
  readonly pendingEvidence?: readonly Evidence[];
  /** Blocks from `saveBlock` actions above the root (restart); re-validated at start. */
  readonly savedBlocks?: readonly Block[];
  readonly timing?: ConsensusTiming;
  readonly limits?: ConsensusLimits;
  /**
   * Where votes go (docs/decisions/0100): "nextLeader" (default; O(n) messages per view) or
   * "all" (O(n^2)): every validator then forms each QC itself and commits as soon as it has
   * one, without waiting for the next proposal to bring it.
   */
  readonly voteDelivery?: VoteDelivery;
  /**
   * Watch for signatures of this validator's key that this engine did not make (default true;
   * OwnSignatures): one above every view it signed in raises its safety state past that view,
   * one beside its own stops its signing. Off only for the simulator's adversaries, which are
   * a key's deliberate copies.
   */
  readonly watchOwnKey?: boolean;
  /**
   * Whether this validator keeps out of the views after the root when it starts
   * (watchRootCertificate), so that a signer still running with its key shows itself first:
   * - "never" (default): a validator joining a set later, its process long running, has no
   *   second signer to expect;
   * - "withoutSafetyState": only with no persisted safety state, on a root past genesis: a
   *   process's first engine (a fresh home after block sync, or a copy of a home);
   * - "always": also with one, for a process that an operator started again after another
   *   signer of its key was seen (`ghostmesh start --resume-signing`).
   */
  readonly quarantineAfterRoot?: RootQuarantine;
  /**
   * When this validator's process started (ms, the clock blocks are stamped by). A block
   * stamped later was proposed, and signed, while this process ran (blurred only by the skew
   * between its proposer's clock and this one). A signature of this key apart from this
   * node's stops its signing only on such a block (isRecentSignature): on an idle chain the
   * head's certificate may be older than this process and still be "the view before". Absent:
   * the view alone decides (the simulator).
   */
  readonly signerLiveAfterTimestampMs?: number;
  /**
   * The highest view this key may have signed in from this home, when the safety state's
   * `lastVotedView` may lie above it with no signature there: a validator stopped by another
   * signer of its key kept raising it by quarantines while it signed nothing. Views above it
   * are judged (OwnSignatures) instead of taken for this engine's own, so a signer still
   * running when the operator resumes this one is seen there. Absent: `lastVotedView`.
   */
  readonly signedAtMostThroughView?: number;
};

export type RootQuarantine = "never" | "withoutSafetyState" | "always";

export type VoteDelivery = "nextLeader" | "all";

export type ConsensusModules = {
  readonly app: ConsensusApplication;
  /** Null for observers. */
  readonly signer: ConsensusSigner | ExternalSigner | null;
  readonly verifier: SignatureVerifier;
  readonly validatorSetProvider: ValidatorSetProvider | null;
  readonly blockSource: BlockSource | null;
};

/** The result of one input: actions to perform in order, and why (part of) the input was refused. */
export type ConsensusStep = { readonly actions: readonly ConsensusAction[]; readonly rejection: Rejection | null };

export type ConsensusStats = {
  readonly view: number;
  readonly highQcView: number;
  readonly committedHeight: number;
  readonly treeBlocks: number;
  readonly stagedBlocks: number;
  readonly pendingEvidence: number;
  readonly fetchesDroppedTotal: number;
  readonly evidenceDroppedTotal: number;
  readonly pendingProposalsDroppedTotal: number;
  /** Another signer was seen signing beside this validator's key: this engine signs nothing more. */
  readonly signingStopped: boolean;
};

/** Blocks are immutable once built, so one hash per object is enough (the simulator shares objects). */
const blockHashCache = new WeakMap<Block, Uint8Array>();

export function blockHashOf(block: Block): Uint8Array {
  let hash = blockHashCache.get(block);
  if (hash === undefined) {
    hash = hashBlockHeader(block.header);
    blockHashCache.set(block, hash);
  }
  return hash;
}

type ProposalSeen = { readonly hashHex: string; readonly record: EvidenceRecord };

/** What to do with a signature once it exists: the engine's three signed messages. */
type SignatureUse =
  | { readonly kind: "proposal"; readonly node: TreeNode; readonly tc: TimeoutCertificate | null }
  | { readonly kind: "vote"; readonly node: TreeNode }
  | { readonly kind: "timeout"; readonly view: number; readonly highQc: QuorumCertificate | null; readonly tc: TimeoutCertificate | null };

function viewOfSignatureUse(use: SignatureUse): number {
  return use.kind === "timeout" ? use.view : use.node.view;
}

/** Signatures an external signer still owes; a few per view at most, so a small bound catches a host that never answers. */
const PENDING_SIGNATURES_MAX = 64;
/**
 * Views a leader that forms quorums alone (a committee of one, or the adversary's copy of a
 * key) proposes in one step when it signs inline: each proposal's own vote certifies it at
 * once and enters the next view. Beyond it the chain waits for the next input (work, a timer,
 * a message) instead of recursing without bound.
 */
const SELF_CERTIFIED_VIEWS_PER_STEP_MAX = 16;

const EMPTY_SENDERS: ReadonlySet<ValidatorIndex> = new Set();

export function createConsensusEngine(opts: ConsensusEngineOptions, modules: ConsensusModules): ConsensusEngine {
  return new ConsensusEngine(opts, modules);
}

export class ConsensusEngine {
  readonly chainId: string;
  readonly epoch: number;
  readonly committee: Committee;
  /** Invariant: null or < committee.count; equal to a validator whose key `signer` holds. */
  readonly selfIndex: ValidatorIndex | null;
  /** voteMessage for this chain, remembered per view: for the host's checks ahead too (one validator's work). */
  readonly voteMessageOf: VoteMessageOf;
  private readonly modules: ConsensusModules;
  private readonly timing: ConsensusTiming;
  private readonly timeoutDelaysByFailedViewsMs: readonly number[];
  private readonly voteDelivery: VoteDelivery;
  private readonly limits: ConsensusLimits;
  private readonly ctx: CertificateContext;
  private readonly tree: BlockTree;
  private readonly votes: VoteCollector;
  private readonly timeouts: TimeoutCollector;
  private readonly evidence: EvidencePool;
  private readonly fetcher: BlockFetcher;
  private readonly pendingProposals = new Map<number, { readonly hash: Uint8Array; readonly proposal: ProposalMessage }>();
  private readonly proposalsSeen = new Map<number, ProposalSeen>();
  /** Refused proposals already checked for invalid-proposal evidence. */
  private readonly structureChecked = new WeakSet<ProposalMessage>();
  /** See verifiedCache.ts: verdicts are memoised per (object, this context). */
  private readonly verifiedContext: string;
  private safety: SafetyState;
  private currentView: number;
  /** Highest known QC; null is the genesis certificate (view 0). */
  private highQc: QuorumCertificate | null;
  private highQcViewValue: number;
  /** TC of view - 1 when the current view was entered by timeout, else null. */
  private lastTc: TimeoutCertificate | null = null;
  private ownTimeout: TimeoutMessage | null = null;
  private started = false;
  /** True while start() re-inserts saved blocks: certificates then raise highQc but enter no view. */
  private restoring = false;
  private readonly savedBlocks: readonly Block[];
  private halted = false;
  private pendingProposalsDroppedTotal = 0;
  private out: ConsensusAction[] = [];
  private readonly pendingSignatures = new Map<number, SignatureUse>();
  private nextSignRequestId = 1;
  /** The view whose timeout is being signed externally, so it is not signed twice. */
  private timeoutSigningView = -1;
  /** The view this leader did not propose in yet because the application was idle. */
  private proposalDeferredView = -1;
  /** True while tryPropose runs: a proposal that certifies itself re-enters it (see step). */
  private proposing = false;
  /** A view entered while proposing, whose proposal step makes once the first returns. */
  private selfCertifiedView = -1;
  /** Per peer, the view of ours in which it last got our sync info: one reply per view. */
  private readonly syncInfoRepliedViews = new Map<ValidatorIndex, number>();
  /** The view in which this next leader asked the voters of a proposal it never got for their QC. */
  private missedQcAskedView = -1;
  /** This validator's recent signatures; null for observers and when not watching (options). */
  private readonly ownSignatures: OwnSignatures | null;
  /** Set once another signer signs beside this validator's key: nothing more is signed. */
  private signingStopped = false;
  /** Started from a persisted safety state (not the root-derived initial one). */
  private readonly safetyPersisted: boolean;
  /** Options: whether this start quarantines the views after the root (watchRootCertificate). */
  private readonly quarantineAfterRoot: RootQuarantine;
  private readonly signerLiveAfterTimestampMs: number | undefined;
  /** Views up to this one were quarantined (quarantine): their timeouts wait for the timer. */
  private quarantinedThroughView = -1;

  constructor(opts: ConsensusEngineOptions, modules: ConsensusModules) {
    this.timing = opts.timing ?? defaultConsensusTiming;
    this.voteDelivery = opts.voteDelivery ?? "nextLeader";
    this.limits = opts.limits ?? defaultConsensusLimits;
    checkConsensusTiming(this.timing);
    this.timeoutDelaysByFailedViewsMs = viewTimeoutsMs(this.timing);
    checkConsensusLimits(this.limits);
    assert(typeof opts.chainId === "string" && opts.chainId.length > 0 && isUint(opts.epoch), "engine: chainId and epoch");
    this.committee = createCommittee(opts.validatorSet);
    assert(opts.selfIndex === null || (isUint(opts.selfIndex) && opts.selfIndex < this.committee.count), "engine: selfIndex is in the set");
    assert((opts.selfIndex === null) === (modules.signer === null), "engine: a validator has a signer, an observer none");
    const { root } = opts;
    assert(root.height === 0 ? root.qc === null && root.view === 0 : root.qc !== null && root.qc.view === root.view, "engine: root QC matches the root");
    this.chainId = opts.chainId;
    this.epoch = opts.epoch;
    this.selfIndex = opts.selfIndex;
    this.modules = modules;
    this.voteMessageOf = createVoteMessageOf(opts.chainId);
    this.ctx = { chainId: opts.chainId, epoch: opts.epoch, committee: this.committee, verifier: modules.verifier, voteMessageOf: this.voteMessageOf };
    this.verifiedContext = contextKey(opts.chainId, opts.epoch, this.committee);
    this.tree = new BlockTree(root, this.limits.treeBlocksMax);
    this.votes = new VoteCollector(this.committee);
    this.timeouts = new TimeoutCollector(this.committee);
    this.evidence = new EvidencePool(this.limits, opts.pendingEvidence ?? []);
    this.fetcher = new BlockFetcher(this.limits.fetchesMax, this.limits.stagedBlocksMax);
    this.savedBlocks = opts.savedBlocks ?? [];
    this.safety = restoreSafety(opts.safety, opts.epoch, root.view);
    this.safetyPersisted = opts.safety !== null;
    this.quarantineAfterRoot = opts.quarantineAfterRoot ?? "never";
    this.signerLiveAfterTimestampMs = opts.signerLiveAfterTimestampMs;
    const signedThroughView = Math.min(this.safety.lastVotedView, opts.signedAtMostThroughView ?? this.safety.lastVotedView);
    this.ownSignatures = opts.selfIndex !== null && (opts.watchOwnKey ?? true) ? new OwnSignatures(signedThroughView) : null;
    this.currentView = root.view;
    const saved = this.safety.highQc;
    this.highQc = saved !== null && saved.view > root.view ? saved : root.qc;
    this.highQcViewValue = this.highQc?.view ?? 0;
  }

  get view(): number {
    return this.currentView;
  }

  get safetyState(): SafetyState {
    return this.safety;
  }

  get highQcView(): number {
    return this.highQcViewValue;
  }

  get committedRoot(): ConsensusRoot {
    return this.tree.root;
  }

  get isHalted(): boolean {
    return this.halted;
  }

  stats(): ConsensusStats {
    return {
      view: this.currentView,
      highQcView: this.highQcViewValue,
      committedHeight: this.tree.root.height,
      treeBlocks: this.tree.size,
      stagedBlocks: this.fetcher.stagedCount,
      pendingEvidence: this.evidence.pendingCount,
      fetchesDroppedTotal: this.fetcher.droppedTotal,
      evidenceDroppedTotal: this.evidence.droppedTotal,
      pendingProposalsDroppedTotal: this.pendingProposalsDroppedTotal,
      signingStopped: this.signingStopped,
    };
  }

  /**
   * Enters the first view after the root and arms the timer; proposes if this node leads it.
   * A validator also sends its certificates to every peer: a peer that is ahead answers with
   * its own, so a restarted or just-synced validator learns the current view at once.
   */
  start(): ConsensusStep {
    assert(!this.started, "start: called once");
    this.started = true;
    return this.step(() => {
      this.watchRootCertificate();
      this.restoreSavedBlocks();
      // A restart resumes in the view its persisted certificates justify.
      const tc = this.safety.lastTc !== null && this.safety.lastTc.view >= this.highQcViewValue ? this.safety.lastTc : null;
      this.enterView(Math.max(this.highQcViewValue, tc?.view ?? 0, this.currentView) + 1, tc);
      if (this.selfIndex !== null) this.emit({ kind: "send", to: "all", message: this.syncInfo() });
      return null;
    });
  }

  /**
   * No vote or proposal through `throughView` (withSigningFloor, persisted), and no timeout
   * there but on the view's own timer: a signer of this key still running signs in those views
   * and shows itself there, beside nothing of ours, before we sign beside it. Timeouts stay
   * allowed, or a committee that needs this validator's could never leave those views.
   */
  private quarantine(throughView: number): void {
    this.persist(withSigningFloor(this.safety, throughView));
    this.quarantinedThroughView = Math.max(this.quarantinedThroughView, throughView);
  }

  /**
   * The root's QC came from the store or from block sync, not through checkQc: read here for
   * this validator's key before it signs in the view after the root.
   * - With a persisted safety state, as any certificate (watchCertificateSigner).
   * - Without one, on a chain past genesis: it signed nothing here (its state only assumes the
   *   root's view), so its key in the root's QC is another signer's.
   * Only a QC of this epoch's set is read: a root that closed the previous epoch counts that
   * set's signers, by their indices in it. Then, as `quarantineAfterRoot` asks, it quarantines
   * the views after the root: a signer still running signs there and is caught, in views this
   * one kept out of (noticeSignedElsewhere).
   */
  private watchRootCertificate(): void {
    if (this.ownSignatures === null) return;
    const root = this.tree.root;
    const qc = root.qc;
    if (qc !== null && !(this.safetyPersisted && qc.view <= this.safety.lastVotedView) && verifyQc(qc, this.ctx) === null) {
      if (this.safetyPersisted) this.watchCertificateSigner(qc.view, qc.signers, qc.signatures, "qc", qc.blockHash);
      else if (signatureOfSigner(qc.signers, qc.signatures, this.committee.count, this.selfIndex as ValidatorIndex) !== null) this.noticeSignedElsewhere(qc.view, "ahead", "qc", null);
    }
    const quarantined = this.quarantineAfterRoot === "always" || (this.quarantineAfterRoot === "withoutSafetyState" && !this.safetyPersisted && qc !== null);
    const throughView = root.view + SIGNED_ELSEWHERE_QUARANTINE_VIEWS;
    // The root's QC may have quarantined exactly these views already: one write is enough.
    if (quarantined && throughView > this.quarantinedThroughView) this.quarantine(throughView);
  }

  /** Saved blocks in height order; one that no longer validates (or connects) is dropped. */
  private restoreSavedBlocks(): void {
    this.restoring = true;
    const rootHeight = this.tree.root.height;
    const ordered = [...this.savedBlocks].filter((b) => b.header.height > rootHeight).sort((a, b) => a.header.height - b.header.height);
    for (const block of ordered) {
      const hash = blockHashOf(block);
      if (this.tree.isKnown(toHex(block.header.parentHash)) && !this.tree.isKnown(toHex(hash))) this.insertBlock(block, hash);
    }
    this.restoring = false;
  }

  onMessage(message: ConsensusMessage): ConsensusStep {
    if (!isMessageShape(message)) return { actions: [], rejection: reject(RejectCode.malformed, "message shape") };
    switch (message.type) {
      case "proposal":
        return this.onProposal(message);
      case "vote":
        return this.onVote(message);
      case "timeout":
        return this.onTimeout(message);
      case "blockRequest":
        return this.onBlockRequest(message);
      case "blockResponse":
        return this.onBlockResponse(message);
      case "evidence":
        return this.onEvidence(message);
      case "syncInfo":
        return this.onSyncInfo(message);
    }
  }

  onProposal(proposal: ProposalMessage): ConsensusStep {
    return this.step(() => this.handleProposal(proposal));
  }

  onVote(vote: VoteMessage): ConsensusStep {
    return this.step(() => this.handleVote(vote));
  }

  onTimeout(timeout: TimeoutMessage): ConsensusStep {
    return this.step(() => this.handleTimeout(timeout));
  }

  onBlockRequest(request: BlockRequestMessage): ConsensusStep {
    return this.step(() => this.handleBlockRequest(request), true);
  }

  onBlockResponse(response: BlockResponseMessage): ConsensusStep {
    return this.step(() => this.handleBlockResponse(response));
  }

  onEvidence(message: EvidenceMessage): ConsensusStep {
    return this.step(() => this.handleEvidence(message));
  }

  onSyncInfo(info: SyncInfoMessage): ConsensusStep {
    return this.step(() => this.handleSyncInfo(info));
  }

  /**
   * An external signer's answer to a `sign` action. The state the signature depends on was
   * persisted before the action; what the message still means is re-checked here (a
   * proposal for a view already left is dropped, a vote or timeout is sent anyway).
   */
  onSignature(requestId: number, signature: Uint8Array): ConsensusStep {
    return this.step(() => {
      const use = this.pendingSignatures.get(requestId);
      if (use === undefined) return reject(RejectCode.unexpectedSignature, `no signature request ${requestId} is pending`);
      this.pendingSignatures.delete(requestId);
      this.useSignature(use, signature);
      return null;
    });
  }

  /** True while this leader defers its proposal for the current view (ConsensusApplication.isIdle). */
  get awaitsWork(): boolean {
    return this.proposalDeferredView === this.currentView;
  }

  /** The application has something to order again: a deferred proposal is made now. */
  onWork(): ConsensusStep {
    return this.step(() => {
      if (this.proposalDeferredView !== this.currentView) return null;
      // Cleared first: a proposal no longer allowed here (the safety state was raised past the
      // view, signing stopped) must not leave the engine awaiting work, or every step wakes it again.
      this.proposalDeferredView = -1;
      this.tryPropose();
      return null;
    });
  }

  /** The view timer fired. Stale timers (another view) are ignored. */
  onLocalTimer(view: number): ConsensusStep {
    return this.step(() => {
      if (view !== this.currentView) return null;
      this.localTimeout();
      this.retryFetches();
      this.emit({ kind: "setTimer", view, delayMs: this.timeoutDelayMs(view) });
      return null;
    });
  }

  // ---- step plumbing -------------------------------------------------------------------

  private step(run: () => Rejection | null, allowWhenHalted = false): ConsensusStep {
    assert(this.out.length === 0, "step: not re-entered");
    assert(this.started, "step: start() is called before any input");
    if (this.halted && !allowWhenHalted) return { actions: [], rejection: reject(RejectCode.halted, `epoch ${this.epoch} has ended`) };
    const rejection = run();
    for (let made = 0; made < SELF_CERTIFIED_VIEWS_PER_STEP_MAX && this.selfCertifiedView === this.currentView && !this.halted; made++) {
      this.selfCertifiedView = -1;
      this.tryPropose();
    }
    const actions = this.out;
    this.out = [];
    return { actions, rejection };
  }

  private emit(action: ConsensusAction): void {
    this.out.push(action);
  }

  /** Records the rule state with the current certificates and emits the write. */
  private persist(state: SafetyState): void {
    this.safety = { ...state, highQc: this.highQc, lastTc: this.lastTc };
    this.emit({ kind: "persistSafety", state: this.safety });
  }

  private precheck(message: ConsensusMessage, signed: boolean): Rejection | null {
    if (!isMessageShape(message)) return reject(RejectCode.malformed, "message shape");
    if (message.epoch !== this.epoch) return reject(RejectCode.epochMismatch, `message epoch ${message.epoch}, engine epoch ${this.epoch}`);
    if (message.sender >= this.committee.count) return reject(RejectCode.unknownSender, `sender ${message.sender} of ${this.committee.count}`);
    if (signed && message.sender === this.selfIndex) return this.fromOwnKey(message);
    return null;
  }

  /**
   * A message signed with this validator's key is never processed: it is an echo of our own,
   * or the proof that another signer holds the key (OwnSignatures), which is acted on here.
   */
  private fromOwnKey(message: ConsensusMessage): Rejection {
    const echo = reject(RejectCode.fromSelf, "own message echoed back");
    const signed = this.ownKeySigned(message);
    if (signed === null || this.ownSignatures === null) return echo;
    const verdict = this.ownSignatures.verdict(signed.view, signed.signature, this.safety.lastVotedView);
    if (verdict === "own") return echo;
    // Before the check, a peer could forge any bytes; after it, only the key made them.
    if (!this.checkSignature(message, message.sender, signed.message, signed.signature)) return reject(RejectCode.badSignature, `${message.type} signature`);
    this.noticeSignedElsewhere(signed.view, verdict, message.type as SignedElsewhereSeenIn, this.signedBlockTimestampOf(message));
    return reject(RejectCode.signedElsewhere, `this validator's key signed a ${message.type} for view ${signed.view} that this node did not sign`);
  }

  /** The view, signature and signed bytes of a proposal, vote or timeout; null for other messages. */
  private ownKeySigned(message: ConsensusMessage): { view: number; signature: Uint8Array; message: () => Uint8Array } | null {
    switch (message.type) {
      case "proposal": {
        const { header } = message.block;
        return { view: header.view, signature: message.signature, message: () => this.voteMessageOf(header.view, header.height, blockHashOf(message.block)) };
      }
      case "vote":
        return { view: message.view, signature: message.signature, message: () => this.voteMessageOf(message.view, message.height, message.blockHash) };
      case "timeout": {
        const highQcView = message.highQc?.view ?? 0;
        if (highQcView >= message.view) return null;
        return { view: message.view, signature: message.signature, message: () => timeoutMessage(this.chainId, this.epoch, message.view, highQcView) };
      }
      default:
        return null;
    }
  }

  /** A verified certificate that counts this validator's key: is that signature ours? */
  private watchCertificateSigner(view: number, signers: Uint8Array, signatures: readonly Uint8Array[], seenIn: SignedElsewhereSeenIn, blockHash: Uint8Array | null): void {
    if (this.ownSignatures === null) return;
    const signature = signatureOfSigner(signers, signatures, this.committee.count, this.selfIndex as ValidatorIndex);
    if (signature === null) return;
    const verdict = this.ownSignatures.verdict(view, signature, this.safety.lastVotedView);
    if (verdict !== "own") this.noticeSignedElsewhere(view, verdict, seenIn, blockHash === null ? null : this.blockTimestampOf(blockHash));
  }

  /**
   * Another signer holds this validator's key.
   * - Ahead of us, its views are ones we must never sign in: the engine quarantines them and a
   *   few more (quarantine).
   * - Beside us, in a view we sign in too, no floor keeps the two apart: signing stops.
   * - Apart from us, in a view we did not sign in below our mark (a quarantine's, say), it is
   *   no conflict. Recent (isRecentSignature), the other signer is running now, after we kept
   *   out of its way: this node stands down, so the signer that was there first goes on.
   *   Older, it may be a process stopped since (a block's QC fetched while catching up after a
   *   restart, or an idle chain's head): the quarantine only. (The root's QC at start is judged
   *   only above the mark: never apart.)
   */
  private noticeSignedElsewhere(view: number, verdict: SignedElsewhereVerdict, seenIn: SignedElsewhereSeenIn, blockTimestampMs: number | null): void {
    const runningNow = verdict === "beside" || (verdict === "apart" && this.isRecentSignature(view, blockTimestampMs));
    if (runningNow) this.signingStopped = true;
    else this.quarantine(view + SIGNED_ELSEWHERE_QUARANTINE_VIEWS);
    this.emit({ kind: "signedElsewhere", view, seenIn, verdict, signingStopped: this.signingStopped });
  }

  /**
   * A signature apart from ours proves another signer runs now, not a process stopped since,
   * when it is in this view or the one before and, if this engine knows when its process
   * started, on a block stamped after that (timeouts and TCs name no block: never). On an idle
   * chain the view alone would take the head's certificate, minutes old, for a running signer.
   */
  private isRecentSignature(view: number, blockTimestampMs: number | null): boolean {
    if (view + 1 < this.currentView) return false;
    const liveAfterMs = this.signerLiveAfterTimestampMs;
    return liveAfterMs === undefined || (blockTimestampMs !== null && blockTimestampMs > liveAfterMs);
  }

  /** The timestamp of the block with this hash, if this engine holds it (the root or a block of its tree). */
  private blockTimestampOf(hash: Uint8Array): number | null {
    const hashHex = toHex(hash);
    const root = this.tree.root;
    if (root.hashHex === hashHex) return root.block?.header.timestamp ?? null;
    return this.tree.get(hashHex)?.block.header.timestamp ?? null;
  }

  /** The block a proposal carries, or the one a vote names; a timeout names none. */
  private signedBlockTimestampOf(message: ConsensusMessage): number | null {
    if (message.type === "proposal") return message.block.header.timestamp;
    if (message.type === "vote") return this.blockTimestampOf(message.blockHash);
    return null;
  }

  // ---- certificates and views ----------------------------------------------------------

  private isRootQc(qc: QuorumCertificate): boolean {
    const rootQc = this.tree.root.qc;
    return rootQc !== null && (qc === rootQc || qcEquals(qc, rootQc));
  }

  private checkQc(qc: QuorumCertificate): Rejection | null {
    if (isVerified(qc, this.verifiedContext) || this.isRootQc(qc)) return null;
    const rejection = verifyQc(qc, this.ctx);
    if (rejection !== null) return rejection;
    markVerified(qc, this.verifiedContext);
    this.watchCertificateSigner(qc.view, qc.signers, qc.signatures, "qc", qc.blockHash);
    return null;
  }

  private checkTc(tc: TimeoutCertificate): Rejection | null {
    if (isVerified(tc, this.verifiedContext)) return null;
    const rejection = verifyTc(tc, this.ctx);
    if (rejection !== null) return rejection;
    markVerified(tc, this.verifiedContext);
    this.watchCertificateSigner(tc.view, tc.signers, tc.signatures, "tc", null);
    return null;
  }

  /** Verifies a signed message once per object (the signature covers `signed()`, computed only on a miss). */
  private checkSignature(message: object, sender: ValidatorIndex, signed: () => Uint8Array, signature: Uint8Array): boolean {
    if (isVerified(message, this.verifiedContext)) return true;
    const valid = this.modules.verifier.verify(sender, signed(), signature);
    if (valid) markVerified(message, this.verifiedContext);
    return valid;
  }

  private checkEvidence(evidence: Evidence): Rejection | null {
    if (isVerified(evidence, this.verifiedContext)) return null;
    const rejection = verifyEvidence(evidence, this.ctx);
    if (rejection === null) markVerified(evidence, this.verifiedContext);
    return rejection;
  }

  /** Verifies both certificates first, then acts on them (a bad one changes nothing). */
  private acceptCertificates(qc: QuorumCertificate | null, tc: TimeoutCertificate | null): Rejection | null {
    const rejection = (qc === null ? null : this.checkQc(qc)) ?? (tc === null ? null : this.checkTc(tc));
    if (rejection !== null) return rejection;
    if (qc !== null) this.processQc(qc);
    if (tc !== null && !this.halted) this.processTc(tc);
    return null;
  }

  private processQc(qc: QuorumCertificate): void {
    const raised = qc.view > this.highQcViewValue;
    if (raised) {
      this.highQc = qc;
      this.highQcViewValue = qc.view;
    }
    this.tryCommit(qc);
    if (this.halted || this.restoring) return;
    if (qc.view >= this.currentView) this.enterView(qc.view + 1, null);
    // A leader that entered its view by a TC reporting a QC it lacked could not propose; with
    // that QC it can (tryPropose does nothing if it already proposed).
    else if (raised && this.selfIndex !== null && leaderOf(this.committee, this.currentView) === this.selfIndex) this.tryPropose();
  }

  private processTc(tc: TimeoutCertificate): void {
    if (tc.view >= this.currentView) this.enterView(tc.view + 1, tc);
  }

  private enterView(view: number, tc: TimeoutCertificate | null): void {
    assert(view > this.currentView, "enterView: views only move forward");
    this.currentView = view;
    this.lastTc = tc;
    this.ownTimeout = null;
    this.ownSignatures?.prune(view);
    this.votes.prune(view - 1);
    this.timeouts.prune(view);
    // The previous view's held proposal stays: no vote for it now, but the QC that ended its
    // view usually certifies exactly its block, the parent of the next proposal; inserted once
    // its own parent arrives (resumeAfterInsert), it spares fetching that block again.
    for (const pendingView of [...this.pendingProposals.keys()]) if (pendingView < view - 1) this.pendingProposals.delete(pendingView);
    const seenMin = view - this.limits.proposalsSeenViewsMax;
    for (const seenView of [...this.proposalsSeen.keys()]) if (seenView < seenMin) this.proposalsSeen.delete(seenView);
    this.emit({ kind: "setTimer", view, delayMs: this.timeoutDelayMs(view) });
    if (this.selfIndex === null) return;
    // A view this validator already voted in (in an earlier epoch, or before a restart) can
    // hold neither its vote nor its proposal, whose signature is a vote: waiting out the timer
    // would only delay the TC. At an epoch switch every view the old set used after the root
    // is such a view, and each would otherwise cost a timer, doubling (0605).
    // Quarantined views wait for their timer: a healthy committee leaves them first (quarantine).
    if (view <= this.safety.lastVotedView) {
      if (view > this.quarantinedThroughView) this.localTimeout();
    } else if (leaderOf(this.committee, view) === this.selfIndex) this.tryPropose();
  }

  /** Exponential backoff while views fail: the timer for the views since the last QC, capped. */
  private timeoutDelayMs(view: number): number {
    const failedViews = Math.max(0, view - this.highQcViewValue - 1);
    return this.timeoutDelaysByFailedViewsMs[Math.min(failedViews, this.timing.backoffExponentMax)] as number;
  }

  private tcSummaryFor(view: number, tc: TimeoutCertificate | null): TcSummary | null {
    const candidate = tc !== null && tc.view + 1 === view ? tc : this.lastTc !== null && this.lastTc.view + 1 === view ? this.lastTc : null;
    return candidate === null ? null : { view: candidate.view, highQcViewMax: tcHighQcViewMax(candidate) };
  }

  // ---- commit ----------------------------------------------------------------------------

  private tryCommit(qc: QuorumCertificate): void {
    if (this.halted) return;
    const certifiedHex = toHex(qc.blockHash);
    const target = this.tree.commitCandidate(certifiedHex);
    if (target === undefined) return;
    const certified = this.tree.get(certifiedHex) as TreeNode;
    const path = this.tree.pathFromRoot(target.hashHex);
    assert(path !== undefined && path.length > 0, "tryCommit: a tree node is connected to the root");
    const committed: { node: TreeNode; qc: QuorumCertificate }[] = [];
    let nextSet: ValidatorSet | null = null;
    for (let k = 0; k < path.length && nextSet === null; k++) {
      const node = path[k] as TreeNode;
      const child = k + 1 < path.length ? (path[k + 1] as TreeNode) : certified;
      const certifying = child.block.header.justify;
      assert(certifying !== null && bytesEqual(certifying.blockHash, node.hash), "tryCommit: each committed block is certified by its child");
      committed.push({ node, qc: certifying });
      nextSet = this.modules.validatorSetProvider?.nextValidatorSet(node.block, node.hash) ?? null;
    }
    this.emit({ kind: "commit", blocks: committed.map(({ node, qc: q }) => ({ block: node.block, hash: node.hash, qc: q })), commitQc: qc });
    for (const { node } of committed) this.evidence.markCommitted(node.block.evidence);
    const last = committed[committed.length - 1] as { node: TreeNode; qc: QuorumCertificate };
    this.tree.advanceRoot(last.node, last.qc);
    this.fetcher.pruneStaged(last.node.height);
    if (nextSet !== null) {
      this.halted = true;
      this.emit({ kind: "epochChange", epoch: this.epoch + 1, validatorSet: nextSet, root: this.tree.root });
    }
  }

  // ---- proposals -------------------------------------------------------------------------

  private handleProposal(proposal: ProposalMessage): Rejection | null {
    const pre = this.precheck(proposal, true);
    if (pre !== null) return pre;
    const { header } = proposal.block;
    if (leaderOf(this.committee, header.view) !== proposal.sender) return reject(RejectCode.wrongLeader, `validator ${proposal.sender} does not lead view ${header.view}`);
    const hash = blockHashOf(proposal.block);
    const signed = (): Uint8Array => this.voteMessageOf(header.view, header.height, hash);
    if (!this.checkSignature(proposal, proposal.sender, signed, proposal.signature)) return reject(RejectCode.badSignature, "proposal signature");
    const rejection = this.handleSignedProposal(proposal, hash);
    if (rejection?.code === RejectCode.blockInvalid) this.reportInvalidProposal(proposal, hash);
    // After the block, so our own vote goes out first; the leader's vote is counted whether or
    // not we vote (a block refused here may be one the others certify).
    if (!this.halted) this.collectLeaderVote(proposal, hash);
    return rejection;
  }

  /** The leader's vote a verified proposal carries, counted as a vote message would be. */
  private collectLeaderVote(proposal: ProposalMessage, hash: Uint8Array): void {
    const vote = proposalVote(proposal, hash);
    if (this.uncollectedVote(vote) === null) this.collectVote(vote);
  }

  private handleSignedProposal(proposal: ProposalMessage, hash: Uint8Array): Rejection | null {
    const { header } = proposal.block;
    const certificates = this.acceptCertificates(header.justify, proposal.tc);
    if (certificates !== null) return certificates;
    if (this.halted) return null;
    if (header.view > this.currentView) return reject(RejectCode.viewNotJustified, `proposal for view ${header.view} without a certificate for view ${header.view - 1}`);
    this.recordProposal(proposal, hash);
    if (header.view < this.currentView) return this.insertLateBlock(proposal.block, hash);
    // The parent to fetch must be the block the verified QC certifies, never a hash the proposer made up.
    const certified = header.justify === null ? this.tree.root.hash : header.justify.blockHash;
    if (!bytesEqual(header.parentHash, certified)) return reject(RejectCode.blockInvalid, `block ${header.height}: parentHash is not the block its QC certifies`);
    if (!this.tree.isKnown(toHex(header.parentHash))) return this.awaitParent(proposal, hash);
    return this.processCurrentProposal(proposal, hash);
  }

  private processCurrentProposal(proposal: ProposalMessage, hash: Uint8Array): Rejection | null {
    const inserted = this.insertBlock(proposal.block, hash);
    if (!("hashHex" in inserted)) {
      // Also reached from resumeAfterInsert, after the parent was fetched.
      if (inserted.code === RejectCode.blockInvalid) this.reportInvalidProposal(proposal, hash);
      return inserted;
    }
    const timely = this.modules.app.checkTimely?.(proposal.block);
    if (timely !== undefined && !timely.ok) return reject(RejectCode.blockUntimely, `no vote for block ${proposal.block.header.height} view ${proposal.block.header.view}: ${timely.reason}`);
    return this.tryVote(inserted, proposal.tc);
  }

  /**
   * A refused block whose leader signature verified is evidence when it is structurally
   * invalid (proposalStructure.ts). Checked only once a block is refused, so valid blocks cost
   * nothing; once per proposal object and per (validator, view).
   */
  private reportInvalidProposal(proposal: ProposalMessage, hash: Uint8Array): void {
    if (this.structureChecked.has(proposal)) return;
    this.structureChecked.add(proposal);
    const validator = this.committee.validators[proposal.sender];
    assert(validator !== undefined, "reportInvalidProposal: sender checked");
    const view = proposal.block.header.view;
    if (this.evidence.has(evidenceKey({ kind: "invalid-proposal", validator: validator.address, view }))) return;
    const evidence = invalidProposalEvidence(proposal, hash, validator.address, this.ctx);
    if (evidence === undefined) return;
    markVerified(evidence, this.verifiedContext);
    this.reportEvidence(evidence);
  }

  /** Queues a current-view proposal whose parent is missing, and fetches the parent. */
  private awaitParent(proposal: ProposalMessage, hash: Uint8Array): Rejection {
    const view = proposal.block.header.view;
    if (!this.pendingProposals.has(view)) {
      if (this.pendingProposals.size >= this.limits.pendingProposalsMax) this.pendingProposalsDroppedTotal++;
      else this.pendingProposals.set(view, { hash, proposal });
    }
    const justify = proposal.block.header.justify;
    const peers = [proposal.sender, ...(justify === null ? [] : (bitmapIndices(justify.signers, this.committee.count) ?? []))];
    this.fetch(proposal.block.header.parentHash, peers);
    return reject(RejectCode.blockParentUnknown, `parent of block ${toHex(hash)} is being fetched`);
  }

  /** A proposal of a past view: no vote, but its block may be the parent of what comes next. */
  private insertLateBlock(block: Block, hash: Uint8Array): Rejection {
    if (this.tree.isKnown(toHex(block.header.parentHash)) && !this.tree.isKnown(toHex(hash))) {
      const inserted = this.insertBlock(block, hash);
      if (!("hashHex" in inserted)) return inserted;
      this.resumeAfterInsert();
    }
    return reject(RejectCode.viewOld, `proposal for view ${block.header.view}; current view ${this.currentView}`);
  }

  /**
   * Remembers the first proposal per view; a second, different one from the leader is evidence:
   * two votes in one view, since a proposal's signature is the leader's vote.
   */
  private recordProposal(proposal: ProposalMessage, hash: Uint8Array): void {
    const view = proposal.block.header.view;
    if (view < this.currentView - this.limits.proposalsSeenViewsMax) return;
    const hashHex = toHex(hash);
    const seen = this.proposalsSeen.get(view);
    if (seen === undefined) {
      this.proposalsSeen.set(view, { hashHex, record: voteRecord(this.chainId, proposalVote(proposal, hash)) });
      return;
    }
    if (seen.hashHex === hashHex) return;
    const validator = this.committee.validators[proposal.sender];
    assert(validator !== undefined, "recordProposal: sender checked");
    this.reportEvidence(createEvidence(validator.address, seen.record, voteRecord(this.chainId, proposalVote(proposal, hash))));
  }

  private tryPropose(): void {
    const self = this.selfIndex;
    const signer = this.modules.signer;
    if (self === null || signer === null || this.halted || this.signingStopped) return;
    const view = this.currentView;
    if (leaderOf(this.committee, view) !== self || !isSafeToPropose(this.safety, view) || this.tree.isFull) return;
    if (this.proposing) {
      // Our own proposal, signed inline, certified itself and entered this view: propose in it
      // once that proposal has returned, iterating in step() rather than recursing here.
      this.selfCertifiedView = view;
      this.proposalDeferredView = view;
      return;
    }
    this.proposing = true;
    try {
      this.proposeIn(view, self);
    } finally {
      this.proposing = false;
    }
  }

  private proposeIn(view: number, self: ValidatorIndex): void {
    const tc = this.highQcViewValue + 1 === view ? null : this.lastTc;
    assert(tc === null || tc.view + 1 === view, "tryPropose: a view not following the high QC was entered by TC(view - 1)");
    if (this.evidence.pendingCount === 0 && this.modules.app.isIdle?.() === true) {
      this.proposalDeferredView = view;
      return;
    }
    this.proposalDeferredView = -1;
    const parentHex = this.highQc === null ? this.tree.root.hashHex : toHex(this.highQc.blockHash);
    const parent = this.tree.position(parentHex);
    if (parent === undefined) {
      // Entered the view by a QC whose block we never received: fetch it from the signers.
      const qc = this.highQc as QuorumCertificate;
      this.fetch(qc.blockHash, bitmapIndices(qc.signers, this.committee.count) ?? []);
      return;
    }
    // The proposal's signature is the leader's vote: a leader that may not vote in its view (it
    // timed out of it, or its QC is below one the TC reports) makes no proposal the others
    // could vote for either.
    const proposed = afterPropose(this.safety, view);
    if (!isSafeToVote(proposed, view, this.highQc?.view ?? parent.view, this.tcSummaryFor(view, tc))) return;
    const parentHash = this.highQc === null ? this.tree.root.hash : this.highQc.blockHash;
    const evidence = this.evidence.select(this.ancestorEvidenceKeys(parentHex), view - this.limits.evidenceViewsMax, this.limits.evidencePerBlockMax);
    const block = this.modules.app.proposeBlock({ parentHash, parentHeight: parent.height, justify: this.highQc, view, proposer: self, evidence });
    const { header } = block;
    assert(header.view === view && header.height === parent.height + 1 && bytesEqual(header.parentHash, parentHash), "tryPropose: the app built on the requested parent");
    assert(header.justify === this.highQc || (header.justify !== null && this.highQc !== null && qcEquals(header.justify, this.highQc)), "tryPropose: the app used the given justify");
    const hash = blockHashOf(block);
    const node = toTreeNode(block, hash, parent.view);
    assert(node.justifyView === (this.highQc?.view ?? parent.view), "tryPropose: the block's QC view is the one checked");
    // Both rule updates go in one durable write (one fsync per view), before the signature exists.
    this.persist(afterVote(proposed, view, node.justifyView));
    this.tree.insert(node);
    this.emit({ kind: "saveBlock", block, hash });
    this.signThen(this.voteMessageOf(view, header.height, hash), { kind: "proposal", node, tc });
  }

  private sendProposal(use: Extract<SignatureUse, { kind: "proposal" }>, signature: Uint8Array): void {
    const { node, tc } = use;
    // Signed externally while the view moved on: the proposal is moot (the block stays in the tree, unused).
    if (node.view !== this.currentView) return;
    const self = this.selfIndex as ValidatorIndex;
    const proposal = { type: "proposal", epoch: this.epoch, block: node.block, tc, sender: self, signature } as const;
    const vote = proposalVote(proposal, node.hash);
    this.proposalsSeen.set(node.view, { hashHex: node.hashHex, record: voteRecord(this.chainId, vote) });
    // The proposal carries our vote to everyone, the next leader included.
    this.emit({ kind: "send", to: "all", message: proposal });
    this.afterOwnVote(vote, node.hashHex);
  }

  /** Signs inline, or asks the host (external signer) and continues in onSignature. */
  private signThen(message: Uint8Array, use: SignatureUse): void {
    const signer = this.modules.signer;
    assert(signer !== null, "signThen: only validators sign");
    this.ownSignatures?.signingIn(viewOfSignatureUse(use));
    if (!("external" in signer)) {
      this.useSignature(use, signer.sign(message));
      return;
    }
    assert(this.pendingSignatures.size < PENDING_SIGNATURES_MAX, "signThen: the host answers every sign action");
    const requestId = this.nextSignRequestId++;
    this.pendingSignatures.set(requestId, use);
    this.emit({ kind: "sign", requestId, message });
  }

  private useSignature(use: SignatureUse, signature: Uint8Array): void {
    this.ownSignatures?.record(viewOfSignatureUse(use), signature);
    switch (use.kind) {
      case "proposal":
        return this.sendProposal(use, signature);
      case "vote":
        return this.sendVote(use.node, signature);
      case "timeout":
        return this.sendTimeout(use, signature);
    }
  }

  private ancestorEvidenceKeys(fromHex: string): Set<string> {
    const keys = new Set<string>();
    for (const node of this.tree.pathFromRoot(fromHex) ?? []) for (const evidence of node.block.evidence) keys.add(evidenceKey(evidence));
    return keys;
  }

  // ---- blocks ----------------------------------------------------------------------------

  /** Checks, validates (app) and inserts a block whose parent is known. */
  private insertBlock(block: Block, hash: Uint8Array): TreeNode | Rejection {
    const hashHex = toHex(hash);
    const existing = this.tree.get(hashHex);
    if (existing !== undefined) return existing;
    if (this.tree.isFull) return reject(RejectCode.capacity, `block tree holds ${this.tree.size} uncommitted blocks`);
    const parent = this.tree.position(toHex(block.header.parentHash));
    if (parent === undefined) return reject(RejectCode.blockParentUnknown, "parent unknown");
    const headerRejection = this.checkHeader(block, parent) ?? this.checkBlockEvidence(block);
    if (headerRejection !== null) return headerRejection;
    const validation = this.validateWithApp(block, hash);
    if (validation !== null) return validation;
    const node = toTreeNode(block, hash, parent.view);
    this.tree.insert(node);
    if (!this.restoring) this.emit({ kind: "saveBlock", block, hash });
    // The block's QC certifies its parent; a QC seen earlier may certify this block.
    if (block.header.justify !== null) this.processQc(block.header.justify);
    if (this.highQc !== null && !this.halted) this.tryCommit(this.highQc);
    return node;
  }

  private checkHeader(block: Block, parent: { readonly height: number; readonly view: number }): Rejection | null {
    const h = block.header;
    const invalid = (why: string): Rejection => reject(RejectCode.blockInvalid, `block ${h.height} view ${h.view}: ${why}`);
    if (h.chainId !== this.chainId) return invalid(`chain ${h.chainId}`);
    if (h.height !== parent.height + 1 || h.view <= parent.view) return invalid("height or view does not follow the parent");
    const leader = this.committee.validators[leaderOf(this.committee, h.view)];
    if (leader === undefined || !bytesEqual(leader.address, h.proposer)) return invalid("proposer is not the view's leader");
    if (!bytesEqual(h.validatorSetHash, this.committee.hash)) return invalid("validatorSetHash is not this epoch's set");
    if (h.justify === null) {
      const root = this.tree.root;
      return root.height === 0 && bytesEqual(h.parentHash, root.hash) ? null : invalid("only the first block after genesis has no QC");
    }
    if (!bytesEqual(h.justify.blockHash, h.parentHash) || h.justify.view !== parent.view || h.justify.height !== parent.height) {
      return invalid("justify does not certify the parent");
    }
    return this.checkQc(h.justify);
  }

  private checkBlockEvidence(block: Block): Rejection | null {
    const { header, evidence } = block;
    const invalid = (why: string): Rejection => reject(RejectCode.blockInvalid, `block ${header.height}: evidence ${why}`);
    if (evidence.length > this.limits.evidencePerBlockMax) return invalid(`count ${evidence.length} above ${this.limits.evidencePerBlockMax}`);
    if (evidence.length === 0) return null;
    const ancestors = this.ancestorEvidenceKeys(toHex(header.parentHash));
    const inBlock = new Set<string>();
    for (const item of evidence) {
      const key = evidenceKey(item);
      if (inBlock.has(key) || ancestors.has(key) || this.evidence.isCommitted(key)) return invalid(`${key} is already carried`);
      if (item.view + this.limits.evidenceViewsMax < header.view) return invalid(`${key} has expired`);
      inBlock.add(key);
      const rejection = this.checkEvidence(item);
      if (rejection !== null) return invalid(rejection.message);
    }
    return null;
  }

  private validateWithApp(block: Block, hash: Uint8Array): Rejection | null {
    try {
      const result = this.modules.app.validateBlock(block, hash);
      return result.ok ? null : reject(RejectCode.blockInvalid, `block ${block.header.height}: ${result.reason}`);
    } catch (err) {
      // The app reports bad blocks as GhostmeshErrors; anything else is a bug and propagates.
      if (isGhostmeshError(err)) return reject(RejectCode.blockInvalid, `block ${block.header.height}: ${err.message}`);
      throw err;
    }
  }

  // ---- voting ----------------------------------------------------------------------------

  private tryVote(node: TreeNode, tc: TimeoutCertificate | null): Rejection | null {
    const self = this.selfIndex;
    const signer = this.modules.signer;
    if (self === null || signer === null || this.signingStopped || node.view !== this.currentView) return null;
    if (!isSafeToVote(this.safety, node.view, node.justifyView, this.tcSummaryFor(node.view, tc))) {
      return reject(RejectCode.unsafe, `no vote in view ${node.view}: last voted view ${this.safety.lastVotedView}, QC view ${node.justifyView}`);
    }
    this.persist(afterVote(this.safety, node.view, node.justifyView));
    this.signThen(this.voteMessageOf(node.view, node.height, node.hash), { kind: "vote", node });
    return null;
  }

  /** A vote is sent even if the view moved on while it was signed: late votes are harmless. */
  private sendVote(node: TreeNode, signature: Uint8Array): void {
    const self = this.selfIndex as ValidatorIndex;
    const vote = { type: "vote", epoch: this.epoch, view: node.view, height: node.height, blockHash: node.hash, sender: self, signature } as const;
    const next = leaderOf(this.committee, node.view + 1);
    if (this.voteDelivery === "all") this.emit({ kind: "send", to: "all", message: vote });
    else if (next !== self) this.emit({ kind: "send", to: next, message: vote });
    this.afterOwnVote(vote, node.hashHex);
  }

  /** Our vote is sent: evidence goes to the next leader, and the vote counts where QCs form. */
  private afterOwnVote(vote: VoteMessage, tipHex: string): void {
    const next = leaderOf(this.committee, vote.view + 1);
    if (next !== vote.sender) this.forwardEvidence(next, tipHex);
    if (next === vote.sender || this.voteDelivery === "all") this.collectVote(vote);
  }

  /**
   * Pending evidence the next leader's block would not already carry goes with the vote: the
   * detector may never lead a view that commits, so the evidence must travel to leaders.
   */
  private forwardEvidence(to: ValidatorIndex, tipHex: string): void {
    if (this.evidence.pendingCount === 0 || this.selfIndex === null) return;
    const items = this.evidence.select(this.ancestorEvidenceKeys(tipHex), this.currentView - this.limits.evidenceViewsMax, this.limits.evidencePerBlockMax);
    for (const evidence of items) this.emit({ kind: "send", to, message: { type: "evidence", epoch: this.epoch, evidence, sender: this.selfIndex } });
  }

  /** Why this engine does not collect a vote of that view (too old, too far ahead, or for another leader), or null. */
  private uncollectedVote(vote: VoteMessage): Rejection | null {
    if (vote.view + 1 < this.currentView) return reject(RejectCode.viewOld, `vote for view ${vote.view}; current view ${this.currentView}`);
    if (vote.view > this.currentView + this.limits.votesAheadViewsMax) return reject(RejectCode.viewTooFarAhead, `vote for view ${vote.view}; current view ${this.currentView}`);
    if (this.voteDelivery === "nextLeader" && leaderOf(this.committee, vote.view + 1) !== this.selfIndex) {
      return reject(RejectCode.notLeader, `this node does not lead view ${vote.view + 1}`);
    }
    return null;
  }

  private handleVote(vote: VoteMessage): Rejection | null {
    const pre = this.precheck(vote, true);
    if (pre !== null) return pre;
    const uncollected = this.uncollectedVote(vote);
    if (uncollected !== null) return uncollected;
    if (vote.height < 1) return reject(RejectCode.malformed, "vote height 0");
    if (this.votes.keepIfSurplus(vote)) return null;
    if (!this.checkVoteSignature(vote)) return reject(RejectCode.badSignature, "vote signature");
    return this.collectVote(vote);
  }

  /**
   * A vote that can add nothing (its view's QC has formed for its block, or will have once the
   * votes of `ahead`, senders whose votes for the same view and block are on their way to this
   * engine, are added): the host need not check it ahead, and the engine keeps it unchecked
   * (VoteCollector.keepIfSurplus) if it is surplus when it arrives.
   */
  isSurplusVote(vote: VoteMessage, ahead: ReadonlySet<ValidatorIndex> = EMPTY_SENDERS): boolean {
    return this.votes.isSurplusAfter(vote, ahead);
  }

  private checkVoteSignature(vote: VoteMessage): boolean {
    return this.checkSignature(vote, vote.sender, () => this.voteMessageOf(vote.view, vote.height, vote.blockHash), vote.signature);
  }

  private collectVote(vote: VoteMessage): Rejection | null {
    // A surplus vote kept unchecked from this sender stands as its first vote in the view once
    // it verifies, so a vote for another block is caught as equivocation.
    const kept = this.votes.takeUnchecked(vote.view, vote.sender);
    if (kept !== undefined && this.checkVoteSignature(kept)) this.votes.add(kept);
    const outcome = this.votes.add(vote);
    if (outcome.kind === "duplicate") return reject(RejectCode.duplicate, "vote already counted");
    if (outcome.kind === "equivocation") {
      const validator = this.committee.validators[vote.sender];
      assert(validator !== undefined, "collectVote: sender checked");
      this.reportEvidence(createEvidence(validator.address, voteRecord(this.chainId, outcome.first), voteRecord(this.chainId, vote)));
    }
    if (outcome.kind === "quorum") this.processQc(outcome.qc);
    else if (outcome.kind === "added") this.askForMissedQc(vote);
    return null;
  }

  /**
   * The next leader lost the current view's proposal, and with it the leader's vote: from the
   * others' votes alone it may never reach a quorum (at n = 4, two of three), and would let its
   * own view time out. Once validators of more than a third of the power voted for the block,
   * at least one honest one holds it, and with votes sent to everyone they form its QC: asked
   * for their certificates (sync info), they send it, and the block is fetched as for any QC.
   */
  private askForMissedQc(vote: VoteMessage): void {
    const self = this.selfIndex;
    if (self === null || this.voteDelivery !== "all" || vote.view !== this.currentView || this.missedQcAskedView === vote.view) return;
    if (leaderOf(this.committee, vote.view + 1) !== self || this.proposalsSeen.has(vote.view) || this.tree.isKnown(toHex(vote.blockHash))) return;
    const voters = this.votes.votersOf(vote.view, vote.blockHash).filter((voter) => voter !== self);
    const power = voters.reduce((sum, voter) => sum + powerOf(this.committee, voter), 0);
    if (power < validityPower(this.committee)) return;
    this.missedQcAskedView = vote.view;
    const info = this.syncInfo();
    for (const voter of voters) this.emit({ kind: "send", to: voter, message: info });
  }

  // ---- timeouts --------------------------------------------------------------------------

  private handleTimeout(timeout: TimeoutMessage): Rejection | null {
    const pre = this.precheck(timeout, true);
    if (pre !== null) return pre;
    const highQcView = timeout.highQc?.view ?? 0;
    if (highQcView >= timeout.view) return reject(RejectCode.malformed, "timeout reports a QC view not below its view");
    const signed = (): Uint8Array => timeoutMessage(this.chainId, this.epoch, timeout.view, highQcView);
    if (!this.checkSignature(timeout, timeout.sender, signed, timeout.signature)) return reject(RejectCode.badSignature, "timeout signature");
    // Certificates first: a timeout from a peer ahead of us carries what we need to catch up.
    const certificates = this.acceptCertificates(timeout.highQc, timeout.tc);
    if (certificates !== null || this.halted) return certificates;
    if (timeout.view < this.currentView) return reject(RejectCode.viewOld, `timeout for view ${timeout.view}; current view ${this.currentView}`);
    if (timeout.view > this.currentView + this.limits.timeoutsAheadViewsMax) return reject(RejectCode.viewTooFarAhead, `timeout for view ${timeout.view}`);
    const outcome = this.timeouts.add(timeout.view, timeout.sender, { highQcView, signature: timeout.signature });
    if (outcome.duplicate) return reject(RejectCode.duplicate, "timeout already counted");
    if (outcome.tc !== null) this.processTc(outcome.tc);
    else if (timeout.view === this.currentView && outcome.joinable && this.ownTimeout === null) this.localTimeout();
    return null;
  }

  /** Times out of the current view (or re-sends the timeout already signed for it). */
  private localTimeout(): void {
    const self = this.selfIndex;
    const signer = this.modules.signer;
    if (self === null || signer === null) return;
    const view = this.currentView;
    if (this.ownTimeout !== null) {
      this.emit({ kind: "send", to: "all", message: this.ownTimeout });
      return;
    }
    if (this.timeoutSigningView === view || this.signingStopped) return;
    const tcSummary = this.tcSummaryFor(view, null);
    if (!isSafeToTimeout(this.safety, view, this.highQcViewValue, tcSummary)) return;
    this.persist(afterTimeout(this.safety, view));
    this.timeoutSigningView = view;
    const tc = tcSummary === null ? null : this.lastTc;
    this.signThen(timeoutMessage(this.chainId, this.epoch, view, this.highQcViewValue), { kind: "timeout", view, highQc: this.highQc, tc });
  }

  /** Broadcast even if the view moved on while it was signed; counted only while it is current. */
  private sendTimeout(use: Extract<SignatureUse, { kind: "timeout" }>, signature: Uint8Array): void {
    const self = this.selfIndex as ValidatorIndex;
    const { view, highQc, tc } = use;
    const highQcView = highQc?.view ?? 0;
    const timeout: TimeoutMessage = { type: "timeout", epoch: this.epoch, view, highQc, tc, sender: self, signature };
    this.emit({ kind: "send", to: "all", message: timeout });
    if (view !== this.currentView) return;
    this.ownTimeout = timeout;
    const outcome = this.timeouts.add(view, self, { highQcView, signature });
    if (outcome.tc !== null) this.processTc(outcome.tc);
  }

  // ---- sync info -------------------------------------------------------------------------

  private syncInfo(): SyncInfoMessage {
    return { type: "syncInfo", epoch: this.epoch, highQc: this.highQc, tc: this.lastTc, sender: this.selfIndex as ValidatorIndex };
  }

  /**
   * A peer's certificates, taken as a timeout's are (a bad one changes nothing). When its QC is
   * now our highest and we lack the block, that block is fetched from the peer and the signers
   * at once, so the next proposal, which extends it, finds its parent and gets our vote in its
   * own view. A peer behind us gets ours, at most once per view of ours: asking again does not
   * make us send more.
   */
  private handleSyncInfo(info: SyncInfoMessage): Rejection | null {
    const pre = this.precheck(info, false);
    if (pre !== null) return pre;
    if (info.sender === this.selfIndex) return reject(RejectCode.fromSelf, "own sync info echoed back");
    const certificates = this.acceptCertificates(info.highQc, info.tc);
    if (certificates !== null || this.halted) return certificates;
    const qc = info.highQc;
    if (qc !== null && qc.view === this.highQcViewValue && qc.height > this.tree.root.height && !this.tree.isKnown(toHex(qc.blockHash))) {
      this.fetch(qc.blockHash, [info.sender, ...(bitmapIndices(qc.signers, this.committee.count) ?? [])]);
    }
    const theirs = Math.max(info.highQc?.view ?? 0, info.tc?.view ?? 0);
    const ours = Math.max(this.highQcViewValue, this.lastTc?.view ?? 0);
    if (this.selfIndex !== null && theirs < ours && this.syncInfoRepliedViews.get(info.sender) !== this.currentView) {
      this.syncInfoRepliedViews.set(info.sender, this.currentView);
      this.emit({ kind: "send", to: info.sender, message: this.syncInfo() });
    }
    return null;
  }

  // ---- fetching --------------------------------------------------------------------------

  private fetch(hash: Uint8Array, peers: readonly ValidatorIndex[]): void {
    const others = peers.filter((peer, i) => peer !== this.selfIndex && peers.indexOf(peer) === i);
    const request = this.fetcher.want(hash, others);
    if (request !== null) this.sendBlockRequest(request.to, request.hash);
  }

  private sendBlockRequest(to: ValidatorIndex, blockHash: Uint8Array): void {
    const heightMin = this.tree.root.height;
    const message = { type: "blockRequest", epoch: this.epoch, blockHash, countMax: this.limits.retrievalBlocksMax, heightMin, sender: this.selfIndex ?? 0 } as const;
    this.emit({ kind: "send", to, message });
  }

  private retryFetches(): void {
    const rootHeight = this.tree.root.height;
    for (const request of this.fetcher.retries()) {
      const hashHex = toHex(request.hash);
      if (this.tree.isKnown(hashHex) || (this.fetcher.getStaged(hashHex)?.block.header.height ?? Infinity) <= rootHeight) this.fetcher.settle(hashHex);
      else this.sendBlockRequest(request.to, request.hash);
    }
  }

  private handleBlockRequest(request: BlockRequestMessage): Rejection | null {
    const pre = this.precheck(request, false);
    if (pre !== null) return pre;
    if (request.countMax < 1) return reject(RejectCode.malformed, "block request for zero blocks");
    const blocks = this.blocksRequested(request);
    if (blocks.length === 0) return null;
    this.emit({ kind: "send", to: request.sender, message: { type: "blockResponse", epoch: this.epoch, blocks, sender: this.selfIndex ?? 0 } });
    return null;
  }

  /**
   * The blocks a request asks for that this engine knows: from `blockHash` down its ancestry,
   * above `heightMin`, at most `retrievalBlocksMax`. A read, no input: the host also answers
   * nodes outside the set (observers) with it, which the engine takes no messages from.
   */
  blocksRequested(request: Pick<BlockRequestMessage, "blockHash" | "countMax" | "heightMin">): Block[] {
    const countMax = Math.min(request.countMax, this.limits.retrievalBlocksMax);
    const blocks: Block[] = [];
    let cursor: Uint8Array = request.blockHash;
    while (blocks.length < countMax) {
      const block = this.knownBlock(cursor);
      if (block === undefined || block.header.height <= request.heightMin) break;
      blocks.push(block);
      if (block.header.height <= 1) break;
      cursor = block.header.parentHash;
    }
    return blocks;
  }

  private knownBlock(hash: Uint8Array): Block | undefined {
    const hashHex = toHex(hash);
    const node = this.tree.get(hashHex);
    if (node !== undefined) return node.block;
    const root = this.tree.root;
    if (hashHex === root.hashHex && root.block !== null) return root.block;
    return this.modules.blockSource?.getBlock(hash);
  }

  private handleBlockResponse(response: BlockResponseMessage): Rejection | null {
    const pre = this.precheck(response, false);
    if (pre !== null) return pre;
    const first = response.blocks[0];
    if (first === undefined || response.blocks.length > this.limits.retrievalBlocksMax) return reject(RejectCode.malformed, "block response size");
    const firstHex = toHex(blockHashOf(first));
    if (!this.fetcher.isWanted(firstHex)) return reject(RejectCode.unexpectedResponse, "block response for a block not requested");
    this.fetcher.settle(firstHex);
    let expectedHex = firstHex;
    let connectedHex: string | null = null;
    let lowest: Block | null = null;
    for (const block of response.blocks) {
      const hash = blockHashOf(block);
      const hashHex = toHex(hash);
      if (hashHex !== expectedHex || block.header.height <= this.tree.root.height) break;
      if (this.tree.isKnown(hashHex)) break;
      if (!this.fetcher.stage({ block, hash, hashHex, parentHex: toHex(block.header.parentHash) })) break;
      lowest = block;
      expectedHex = toHex(block.header.parentHash);
      if (this.tree.isKnown(expectedHex)) {
        connectedHex = expectedHex;
        break;
      }
    }
    if (connectedHex !== null) return this.insertStagedAbove(connectedHex);
    if (lowest !== null && lowest.header.height > this.tree.root.height + 1) this.fetch(lowest.header.parentHash, [response.sender]);
    return null;
  }

  /** Inserts the staged chain that now connects, then resumes what waited for it. */
  private insertStagedAbove(connectedHex: string): Rejection | null {
    let rejection: Rejection | null = null;
    for (const staged of this.fetcher.takeChainAbove(connectedHex)) {
      if (this.halted) break;
      const inserted = this.insertBlock(staged.block, staged.hash);
      if (!("hashHex" in inserted)) {
        rejection = inserted;
        break;
      }
    }
    return this.resumeAfterInsert() ?? rejection;
  }

  /** New blocks may be what a held proposal, or this leader's own proposal, waited for. */
  private resumeAfterInsert(): Rejection | null {
    if (this.halted) return null;
    let rejection: Rejection | null = null;
    const previous = this.pendingProposals.get(this.currentView - 1);
    if (previous !== undefined && this.tree.isKnown(toHex(previous.proposal.block.header.parentHash))) {
      this.pendingProposals.delete(this.currentView - 1);
      // Its rejection (viewOld) only says there is no vote; an invalid block stays out of the tree.
      this.insertLateBlock(previous.proposal.block, previous.hash);
    }
    const pending = this.pendingProposals.get(this.currentView);
    if (pending !== undefined && this.tree.isKnown(toHex(pending.proposal.block.header.parentHash))) {
      this.pendingProposals.delete(this.currentView);
      rejection = this.processCurrentProposal(pending.proposal, pending.hash);
    }
    if (this.selfIndex !== null && leaderOf(this.committee, this.currentView) === this.selfIndex) this.tryPropose();
    return rejection;
  }

  // ---- evidence --------------------------------------------------------------------------

  private reportEvidence(evidence: Evidence): void {
    if (!this.evidence.add(evidence)) return;
    this.emit({ kind: "evidence", evidence });
    if (this.selfIndex !== null) this.emit({ kind: "send", to: "all", message: { type: "evidence", epoch: this.epoch, evidence, sender: this.selfIndex } });
  }

  private handleEvidence(message: EvidenceMessage): Rejection | null {
    const pre = this.precheck(message, false);
    if (pre !== null) return pre;
    const { evidence } = message;
    if (this.evidence.has(evidenceKey(evidence))) return reject(RejectCode.duplicate, "evidence already known");
    if (evidence.view + this.limits.evidenceViewsMax < this.currentView) return reject(RejectCode.viewOld, "evidence has expired");
    const rejection = this.checkEvidence(evidence);
    if (rejection !== null) return rejection;
    if (this.evidence.add(evidence)) this.emit({ kind: "evidence", evidence });
    return null;
  }
}

// ---- helpers -------------------------------------------------------------------------------

function toTreeNode(block: Block, hash: Uint8Array, parentView: number): TreeNode {
  const { header } = block;
  return {
    block,
    hash,
    hashHex: toHex(hash),
    parentHex: toHex(header.parentHash),
    view: header.view,
    height: header.height,
    justifyView: header.justify?.view ?? parentView,
  };
}

export function qcEquals(a: QuorumCertificate, b: QuorumCertificate): boolean {
  if (a.view !== b.view || a.height !== b.height || !bytesEqual(a.blockHash, b.blockHash) || !bytesEqual(a.signers, b.signers)) return false;
  if (a.signatures.length !== b.signatures.length) return false;
  return a.signatures.every((signature, i) => bytesEqual(signature, b.signatures[i] as Uint8Array));
}

function restoreSafety(saved: SafetyState | null, epoch: number, rootView: number): SafetyState {
  if (saved === null) return initialSafetyState(epoch, rootView);
  if (saved.epoch > epoch) {
    throw new GhostmeshError("CONSENSUS_SAFETY_STATE_AHEAD", `persisted safety state is for epoch ${saved.epoch}, the engine starts epoch ${epoch}`, { epochSaved: saved.epoch, epoch });
  }
  if (saved.epoch === epoch) return saved;
  // Views continue across epochs: keep the vote/proposal high-water marks, drop the old certificates.
  return safetyForNewEpoch(saved, epoch, rootView);
}
