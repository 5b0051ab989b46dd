/**
 * Structural checks of inbound messages. Wire bytes are decoded with schemas (wire.ts), but
 * the engine also runs in-process (simulator, devnet) where a Byzantine peer hands it objects
 * directly, so it re-checks every field it reads. Cheap: no hashing, no signatures.
 */
import type { Block, BlockHeader, Evidence, QuorumCertificate } from "../ledger/index.ts";
import type { ConsensusMessage, TimeoutCertificate } from "./types.ts";

export function isUint(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

export function isBytes(value: unknown, size?: number): value is Uint8Array {
  return value instanceof Uint8Array && (size === undefined || value.byteLength === size);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export function isQcShape(value: unknown): value is QuorumCertificate {
  if (!isObject(value)) return false;
  return isUint(value.view) && isUint(value.height) && isBytes(value.blockHash, 32) && isBytes(value.signers) && Array.isArray(value.signatures);
}

export function isTcShape(value: unknown): value is TimeoutCertificate {
  if (!isObject(value)) return false;
  return isUint(value.view) && isBytes(value.signers) && Array.isArray(value.highQcViews) && Array.isArray(value.signatures);
}

export function isEvidenceShape(value: unknown): value is Evidence {
  if (!isObject(value)) return false;
  const kindOk = value.kind === "vote" || value.kind === "proposal" || value.kind === "invalid-proposal";
  return kindOk && isBytes(value.validator, 20) && isUint(value.view) && isBytes(value.first) && isBytes(value.second);
}

function isHeaderShape(value: unknown): value is BlockHeader {
  if (!isObject(value)) return false;
  const scalars = typeof value.chainId === "string" && isUint(value.height) && value.height >= 1 && isUint(value.view) && isUint(value.timestamp);
  const hashes = isBytes(value.parentHash, 32) && isBytes(value.proposer, 20) && isBytes(value.validatorSetHash, 32) && isBytes(value.evidenceHash, 32);
  const roots = isBytes(value.txRoot, 32) && isBytes(value.stateRoot, 32) && isBytes(value.logRoot, 32) && isUint(value.txCount) && isUint(value.logSize);
  return scalars && hashes && roots && (value.justify === null || isQcShape(value.justify));
}

export function isBlockShape(value: unknown): value is Block {
  if (!isObject(value)) return false;
  return isHeaderShape(value.header) && Array.isArray(value.txs) && Array.isArray(value.evidence) && value.evidence.every(isEvidenceShape);
}

/** True when every field the engine reads has the right type; signatures are checked later. */
export function isMessageShape(message: unknown): message is ConsensusMessage {
  if (!isObject(message) || !isUint(message.epoch) || !isUint(message.sender)) return false;
  switch (message.type) {
    case "proposal":
      return isBlockShape(message.block) && (message.tc === null || isTcShape(message.tc)) && isBytes(message.signature);
    case "vote":
      return isUint(message.view) && isUint(message.height) && isBytes(message.blockHash, 32) && isBytes(message.signature);
    case "timeout":
      return isUint(message.view) && (message.highQc === null || isQcShape(message.highQc)) && (message.tc === null || isTcShape(message.tc)) && isBytes(message.signature);
    case "blockRequest":
      return isBytes(message.blockHash, 32) && isUint(message.countMax) && isUint(message.heightMin);
    case "blockResponse":
      return Array.isArray(message.blocks) && message.blocks.every(isBlockShape);
    case "evidence":
      return isEvidenceShape(message.evidence);
    case "syncInfo":
      return (message.highQc === null || isQcShape(message.highQc)) && (message.tc === null || isTcShape(message.tc));
    default:
      return false;
  }
}
