/**
 * Invalid-proposal evidence (docs/decisions/0100): a proposal signed by the leader of its view
 * whose block is structurally invalid, i.e. wrong by a check anyone holding the epoch's
 * validator set can run on the block alone, without the parent's state. The engine makes such
 * evidence and verifyEvidence accepts it through the same function, blockStructureProblem, so
 * a node never pools evidence that other nodes would refuse.
 *
 * Stateful invalidity (a stateRoot or log root that differs from re-execution, a transaction
 * that does not apply, a transaction signature that does not verify under the sender's
 * registered key, a timestamp ahead of the local clock) needs the parent state or a clock,
 * which a third party checking the evidence does not have: it is refused, never evidence.
 */
import { encodeCanonical, decodeWith, s } from "../codec/index.ts";
import {
  AUDIT_DATA_DEPTH_MAX,
  BLOCK_TXS_MAX,
  EVIDENCE_FIELD_BYTES_MAX,
  blockHeaderSchema,
  evidenceSchema,
  hashBlockHeader,
  hashEvidenceList,
  hashTx,
  signedTxSchema,
  txRoot,
  validateSignedTx,
  type BlockHeader,
  type Evidence,
  type TxRootItem,
} from "../ledger/index.ts";
import { bytesEqual, isGhostmeshError } from "../util/index.ts";
import type { CertificateContext } from "./certificates.ts";
import { leaderOf, type Committee } from "./committee.ts";
import { decodeEvidenceRecord, encodeEvidenceRecord, evidenceRecordMessage, proposalVote, voteRecord } from "./messages.ts";
import type { ProposalMessage } from "./types.ts";

/** A block as the checks see it: a header, and transactions and evidence not yet checked against their schemas. */
export type UncheckedBlock = {
  readonly header: BlockHeader;
  readonly txs: readonly unknown[];
  readonly evidence: readonly unknown[];
};

export type StructureContext = { readonly chainId: string; readonly committee: Committee };

/**
 * Largest block (encoded) the engine turns into evidence: the evidence message (block, record
 * of at most 8 KiB, framing) then fits the 1 MiB evidence gossip cap. Verification accepts up
 * to the field bound, EVIDENCE_FIELD_BYTES_MAX.
 */
export const INVALID_PROPOSAL_BLOCK_BYTES_MAX = EVIDENCE_FIELD_BYTES_MAX - 64 * 1024;

/** A signed transaction nests its audit data (AUDIT_DATA_DEPTH_MAX) a few levels deep. */
const TX_VALUE_DEPTH_MAX = AUDIT_DATA_DEPTH_MAX + 8;

/**
 * The header must pass its schema (its hash is what the proposal signs); transactions and
 * evidence are decoded as plain values so a block carrying a malformed one still decodes,
 * and blockStructureProblem names what is wrong with it.
 */
const uncheckedBlockSchema = s.object({
  header: blockHeaderSchema,
  txs: s.array(s.value({ maxDepth: TX_VALUE_DEPTH_MAX }), { maxLength: BLOCK_TXS_MAX }),
  evidence: s.array(s.value({ maxDepth: 2 }), { maxLength: 1024 }),
});

/**
 * What is structurally wrong with `block`, or null. Every block an honest leader builds passes
 * (the engine and the applications enforce each rule on the blocks they accept).
 */
export function blockStructureProblem(block: UncheckedBlock, ctx: StructureContext): string | null {
  return headerProblem(block.header, ctx) ?? txsProblem(block.header, block.txs, ctx.chainId) ?? evidenceProblem(block.header, block.evidence);
}

/** Checks of the header against the epoch's set and its own QC: no parent needed. */
function headerProblem(h: BlockHeader, ctx: StructureContext): string | null {
  if (h.chainId !== ctx.chainId) return `chainId "${h.chainId}" is not "${ctx.chainId}"`;
  const leader = ctx.committee.validators[leaderOf(ctx.committee, h.view)];
  if (leader === undefined || !bytesEqual(leader.address, h.proposer)) return `proposer is not the leader of view ${h.view}`;
  if (!bytesEqual(h.validatorSetHash, ctx.committee.hash)) return "validatorSetHash is not the epoch's validator set";
  const justify = h.justify;
  if (justify === null) return h.height === 1 ? null : `height ${h.height} without a QC (only block 1 has none)`;
  if (h.height !== justify.height + 1) return `height ${h.height} does not follow its QC's height ${justify.height}`;
  if (h.view <= justify.view) return `view ${h.view} is not above its QC's view ${justify.view}`;
  if (!bytesEqual(h.parentHash, justify.blockHash)) return "parentHash is not the block its QC certifies";
  return null;
}

