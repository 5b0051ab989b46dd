/**
 * Consensus data types: certificates and messages beyond the ledger's QC, the engine's
 * outputs (actions), its persisted safety state, and the narrow interfaces it consumes
 * (application, signer, verifier, validator-set provider, block source). The engine is
 * I/O-free: it takes these as inputs and returns actions; the host performs them in order.
 */
import type { Block, Evidence, QuorumCertificate, ValidatorSet } from "../ledger/index.ts";
import type { OwnSignatureVerdict } from "./ownSignatures.ts";

/** Position of a validator in the epoch's validator set order. Invariant: 0 <= index < count. */
export type ValidatorIndex = number;

/**
 * Timeout certificate: timeouts for one view from validators holding > 2/3 of the power.
 * `signers` is a bitmap in validator-set order (as in a QC); `highQcViews[k]` and
 * `signatures[k]` belong to the k-th set bit. Each signature covers
 * timeoutMessage(chainId, epoch, view, highQcViews[k]).
 */
export type TimeoutCertificate = {
  readonly view: number;
  readonly signers: Uint8Array;
  readonly highQcViews: readonly number[];
  readonly signatures: readonly Uint8Array[];
};

/**
 * A leader's proposal for `block.header.view`. `tc` is the TC of the previous view when the
 * leader entered its view by timeout (the block then need not extend a QC of view - 1).
 * The signature covers voteMessage(chainId, view, height, blockHash): it is the leader's vote
 * for the block (messages.ts proposalVote), and the block's hash binds everything else.
 */
export type ProposalMessage = {
  readonly type: "proposal";
  readonly epoch: number;
  readonly block: Block;
  readonly tc: TimeoutCertificate | null;
  readonly sender: ValidatorIndex;
  readonly signature: Uint8Array;
};

/** A vote, sent to the leader of view + 1. Signature over ledger voteMessage(chainId, view, height, blockHash). */
export type VoteMessage = {
  readonly type: "vote";
  readonly epoch: number;
  readonly view: number;
  readonly height: number;
  readonly blockHash: Uint8Array;
  readonly sender: ValidatorIndex;
  readonly signature: Uint8Array;
};

/**
 * "I give up on `view`", broadcast to all. Carries the sender's highest QC (null: the genesis
 * certificate, view 0) and the TC that let it enter `view` (if any), so a peer in a lower view
 * catches up. Signature over timeoutMessage(chainId, epoch, view, highQc view).
 */
export type TimeoutMessage = {
  readonly type: "timeout";
  readonly epoch: number;
  readonly view: number;
  readonly highQc: QuorumCertificate | null;
  readonly tc: TimeoutCertificate | null;
  readonly sender: ValidatorIndex;
  readonly signature: Uint8Array;
};

/**
 * Unsigned request/response for missing blocks. `sender` of unsigned messages is NOT
 * authenticated by the engine: the transport must set it from the authenticated peer.
 */
export type BlockRequestMessage = {
  readonly type: "blockRequest";
  readonly epoch: number;
  readonly blockHash: Uint8Array;
  /** Blocks wanted: the requested one and its ancestors, newest first. */
  readonly countMax: number;
  /** The requester's committed height: blocks at or below it are not wanted. */
  readonly heightMin: number;
  readonly sender: ValidatorIndex;
};

export type BlockResponseMessage = {
  readonly type: "blockResponse";
  readonly epoch: number;
  /** Newest first; blocks[k + 1] is the parent of blocks[k]. */
  readonly blocks: readonly Block[];
  readonly sender: ValidatorIndex;
};

/** Evidence gossip: self-authenticating (it carries two signed messages). */
export type EvidenceMessage = {
  readonly type: "evidence";
  readonly epoch: number;
  readonly evidence: Evidence;
  readonly sender: ValidatorIndex;
};

/**
 * The sender's highest QC and the TC that entered its view (DiemBFT's SyncInfo). Unsigned:
 * both certificates authenticate themselves. A validator sends it when its engine starts, so
 * that after a restart or a block sync it learns the current view from its peers at once,
 * instead of waiting for their next proposal or timeout; a peer that is ahead answers with its
 * own, once per view.
 */
