/**
 * Why the engine refused (all or part of) an input. Hostile or stale input is never an
 * exception: handlers return a Rejection, and the host uses `peerFault` for peer scoring
 * (true: the sender sent something no honest node sends; false: stale, duplicate or early,
 * which honest nodes do under delay).
 */
export const RejectCode = {
  malformed: "CONSENSUS_MESSAGE_MALFORMED",
  epochMismatch: "CONSENSUS_EPOCH_MISMATCH",
  unknownSender: "CONSENSUS_UNKNOWN_SENDER",
  fromSelf: "CONSENSUS_FROM_SELF",
  /** Signed with this validator's key, but not by this node: another signer holds the key. */
  signedElsewhere: "CONSENSUS_SIGNED_ELSEWHERE",
  badSignature: "CONSENSUS_BAD_SIGNATURE",
  wrongLeader: "CONSENSUS_WRONG_LEADER",
  notLeader: "CONSENSUS_NOT_NEXT_LEADER",
  viewOld: "CONSENSUS_VIEW_OLD",
  viewTooFarAhead: "CONSENSUS_VIEW_TOO_FAR_AHEAD",
  viewNotJustified: "CONSENSUS_VIEW_NOT_JUSTIFIED",
  qcMalformed: "CONSENSUS_QC_MALFORMED",
  qcNoQuorum: "CONSENSUS_QC_NO_QUORUM",
  qcBadSignature: "CONSENSUS_QC_BAD_SIGNATURE",
  tcMalformed: "CONSENSUS_TC_MALFORMED",
  tcNoQuorum: "CONSENSUS_TC_NO_QUORUM",
  tcBadSignature: "CONSENSUS_TC_BAD_SIGNATURE",
  blockInvalid: "CONSENSUS_BLOCK_INVALID",
  /** Valid, but this node does not vote for it now (its clock disagrees); not the proposer's provable fault. */
  blockUntimely: "CONSENSUS_BLOCK_UNTIMELY",
  blockParentUnknown: "CONSENSUS_BLOCK_PARENT_UNKNOWN",
  evidenceInvalid: "CONSENSUS_EVIDENCE_INVALID",
  duplicate: "CONSENSUS_DUPLICATE",
  unsafe: "CONSENSUS_UNSAFE",
  capacity: "CONSENSUS_CAPACITY",
  halted: "CONSENSUS_HALTED",
  unexpectedResponse: "CONSENSUS_UNEXPECTED_RESPONSE",
  unexpectedSignature: "CONSENSUS_UNEXPECTED_SIGNATURE",
} as const;
export type RejectCode = (typeof RejectCode)[keyof typeof RejectCode];

export type Rejection = {
  readonly code: RejectCode;
  readonly message: string;
  readonly peerFault: boolean;
};

const peerFaultCodes: ReadonlySet<RejectCode> = new Set<RejectCode>([
  RejectCode.malformed,
  RejectCode.unknownSender,
  RejectCode.badSignature,
  RejectCode.wrongLeader,
  RejectCode.qcMalformed,
  RejectCode.qcNoQuorum,
  RejectCode.qcBadSignature,
  RejectCode.tcMalformed,
  RejectCode.tcNoQuorum,
  RejectCode.tcBadSignature,
  RejectCode.blockInvalid,
  RejectCode.evidenceInvalid,
]);

export function reject(code: RejectCode, message: string): Rejection {
  return { code, message, peerFault: peerFaultCodes.has(code) };
}
