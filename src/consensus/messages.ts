/**
 * What consensus signs, and the canonical bytes of signed messages kept as evidence.
 * Every signed consensus message is hashTagged(DomainTag.x, canonical CBOR of its fields);
 * votes use the ledger's voteMessage so `ghostmesh verify` and light clients check QCs with
 * the same function. Evidence stores a signed message as an EvidenceRecord (fields plus the
 * signature), so anyone holding the validator set can re-verify it.
 */
import { hashTagged } from "../crypto/index.ts";
import { decodeCanonical, encodeCanonical } from "../codec/index.ts";
import { DomainTag, voteMessage } from "../ledger/index.ts";
import { compareBytes, toHex } from "../util/index.ts";
import type { Evidence } from "../ledger/index.ts";
import { isBytes, isUint } from "./shape.ts";
import type { BlockRequestMessage, BlockResponseMessage, ConsensusMessage, EvidenceMessage, ProposalMessage, SyncInfoMessage, VoteMessage } from "./types.ts";

export { voteMessage };

/** voteMessage for one chain, as the engine and its host call it. */
export type VoteMessageOf = (view: number, height: number, blockHash: Uint8Array) => Uint8Array;

/** Enough for the views a validator handles at once (its own vote, its peers', the QCs that carry them). */
export const VOTE_MESSAGES_REMEMBERED_MAX = 64;

/**
 * voteMessage(chainId, ...) remembering its last results: a validator needs the message of one
 * (view, height, block) to sign its vote, to check each peer's vote (ahead on the threadpool,
 * then in the engine) and to check each QC that carries them: ~9 canonical encodes and hashes a
 * view at n = 4, each ~10 us. One per engine and its host; never shared between validators, so
 * each still does its own work. The returned bytes are shared between callers: never mutated.
 */
export function createVoteMessageOf(chainId: string, rememberedMax = VOTE_MESSAGES_REMEMBERED_MAX): VoteMessageOf {
  const remembered = new Map<string, Uint8Array>();
  return (view, height, blockHash) => {
    const key = `${view}:${height}:${toHex(blockHash)}`;
    const known = remembered.get(key);
    if (known !== undefined) return known;
    const message = voteMessage(chainId, view, height, blockHash);
    if (remembered.size >= rememberedMax) {
      // Map iterates in insertion order: the first key is the oldest.
      const oldest = remembered.keys().next();
      if (oldest.done !== true) remembered.delete(oldest.value);
    }
    remembered.set(key, message);
    return message;
  };
}

/**
 * What a leader signed for its proposal before proposals carried the leader's vote. Nothing
 * signs it now; evidence of kind "proposal" in blocks committed before then is still checked
 * against it.
 */
export function proposalMessage(chainId: string, epoch: number, view: number, height: number, blockHash: Uint8Array): Uint8Array {
  return hashTagged(DomainTag.proposal, encodeCanonical({ chainId, epoch, view, height, blockHash }));
}

/** What a validator signs to time out of `view`, reporting the view of its highest QC. */
export function timeoutMessage(chainId: string, epoch: number, view: number, highQcView: number): Uint8Array {
  return hashTagged(DomainTag.timeout, encodeCanonical({ chainId, epoch, view, highQcView }));
}

/**
 * One signed vote or proposal header, as kept in Evidence.first/second. `signer` is the
 * validator's index in the set of `epoch`; the Evidence names the validator by address too.
 */
export type EvidenceRecord = {
  readonly kind: "vote" | "proposal";
  readonly chainId: string;
  readonly epoch: number;
  readonly view: number;
  readonly height: number;
  readonly blockHash: Uint8Array;
  readonly signer: number;
  readonly signature: Uint8Array;
};

export function encodeEvidenceRecord(record: EvidenceRecord): Uint8Array {
  return encodeCanonical(record);
}

/** An evidence record is small: fields, a hash and one signature (ML-DSA-87 is 4,627 bytes). */
export const EVIDENCE_RECORD_BYTES_MAX = 8192;

export function decodeEvidenceRecord(bytes: Uint8Array): EvidenceRecord | undefined {
  if (bytes.byteLength > EVIDENCE_RECORD_BYTES_MAX) return undefined;
  let value: unknown;
  try {
    value = decodeCanonical(bytes, { maxBytes: EVIDENCE_RECORD_BYTES_MAX, maxDepth: 2 });
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) return undefined;
  const r = value as Record<string, unknown>;
  if (Object.keys(r).length !== 8) return undefined;
  const kindOk = r.kind === "vote" || r.kind === "proposal";
  const fieldsOk = typeof r.chainId === "string" && isUint(r.epoch) && isUint(r.view) && isUint(r.height) && isUint(r.signer);
  if (!kindOk || !fieldsOk || !isBytes(r.blockHash, 32) || !isBytes(r.signature)) return undefined;
  return r as EvidenceRecord;
}

/** The bytes the record's signature covers. */
export function evidenceRecordMessage(record: EvidenceRecord): Uint8Array {
  return record.kind === "vote"
    ? voteMessage(record.chainId, record.view, record.height, record.blockHash)
    : proposalMessage(record.chainId, record.epoch, record.view, record.height, record.blockHash);
}

export function voteRecord(chainId: string, vote: VoteMessage): EvidenceRecord {
  const { epoch, view, height, blockHash, sender, signature } = vote;
  return { kind: "vote", chainId, epoch, view, height, blockHash, signer: sender, signature };
}

/**
 * The leader's vote that a proposal carries: its signature covers voteMessage for the block,
 * so it counts towards the block's QC and needs no vote message of its own (docs/decisions/0200).
 */
export function proposalVote(proposal: ProposalMessage, blockHash: Uint8Array): VoteMessage {
  const { view, height } = proposal.block.header;
  return { type: "vote", epoch: proposal.epoch, view, height, blockHash, sender: proposal.sender, signature: proposal.signature };
}

/**
 * Evidence from two conflicting records of one validator. The two encodings are ordered by
 * bytes, so an equivocation gives the same Evidence whichever message arrived first.
 */
export function createEvidence(validatorAddress: Uint8Array, a: EvidenceRecord, b: EvidenceRecord): Evidence {
  const first = encodeEvidenceRecord(a);
  const second = encodeEvidenceRecord(b);
  const ordered = compareBytes(first, second) <= 0 ? [first, second] : [second, first];
  return { kind: a.kind, validator: validatorAddress, view: a.view, first: ordered[0] as Uint8Array, second: ordered[1] as Uint8Array };
}

/** Identity of evidence: one per (kind, validator, view), whatever the messages or block. */
export function evidenceKey(evidence: Pick<Evidence, "kind" | "validator" | "view">): string {
  return `${evidence.kind}:${toHex(evidence.validator)}:${evidence.view}`;
}

/** Messages whose sender no signature names: the transport sets it from the authenticated link. */
export function isUnsignedMessage(message: ConsensusMessage): message is BlockRequestMessage | BlockResponseMessage | EvidenceMessage | SyncInfoMessage {
  return message.type === "blockRequest" || message.type === "blockResponse" || message.type === "evidence" || message.type === "syncInfo";
}