export type SyncInfoMessage = {
  readonly type: "syncInfo";
  readonly epoch: number;
  readonly highQc: QuorumCertificate | null;
  readonly tc: TimeoutCertificate | null;
  readonly sender: ValidatorIndex;
};

export type ConsensusMessage =
  | ProposalMessage
  | VoteMessage
  | TimeoutMessage
  | BlockRequestMessage
  | BlockResponseMessage
  | EvidenceMessage
  | SyncInfoMessage;

/**
 * What must be on disk (fsync) before a vote, timeout or proposal that depends on it leaves
 * the node. Views are monotonic across epochs (a new epoch continues the view numbers).
 */
export type SafetyState = {
  readonly epoch: number;
  /** Highest view in which this validator voted or timed out. Never votes at or below it. */
  readonly lastVotedView: number;
  /**
   * Set only while below lastVotedView: the highest view this validator voted or timed out in
   * during this epoch, when an earlier epoch voted higher. Timeouts are ruled by it, votes by
   * lastVotedView. A vote's signature names no epoch, so no view may ever see a second vote;
   * a timeout's does, and every validator enters a new epoch at its root's view + 1, so the
   * views an earlier epoch used must be timed out again there to reach its first certificate
   * (without this, a validator that voted past the root in the old epoch could time out none
   * of them, and a committee of such validators stalled for good; 0605).
   */
  readonly epochVotedView?: number;
  /** Highest QC view this validator voted on top of (DiemBFT "highest_qc_round"). */
  readonly highestQcView: number;
  /** Highest view in which this validator proposed. Never proposes twice in one view. */
  readonly lastProposedView: number;
  /**
   * Not safety but recovery: the highest QC and the TC that justified the last view, so a
   * restarted validator re-enters its view and can time out. Without them a whole-committee
   * restart deadlocks: nobody may time out below its last voted view and nobody holds a
   * certificate for it (DiemBFT persists them too, in its ConsensusDB).
   */
  readonly highQc: QuorumCertificate | null;
  readonly lastTc: TimeoutCertificate | null;
};

/** A committed block with the QC that certifies it. */
export type CommittedBlock = {
  readonly block: Block;
  readonly hash: Uint8Array;
  readonly qc: QuorumCertificate;
};

/** The committed block a new engine (epoch start or restart) builds on. */
export type ConsensusRoot = {
  readonly hash: Uint8Array;
  readonly height: number;
  readonly view: number;
  /** Null only for genesis (height 0). */
  readonly block: Block | null;
  /** The QC certifying the root block; null only for genesis. */
  readonly qc: QuorumCertificate | null;
};

/** Where a signature of this validator's key that it did not make was seen. */
export type SignedElsewhereSeenIn = "proposal" | "vote" | "timeout" | "qc" | "tc";

/** Where the other signer's signature lies against this node's own. */
export type SignedElsewhereVerdict = Exclude<OwnSignatureVerdict, "own">;

/**
 * Outputs of the engine, to be performed by the host in list order.
 * - persistSafety: write `state` durably (fsync) BEFORE performing any later action.
 * - send: deliver `message`; "all" means every other validator.
 * - saveBlock: store a validated, uncommitted block (before later actions), and pass the
 *   saved blocks above the root back as `savedBlocks` on restart; delete them once committed
 *   or below the committed height. Certified blocks must survive a crash of all their voters.
 * - setTimer: (re)arm the single view timer; it replaces any earlier timer. When it fires,
 *   call onLocalTimer(view).
 * - commit: blocks are final, in height order; `commitQc` certifies the child (view + 1) of
 *   the last block, which is what makes the 2-chain final (a light client needs both QCs).
 * - evidence: new verified equivocation evidence; persist it (it is proposed until committed).
 * - signedElsewhere: another signer holds this validator's key; the safety state was raised
 *   (a persistSafety precedes it) or signing stopped. Not a write: report it.
 * - epochChange: the last committed block ended the epoch; build a new engine with
 *   `validatorSet` and `root`. This engine ignores further input except block requests.
 */
