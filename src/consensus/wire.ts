/**
 * Consensus messages on the wire: canonical CBOR, decoded through schemas so a malformed
 * message is refused (with the path of the bad field) before the engine sees it. The
 * engine re-checks shapes anyway (shape.ts) and verifies every signature.
 */
import { decodeWith, encodeCanonical, s, skipValue, walkArray, walkCursor, walkMap, type Schema } from "../codec/index.ts";
import { HASH_SIZE_BYTES } from "../crypto/index.ts";
import {
  BLOCK_TXS_MAX,
  SIGNATURE_BYTES_MAX,
  blockHeaderSchema,
  evidenceSchema,
  quorumCertificateSchema,
  rememberBlockSpans,
  signedTxSchema,
  type Block,
} from "../ledger/index.ts";
import { COMMITTEE_SIZE_MAX } from "./committee.ts";
import { defaultConsensusLimits } from "./options.ts";
import type { BlockResponseMessage, ConsensusMessage, ProposalMessage, TimeoutCertificate } from "./types.ts";

/** Largest encoded consensus message accepted: a block response of retrievalBlocksMax blocks. */
export const CONSENSUS_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

const signature = s.bytes({ minSize: 1, maxSize: SIGNATURE_BYTES_MAX });
const validatorIndex = s.uint({ max: COMMITTEE_SIZE_MAX - 1 });

export const blockSchema: Schema<Block> = s.object({
  header: blockHeaderSchema,
  txs: s.array(signedTxSchema, { maxLength: BLOCK_TXS_MAX }),
  evidence: s.array(evidenceSchema, { maxLength: defaultConsensusLimits.evidencePerBlockMax }),
});

export const timeoutCertificateSchema: Schema<TimeoutCertificate> = s.object({
  view: s.uint({ min: 1 }),
  signers: s.bytes({ minSize: 1, maxSize: COMMITTEE_SIZE_MAX / 8 }),
  highQcViews: s.array(s.uint(), { maxLength: COMMITTEE_SIZE_MAX }),
  signatures: s.array(signature, { maxLength: COMMITTEE_SIZE_MAX }),
});

const common = { epoch: s.uint(), sender: validatorIndex };

export const consensusMessageSchema: Schema<ConsensusMessage> = s.union("type", [
  s.object({ type: s.literal("proposal"), ...common, block: blockSchema, tc: s.nullable(timeoutCertificateSchema), signature }),
  s.object({ type: s.literal("vote"), ...common, view: s.uint(), height: s.uint({ min: 1 }), blockHash: s.bytes({ size: HASH_SIZE_BYTES }), signature }),
  s.object({ type: s.literal("timeout"), ...common, view: s.uint({ min: 1 }), highQc: s.nullable(quorumCertificateSchema), tc: s.nullable(timeoutCertificateSchema), signature }),
  s.object({ type: s.literal("blockRequest"), ...common, blockHash: s.bytes({ size: HASH_SIZE_BYTES }), countMax: s.uint({ min: 1, max: 1024 }), heightMin: s.uint() }),
  s.object({ type: s.literal("blockResponse"), ...common, blocks: s.array(blockSchema, { maxLength: 1024 }) }),
  s.object({ type: s.literal("evidence"), ...common, evidence: evidenceSchema }),
  s.object({ type: s.literal("syncInfo"), ...common, highQc: s.nullable(quorumCertificateSchema), tc: s.nullable(timeoutCertificateSchema) }),
]);

export function encodeConsensusMessage(message: ConsensusMessage): Uint8Array {
  return encodeCanonical(message);
}

/**
 * The blocks of proposals and block responses come with their spans in `bytes` remembered
 * (ledger/blockSpans.ts): a validator saves, hashes, prepares and stores them from those.
 * @throws GhostmeshError CODEC_* naming the malformed field; the sender is at fault.
 */
export function decodeConsensusMessage(bytes: Uint8Array): ConsensusMessage {
  const message = decodeWith(consensusMessageSchema, bytes, "consensusMessage", { maxBytes: CONSENSUS_MESSAGE_BYTES_MAX });
  if (message.type === "proposal" || message.type === "blockResponse") rememberMessageBlockSpans(bytes, message);
  return message;
}

/** Walks the message's fields to its block (or blocks) and remembers their spans. */
function rememberMessageBlockSpans(bytes: Uint8Array, message: ProposalMessage | BlockResponseMessage): void {
  const cursor = walkCursor();
  walkMap(bytes, cursor, (name) => {
    if (message.type === "proposal" && name === "block") return rememberBlockSpans(bytes, cursor, message.block);
    if (message.type === "blockResponse" && name === "blocks") {
      return walkArray(bytes, cursor, message.blocks.length, (index) => rememberBlockSpans(bytes, cursor, message.blocks[index] as Block));
    }
    return skipValue(bytes, cursor);
  });
}
