/**
 * Domain tags and hashes of ledger objects. Every hash of a signed or committed object goes
 * through here, so the tag list below is the complete list of what Ghostmesh hashes.
 */
import { hashTagged } from "../crypto/index.ts";
import { encodeCanonical } from "../codec/index.ts";
import { leafHash, rootFromLeafHashes } from "../merkle/index.ts";
import type { AuditRecord, Block, BlockHeader, Evidence, Genesis, QuorumCertificate, Tx, ValidatorSet } from "./types.ts";

export const DomainTag = {
  tx: "ghostmesh/v1/tx",
  txSigned: "ghostmesh/v1/tx-signed",
  block: "ghostmesh/v1/block",
  vote: "ghostmesh/v1/vote",
  timeout: "ghostmesh/v1/timeout",
  proposal: "ghostmesh/v1/proposal",
  validatorSet: "ghostmesh/v1/valset",
  evidence: "ghostmesh/v1/evidence",
  genesis: "ghostmesh/v1/genesis",
  state: "ghostmesh/v1/state",
  cosign: "ghostmesh/v1/cosign",
} as const;

/** The transaction hash; also the message its sender signs. Excludes the signature, so a re-signed copy is the same transaction. */
export function hashTx(tx: Tx): Uint8Array {
  return hashTxBytes(encodeCanonical(tx));
}

/** hashTx from the transaction's canonical bytes (e.g. its span in decoded wire bytes). */
export function hashTxBytes(txBytes: Uint8Array): Uint8Array {
  return hashTagged(DomainTag.tx, txBytes);
}

/**
 * Canonical bytes of each header object, kept while the object lives: a header is encoded to
 * hash it and then again to store it, and with its justify QC (~10 KB of ML-DSA-65 signatures
 * at n = 4) that second encode is work on every commit. Headers are immutable (readonly).
 */
const encodedHeaders = new WeakMap<BlockHeader, Uint8Array>();

export function encodeBlockHeader(header: BlockHeader): Uint8Array {
  let bytes = encodedHeaders.get(header);
  if (bytes === undefined) {
    bytes = encodeCanonical(header);
    encodedHeaders.set(header, bytes);
  }
  return bytes;
}

/**
 * Hands over `header`'s canonical bytes, known without encoding: a decoder of canonical input
 * that kept the span it decoded the header from (sync). Ignored when an encoding is known.
 */
export function rememberBlockHeaderEncoding(header: BlockHeader, bytes: Uint8Array): void {
  if (!encodedHeaders.has(header)) encodedHeaders.set(header, bytes);
}

/**
 * Canonical bytes of certificates decoded from canonical input (see rememberQcEncoding). A
 * committed block's QC is stored as bytes; in a synced range it is the justify inside the next
 * header, whose span the decoder kept, so it need not be encoded again (~10 KB at n = 4).
 */
const encodedQcs = new WeakMap<QuorumCertificate, Uint8Array>();

export function encodeQuorumCertificate(qc: QuorumCertificate): Uint8Array {
  return encodedQcs.get(qc) ?? encodeCanonical(qc);
}

/** Hands over `qc`'s canonical bytes, known without encoding (its span in decoded canonical input). */
export function rememberQcEncoding(qc: QuorumCertificate, bytes: Uint8Array): void {
  if (!encodedQcs.has(qc)) encodedQcs.set(qc, bytes);
}

/**
 * Canonical bytes of blocks decoded from canonical input (see rememberBlockEncoding): a
 * validator saves each proposal it votes for, and the block's bytes are a span of the proposal
 * it came in, so the block (~3.6 KB per transaction) need not be encoded again to be saved.
 */
const encodedBlocks = new WeakMap<Block, Uint8Array>();

export function encodeBlock(block: Block): Uint8Array {
  return encodedBlocks.get(block) ?? encodeCanonical(block);
}

/** Hands over `block`'s canonical bytes, known without encoding (its span in decoded canonical input). */
export function rememberBlockEncoding(block: Block, bytes: Uint8Array): void {
  if (!encodedBlocks.has(block)) encodedBlocks.set(block, bytes);
}

export function hashBlockHeader(header: BlockHeader): Uint8Array {
  return hashTagged(DomainTag.block, encodeBlockHeader(header));
}

export function hashValidatorSet(set: ValidatorSet): Uint8Array {
  return hashTagged(DomainTag.validatorSet, encodeCanonical(set));
}

export function hashEvidenceList(evidence: readonly Evidence[]): Uint8Array {
  return hashTagged(DomainTag.evidence, encodeCanonical(evidence));
}

export function hashGenesis(genesis: Genesis): Uint8Array {
  return hashTagged(DomainTag.genesis, encodeCanonical(genesis));
}

/** RFC 6962 root over the records' canonical bytes: what an audit.batch signature covers. */
export function recordsRoot(records: readonly AuditRecord[]): Uint8Array {
  return recordsRootOfEncoded(records.map((record) => encodeCanonical(record)));
}

/** recordsRoot from the records' canonical bytes (e.g. their spans in decoded wire bytes). */
export function recordsRootOfEncoded(recordBytes: readonly Uint8Array[]): Uint8Array {
  const leafHashes = new Array<Uint8Array>(recordBytes.length);
  for (let i = 0; i < recordBytes.length; i++) leafHashes[i] = leafHash(recordBytes[i] as Uint8Array);
  return rootFromLeafHashes(leafHashes);
}

/** What a block's txRoot commits to for one transaction: its hash and its signature. */
export type TxRootItem = { readonly txHash: Uint8Array; readonly signedTx: { readonly sig: Uint8Array } };

/**
 * RFC 6962 root over the block's transactions in block order; leaf i is
 * H("ghostmesh/v1/tx-signed", txHash_i || sig_i). The signature is inside (the transaction
 * hash leaves it out), so a block hash covers every signature the quorum verified and a
 * certified block's signatures cannot be swapped in transit or in a store (decision 0005).
 * The hash is fixed-size and the signature last, so the concatenation is unambiguous.
 */
export function txRoot(txs: readonly TxRootItem[]): Uint8Array {
  const leafHashes = new Array<Uint8Array>(txs.length);
  for (let i = 0; i < txs.length; i++) {
    const { txHash, signedTx } = txs[i] as TxRootItem;
    leafHashes[i] = leafHash(hashTagged(DomainTag.txSigned, txHash, signedTx.sig));
  }
  return rootFromLeafHashes(leafHashes);
}

/**
 * The message a validator signs to vote for a block; a QC is a set of these signatures.
 * chainId is inside so a vote can never be replayed on another chain.
 */
export function voteMessage(chainId: string, view: number, height: number, blockHash: Uint8Array): Uint8Array {
  return hashTagged(DomainTag.vote, encodeCanonical({ chainId, view, height, blockHash }));
}

/**
 * What a cosigner signs: the transaction with its body's `cosignatures` left out (they are
 * inside the body the sender signs, so they cannot be part of what cosigners sign). Its own
 * tag keeps a cosignature from ever being a valid transaction signature and vice versa.
 */
export function cosignMessage(tx: Tx): Uint8Array {
  const body = { ...(tx.body as Record<string, unknown>) };
  delete body.cosignatures;
  return hashTagged(DomainTag.cosign, encodeCanonical({ chainId: tx.chainId, from: tx.from, nonce: tx.nonce, type: tx.type, body } as unknown as Tx));
}
