/**
 * Client-side verification: a checkpoint is trusted only if its header hashes to the block
 * hash, commits to the claimed tree size and root, and carries a quorum of valid validator
 * signatures; a proof is trusted only if it verifies against such a checkpoint.
 */
import { decodeWith } from "../codec/index.ts";
import { leafHash, verifyConsistency, verifyInclusion } from "../merkle/index.ts";
import { blockHeaderSchema, hashBlockHeader, verifyQuorumCertificate, type Validator } from "../ledger/index.ts";
import { GhostmeshError, bytesEqual, fromHexOrUndefined, toHex } from "../util/index.ts";
import { parseAddress, parseSignatureAlgorithmName } from "../crypto/index.ts";
import type { CheckpointResponse, ConsistencyProofResponse, InclusionProofResponse, StatusResponse } from "./client.ts";

/** The validator set as a node reports it (trust on first use, when no genesis file is at hand). */
export function genesisFromStatus(status: StatusResponse): { chainId: string; validators: Validator[] } {
  return {
    chainId: status.chainId,
    validators: status.validators.map((v) => ({ name: v.name, address: parseAddress(v.address), alg: parseSignatureAlgorithmName(v.alg), publicKey: hex(v.publicKey, "validator.publicKey"), power: v.power })),
  };
}

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
  if (header.logSize !== checkpoint.treeSize || toHex(header.logRoot) !== checkpoint.rootHash) fail("checkpoint treeSize/rootHash differ from the signed header");
  const qc = checkpoint.certificate;
  verifyQuorumCertificate(
    { view: qc.view, height: qc.height, blockHash: hex(qc.blockHash, "certificate.blockHash"), signers: hex(qc.signers, "certificate.signers"), signatures: qc.signatures.map((s, i) => hex(s, `certificate.signatures[${i}]`)) },
    validators,
    chainId,
  );
  if (qc.blockHash !== checkpoint.blockHash || qc.height !== header.height || qc.view !== header.view) fail("certificate is for another block");
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
