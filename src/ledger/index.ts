export * from "./types.ts";
export * from "./limits.ts";
export * from "./moduleTxs.ts";
export {
  DomainTag,
  hashTx,
  hashTxBytes,
  encodeBlockHeader,
  hashBlockHeader,
  rememberBlockHeaderEncoding,
  encodeQuorumCertificate,
  rememberQcEncoding,
  encodeBlock,
  rememberBlockEncoding,
  hashValidatorSet,
  hashEvidenceList,
  hashGenesis,
  recordsRoot,
  recordsRootOfEncoded,
  txRoot,
  type TxRootItem,
  voteMessage,
  cosignMessage,
} from "./hashing.ts";
export { signerBitmap, signerIndices, hasQuorum, verifyQuorumCertificate } from "./qc.ts";
export { decodeSignedTx, validateSignedTx, encodeSignedTx, rememberSignedTxEncoding, type DecodedTx } from "./validate.ts";
export { signedTxSpans, type SignedTxSpans } from "./spans.ts";
export { rememberBlockSpans } from "./blockSpans.ts";
export * from "./schemas.ts";
export { ChainStore, holdExclusiveLock, pageSpaceOf, storeFileBytes, type PageSpace, type BlockCommit, type PendingBlockRow, type PendingEvidenceRow, type StoredBlockRow, type StoredTxRow, type StoredEntryRow, type StateWrite, type EntryQuery } from "./store.ts";
export { decodeStoredHeader, decodeStoredQc, decodeStoredEvidence, decodeStoredTx, decodeStoredEntry } from "./decode.ts";
