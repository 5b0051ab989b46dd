/** JSON views of ledger objects: hashes and keys as lowercase hex, addresses as gm…. */
import { formatAddress, signatureAlgorithmName } from "../crypto/index.ts";
import { toJsonValue, type CborValue } from "../codec/index.ts";
import type { BlockHeader, LogEntry, QuorumCertificate, SignedTx, Validator } from "../ledger/index.ts";
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