export type ConsensusAction =
  | { readonly kind: "persistSafety"; readonly state: SafetyState }
  | { readonly kind: "saveBlock"; readonly block: Block; readonly hash: Uint8Array }
  | { readonly kind: "send"; readonly to: "all" | ValidatorIndex; readonly message: ConsensusMessage }
  | { readonly kind: "setTimer"; readonly view: number; readonly delayMs: number }
  /** External signing only: sign `message` with this validator's key, then call onSignature(requestId, signature). */
  | { readonly kind: "sign"; readonly requestId: number; readonly message: Uint8Array }
  | { readonly kind: "commit"; readonly blocks: readonly CommittedBlock[]; readonly commitQc: QuorumCertificate }
  | { readonly kind: "evidence"; readonly evidence: Evidence }
  /** This validator's key signed, elsewhere, in `view` (engine.ts noticeSignedElsewhere): tell the operator. */
  | { readonly kind: "signedElsewhere"; readonly view: number; readonly seenIn: SignedElsewhereSeenIn; readonly verdict: SignedElsewhereVerdict; readonly signingStopped: boolean }
  | { readonly kind: "epochChange"; readonly epoch: number; readonly validatorSet: ValidatorSet; readonly root: ConsensusRoot };

export type BlockValidation = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export type ProposeRequest = {
  readonly parentHash: Uint8Array;
  readonly parentHeight: number;
  /** QC certifying the parent; null only when the parent is genesis. */
  readonly justify: QuorumCertificate | null;
  readonly view: number;
  readonly proposer: ValidatorIndex;
  /** Verified evidence not yet committed nor carried by an ancestor; include all of it. */
  readonly evidence: readonly Evidence[];
};

/**
 * The application as consensus sees it. Both calls are synchronous and deterministic.
 * The app keeps speculative state per block hash (DiemBFT-style execution before voting):
 * proposeBlock and a successful validateBlock both leave the block's post-state available
 * so children can be built or validated on top. Committing and pruning are driven by the
 * host when it performs a `commit` action.
 */
export interface ConsensusApplication {
  /** Builds (and executes) a block on the parent. The engine checks the result's header. */
  proposeBlock(request: ProposeRequest): Block;
  /**
   * Executes the block on its parent's speculative state and checks every header root. A
   * function of the block and its parent only, never of this node's clock: a block a quorum
   * certified must be valid to every honest node, whatever its clock reads.
   */
  validateBlock(block: Block, blockHash: Uint8Array): BlockValidation;
  /**
   * Vote rule, asked only for a current proposal that validated (so its parent is executed):
   * not ok when this node should not vote for it now, e.g. its timestamp runs too far ahead of
   * this node's clock. The block stays in the tree: if a quorum certifies it anyway, this node
   * follows. Absent: every valid proposal is timely.
   */
  checkTimely?(block: Block): BlockValidation;
  /**
   * Pacing: true when a block now would order nothing (no transaction ready, none waiting in
   * uncommitted blocks). A leader then defers its proposal until the host calls onWork(), so
   * an idle chain does not grow empty blocks. Absent: always propose.
   */
  isIdle?(): boolean;
}

/** Signs inside the engine's step (the simulator's adversaries, tests, single-threaded hosts). */
export interface ConsensusSigner {
  sign(message: Uint8Array): Uint8Array;
}

/**
 * Signs outside the engine: the engine emits a `sign` action (after the `persistSafety` the
 * signature depends on) and continues when the host calls `onSignature` with the result. An
 * ML-DSA-65 signature costs several verifies; signing on the threadpool keeps the host's
 * event loop free for the other inputs meanwhile.
 */
export type ExternalSigner = { readonly external: true };

/** Verifies a signature of validator `validatorIndex` of the engine's set. Never throws. */
export interface SignatureVerifier {
  verify(validatorIndex: ValidatorIndex, message: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * How the application supplies the next epoch's validator set: asked for each block at the
 * moment it commits. Returns the new set when committing that block ends the epoch, else null.
 * Deterministic (a function of the chain up to the block).
 */
export interface ValidatorSetProvider {
  nextValidatorSet(block: Block, blockHash: Uint8Array): ValidatorSet | null;
}

/** Committed blocks below the engine's root, for answering block requests. */
export interface BlockSource {
  getBlock(blockHash: Uint8Array): Block | undefined;
}
