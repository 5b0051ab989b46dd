/**
 * Consensus: chained HotStuff with the 2-chain commit rule (Jolteon / DiemBFT-v4), as a
 * deterministic, I/O-free engine. The only import surface of the module.
 */
export { createConsensusEngine, ConsensusEngine, blockHashOf, qcEquals } from "./engine.ts";
export { OWN_SIGNATURE_VIEWS } from "./ownSignatures.ts";
export type { ConsensusEngineOptions, ConsensusModules, ConsensusStep, ConsensusStats, RootQuarantine, VoteDelivery } from "./engine.ts";
export type {
  ValidatorIndex,
  TimeoutCertificate,
  ProposalMessage,
  VoteMessage,
  TimeoutMessage,
  BlockRequestMessage,
  BlockResponseMessage,
  EvidenceMessage,
  SyncInfoMessage,
  ConsensusMessage,
  SafetyState,
  SignedElsewhereSeenIn,
  SignedElsewhereVerdict,
  CommittedBlock,
  ConsensusRoot,
  ConsensusAction,
  BlockValidation,
  ProposeRequest,
  ConsensusApplication,
  ConsensusSigner,
  ExternalSigner,
  SignatureVerifier,
  ValidatorSetProvider,
  BlockSource,
} from "./types.ts";
export { RejectCode } from "./errors.ts";
export type { Rejection } from "./errors.ts";
export { defaultConsensusLimits, defaultConsensusTiming, viewTimeoutMaxMs, viewTimeoutsMs, VIEW_TIMEOUT_MS_MAX } from "./options.ts";
export type { ConsensusLimits, ConsensusTiming } from "./options.ts";
export { COMMITTEE_SIZE_MAX, createCommittee, quorumPower, validityPower, leaderOf, leaderScheduleOf, LEADER_SLOTS_MAX, faultsTolerated } from "./committee.ts";
export type { Committee } from "./committee.ts";
export { verifyQc, verifyTc, buildQc, buildTc, bitmapIndices, tcHighQcViewMax } from "./certificates.ts";
export type { CertificateContext } from "./certificates.ts";
export {
  proposalMessage,
  timeoutMessage,
  voteMessage,
  createVoteMessageOf,
  encodeEvidenceRecord,
  evidenceRecordMessage,
  createEvidence,
  evidenceKey,
  voteRecord,
  proposalVote,
  isUnsignedMessage,
} from "./messages.ts";
export type { EvidenceRecord, VoteMessageOf } from "./messages.ts";
export { verifyEvidence, decodeEvidenceRecord, EVIDENCE_BYTES_PER_BLOCK_MAX } from "./evidence.ts";
export { blockStructureProblem, invalidProposalEvidence, invalidProposalProblem, INVALID_PROPOSAL_BLOCK_BYTES_MAX } from "./proposalStructure.ts";
export type { StructureContext, UncheckedBlock } from "./proposalStructure.ts";
export { isSafeToVote, isSafeToTimeout, isSafeToPropose, initialSafetyState, afterVote, afterTimeout, safetyForNewEpoch, withSigningFloor, reservationDue, isCoveredBy, safetyUnderReservation, NO_SIGNING_RESERVATION, SIGNING_RESERVATION_VIEWS } from "./safety.ts";
export type { SigningReservationMark } from "./safety.ts";
export { createCommitteeVerifier, createCachingVerifier, signatureChecksOf, VERIFY_CACHE_ENTRIES_MAX } from "./verifier.ts";
export type { CachingVerifier, SignatureCheck } from "./verifier.ts";
export { encodeConsensusMessage, decodeConsensusMessage, consensusMessageSchema, blockSchema, timeoutCertificateSchema, CONSENSUS_MESSAGE_BYTES_MAX } from "./wire.ts";
export { createConsensusMetrics, observeConsensusStep, observeConsensusStats } from "./metrics.ts";
export type { ConsensusMetrics } from "./metrics.ts";
export { LeaderSilence, silentLeaderViews } from "./leaderSilence.ts";