/** txCount, each transaction's schema and stateless rules (chain id, size, amounts, batch root), then txRoot. */
function txsProblem(h: BlockHeader, txs: readonly unknown[], chainId: string): string | null {
  if (h.txCount !== txs.length) return `txCount ${h.txCount} but ${txs.length} transactions`;
  const items: TxRootItem[] = [];
  for (let i = 0; i < txs.length; i++) {
    try {
      const signedTx = signedTxSchema.parse(txs[i], `txs[${i}]`);
      validateSignedTx(signedTx, encodeCanonical(signedTx).byteLength, chainId);
      items.push({ txHash: hashTx(signedTx.tx), signedTx });
    } catch (err) {
      if (isGhostmeshError(err)) return `transaction ${i}: ${err.message}`;
      throw err;
    }
  }
  if (!bytesEqual(h.txRoot, txRoot(items))) return "txRoot is not the RFC 6962 root of the transactions' hashes and signatures";
  return null;
}

function evidenceProblem(h: BlockHeader, evidence: readonly unknown[]): string | null {
  const parsed: Evidence[] = [];
  for (let i = 0; i < evidence.length; i++) {
    try {
      parsed.push(evidenceSchema.parse(evidence[i], `evidence[${i}]`));
    } catch (err) {
      if (isGhostmeshError(err)) return `evidence ${i}: ${err.message}`;
      throw err;
    }
  }
  if (!bytesEqual(h.evidenceHash, hashEvidenceList(parsed))) return "evidenceHash is not the hash of the evidence carried";
  return null;
}

function decodeUncheckedBlock(bytes: Uint8Array): UncheckedBlock | undefined {
  if (bytes.byteLength > EVIDENCE_FIELD_BYTES_MAX) return undefined;
  try {
    return decodeWith(uncheckedBlockSchema, bytes, "block", { maxBytes: EVIDENCE_FIELD_BYTES_MAX });
  } catch (err) {
    if (isGhostmeshError(err)) return undefined;
    throw err;
  }
}

/**
 * Why `evidence` (kind "invalid-proposal") proves nothing, or null when it proves that its
 * validator, leading the view, signed a structurally invalid block. `checkSignature` false is
 * for the engine, which verified the proposal's signature when it arrived.
 */
export function invalidProposalProblem(evidence: Evidence, ctx: CertificateContext, checkSignature: boolean): string | null {
  const record = decodeEvidenceRecord(evidence.first);
  // A proposal's signature is its leader's vote; records of kind "proposal" are from blocks
  // committed before it was (messages.ts proposalMessage).
  if (record === undefined) return "first is not a signed proposal record";
  if (record.view !== evidence.view) return "record view differs from the evidence";
  if (record.chainId !== ctx.chainId || record.epoch !== ctx.epoch) return "record is for another chain or epoch";
  if (record.signer !== leaderOf(ctx.committee, record.view)) return "record signer does not lead the view";
  const validator = ctx.committee.validators[record.signer];
  if (validator === undefined || !bytesEqual(validator.address, evidence.validator)) return "signer is not the named validator";
  const block = decodeUncheckedBlock(evidence.second);
  if (block === undefined) return `second is not the canonical bytes of a block of at most ${EVIDENCE_FIELD_BYTES_MAX} bytes`;
  const { header } = block;
  if (header.view !== record.view || header.height !== record.height || !bytesEqual(hashBlockHeader(header), record.blockHash)) {
    return "the block is not the one the proposal signs";
  }
  if (blockStructureProblem(block, ctx) === null) return "the block is structurally valid";
  if (checkSignature && !ctx.verifier.verify(record.signer, evidenceRecordMessage(record), record.signature)) return "proposal signature does not verify";
  return null;
}

/**
 * Invalid-proposal evidence for a proposal whose leader signature the caller verified, or
 * undefined when its block is structurally valid (refused for a stateful reason, if at all),
 * is larger than INVALID_PROPOSAL_BLOCK_BYTES_MAX, or cannot be encoded (an in-process peer's object).
 */
export function invalidProposalEvidence(proposal: ProposalMessage, blockHash: Uint8Array, validatorAddress: Uint8Array, ctx: CertificateContext): Evidence | undefined {
  let second: Uint8Array;
  try {
    second = encodeCanonical(proposal.block);
  } catch (err) {
    if (isGhostmeshError(err)) return undefined;
    throw err;
  }
  if (second.byteLength > INVALID_PROPOSAL_BLOCK_BYTES_MAX) return undefined;
  const first = encodeEvidenceRecord(voteRecord(ctx.chainId, proposalVote(proposal, blockHash)));
  const evidence: Evidence = { kind: "invalid-proposal", validator: validatorAddress, view: proposal.block.header.view, first, second };
  return invalidProposalProblem(evidence, ctx, false) === null ? evidence : undefined;
}
