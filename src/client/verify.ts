/**
 * Client-side verification: a checkpoint (or block) is trusted only if its header hashes to
 * the block hash, commits to the claimed roots, and carries a quorum of valid validator
 * signatures; a proof is trusted only if it verifies against such a header.
 */
import { decodeWith } from "../codec/index.ts";
import { leafHash, stateProofFromJson, verifyConsistency, verifyInclusion, verifyStateProof, type StateProof } from "../merkle/index.ts";
import { blockHeaderSchema, hashBlockHeader, verifyQuorumCertificate, type BlockHeader, type Validator } from "../ledger/index.ts";
import { GhostmeshError, bytesEqual, fromHexOrUndefined, toHex } from "../util/index.ts";
import type { CertifiedBlockJson, CheckpointResponse, ConsistencyProofResponse, InclusionProofResponse, QcJson, StateProofResponse } from "./client.ts";

function hex(value: string, field: string): Uint8Array {
  const bytes = fromHexOrUndefined(value);
  if (!bytes) throw new GhostmeshError("CLIENT_VERIFY_FAILED", `${field} is not hex`, { field });
  return bytes;
}

function fail(message: string): never {
  throw new GhostmeshError("CLIENT_VERIFY_FAILED", message, {});
}

export function verifyCheckpoint(checkpoint: CheckpointResponse, validators: readonly Validator[], chainId: string): void {
  const headerBytes = hex(checkpoint.header, "checkpoint.header");
  const header = decodeWith(blockHeaderSchema, headerBytes, "checkpoint.header");
  const blockHash = hashBlockHeader(header);
  if (toHex(blockHash) !== checkpoint.blockHash) fail("checkpoint header does not hash to blockHash");
  if (header.chainId !== chainId) fail(`checkpoint is for chain ${header.chainId}, not ${chainId}`);
  if (header.height !== checkpoint.height) fail(`checkpoint header is for height ${header.height}, not ${checkpoint.height}`);
  if (header.logSize !== checkpoint.treeSize || toHex(header.logRoot) !== checkpoint.rootHash) fail("checkpoint treeSize/rootHash differ from the signed header");
  verifyCertificateOf(header, checkpoint.blockHash, checkpoint.certificate, validators, chainId);
}

/** The QC is a quorum of `validators` over exactly this block (hash, height, view). */
function verifyCertificateOf(header: BlockHeader, blockHash: string, qc: QcJson, validators: readonly Validator[], chainId: string): void {
  verifyQuorumCertificate(
    { view: qc.view, height: qc.height, blockHash: hex(qc.blockHash, "certificate.blockHash"), signers: hex(qc.signers, "certificate.signers"), signatures: qc.signatures.map((s, i) => hex(s, `certificate.signatures[${i}]`)) },
    validators,
    chainId,
  );
  if (qc.blockHash !== blockHash || qc.height !== header.height || qc.view !== header.view) fail("certificate is for another block");
}

/**
 * A block as GET /v1/blocks/:height serves it: its header bytes hash to its hash, it is of
 * `chainId`, and its certificate is a quorum of `validators` over it. Returns the header,
 * decoded from the signed bytes (never from the JSON view beside them).
 */
export function verifyBlockResponse(block: CertifiedBlockJson, validators: readonly Validator[], chainId: string): BlockHeader {
  const header = decodeWith(blockHeaderSchema, hex(block.headerBytes, "block.headerBytes"), "block.headerBytes");
  if (toHex(hashBlockHeader(header)) !== block.hash) fail("block header does not hash to the block hash");
  if (header.chainId !== chainId) fail(`block is for chain ${header.chainId}, not ${chainId}`);
  if (header.height !== block.height) fail(`block header is for height ${header.height}, not ${block.height}`);
  verifyCertificateOf(header, block.hash, block.certificate, validators, chainId);
  return header;
}

/** The value (or absence) of the response's key verifies against `stateRoot` (from a verified header). */
export function verifyStateProofResponse(response: StateProofResponse, stateRoot: Uint8Array): void {
  if (response.stateRoot !== toHex(stateRoot)) fail(`state proof is against root ${response.stateRoot}, not the header's stateRoot ${toHex(stateRoot)}`);
  const key = hex(response.key, "key");
  const value = response.value === null ? null : hex(response.value, "value");
  let proof: StateProof;
  try {
    proof = stateProofFromJson(response.proof);
  } catch (err) {
    fail(`state proof is malformed: ${(err as Error).message}`);
  }
  const what = value === null ? "absence" : `value ${response.value!.slice(0, 64)}`;
  if (!verifyStateProof(stateRoot, key, value, proof)) fail(`state proof of ${what} for key ${response.key} does not verify against root ${toHex(stateRoot)}`);
}

export function verifyInclusionResponse(proof: InclusionProofResponse, rootHash: string): void {
  const ok = verifyInclusion(
    leafHash(new Uint8Array(Buffer.from(proof.entry, "base64"))),
    proof.leafIndex,
    proof.treeSize,
    proof.auditPath.map((h, i) => hex(h, `auditPath[${i}]`)),
    hex(rootHash, "rootHash"),
  );
  if (!ok) fail(`inclusion proof for leaf ${proof.leafIndex} does not verify against root ${rootHash}`);
}

export function verifyConsistencyResponse(proof: ConsistencyProofResponse, fromRoot: string, toRoot: string): void {
  const ok = verifyConsistency(proof.fromSize, proof.toSize, proof.proof.map((h, i) => hex(h, `proof[${i}]`)), hex(fromRoot, "fromRoot"), hex(toRoot, "toRoot"));
  if (!ok || !bytesEqual(hex(proof.fromRoot, "fromRoot"), hex(fromRoot, "fromRoot"))) fail(`consistency proof ${proof.fromSize} → ${proof.toSize} does not verify`);
}
