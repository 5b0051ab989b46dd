/**
 * Domain tags and hashes of ledger objects. Every hash of a signed or committed object goes
 * through here, so the tag list below is the complete list of what Ghostmesh hashes.
 */
import { hashTagged } from "../crypto/index.ts";
import { encodeCanonical } from "../codec/index.ts";
import { leafHash, rootFromLeafHashes } from "../merkle/index.ts";
import type { AuditRecord, BlockHeader, Evidence, Genesis, Tx, ValidatorSet } from "./types.ts";

export const DomainTag = {
  tx: "ghostmesh/v1/tx",
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

/** RFC 6962 root over transaction hashes, in block order. */
export function txRoot(txHashes: readonly Uint8Array[]): Uint8Array {
  return rootFromLeafHashes(txHashes.map((hash) => leafHash(hash)));
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
