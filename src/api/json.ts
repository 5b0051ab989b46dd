/** JSON views of ledger objects: hashes and keys as lowercase hex, addresses as gm…. */
import { formatAddress, signatureAlgorithmName } from "../crypto/index.ts";
import { toJsonValue, type CborValue } from "../codec/index.ts";
import { decodeStoredHeader, type BlockHeader, type LogEntry, type QuorumCertificate, type SignedTx, type StoredBlockRow, type Validator } from "../ledger/index.ts";
import { stateProofToJson, type StateProofResult } from "../state/index.ts";
import { toHex } from "../util/index.ts";

export function qcJson(qc: QuorumCertificate) {
  return { view: qc.view, height: qc.height, blockHash: toHex(qc.blockHash), signers: toHex(qc.signers), signatures: qc.signatures.map(toHex) };
}

export function headerJson(header: BlockHeader) {
  return {
    chainId: header.chainId,
    height: header.height,
    view: header.view,
    parentHash: toHex(header.parentHash),
    proposer: formatAddress(header.proposer),
    timestamp: header.timestamp,
    txRoot: toHex(header.txRoot),
    txCount: header.txCount,
    stateRoot: toHex(header.stateRoot),
    logSize: header.logSize,
    logRoot: toHex(header.logRoot),
    validatorSetHash: toHex(header.validatorSetHash),
    evidenceHash: toHex(header.evidenceHash),
    justify: header.justify ? qcJson(header.justify) : null,
  };
}

export function txBodyJson(signedTx: SignedTx): unknown {
  const { tx } = signedTx;
  switch (tx.type) {
    case "account.register":
      return { alg: signatureAlgorithmName(tx.body.alg), publicKey: toHex(tx.body.publicKey) };
    case "audit.append":
      return { record: toJsonValue(tx.body.record as CborValue) };
    case "audit.batch":
      return { recordCount: tx.body.recordCount, recordsRoot: toHex(tx.body.recordsRoot) };
  }
}

export function entryJson(entry: LogEntry, leafIndex: number) {
  const record = entry.type === "account.register" ? undefined : (entry.record as { action: string; subject?: string; data?: CborValue });
  return {
    leafIndex,
    height: entry.height,
    txHash: toHex(entry.txHash),
    from: formatAddress(entry.from),
    type: entry.type,
    recordIndex: entry.recordIndex,
    ...(record ? { action: record.action, subject: record.subject, data: record.data === undefined ? undefined : toJsonValue(record.data) } : {}),
  };
}

export function validatorJson(validator: Validator) {
  return { name: validator.name, address: formatAddress(validator.address), alg: signatureAlgorithmName(validator.alg), publicKey: toHex(validator.publicKey), power: validator.power };
}

/** A stored block as clients verify it: header (decoded and as signed bytes) with its certificate. */
export function storedBlockJson(row: StoredBlockRow, height: number, certificate: QuorumCertificate) {
  return {
    height,
    hash: toHex(row.hash),
    header: headerJson(decodeStoredHeader(row.header, height)),
    headerBytes: toHex(row.header),
    certificate: qcJson(certificate),
  };
}

/** A state proof answer (`/v1/state/proof`): the value of `key` after block `height`, proven against its stateRoot. */
export function stateProofJson(key: Uint8Array, height: number, proven: StateProofResult) {
  return { height, stateRoot: toHex(proven.root), key: toHex(key), value: proven.value === null ? null : toHex(proven.value), proof: stateProofToJson(proven.proof) };
}
