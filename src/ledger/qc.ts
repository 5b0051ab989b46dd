/**
 * Quorum certificates: building and verifying them against a validator set. A QC is valid
 * when its signers hold more than 2/3 of the set's voting power and every signature verifies
 * over the vote message. Used by consensus, by `ghostmesh verify`, and by light clients.
 */
import { verify } from "../crypto/index.ts";
import { GhostmeshError } from "../util/index.ts";
import { voteMessage } from "./hashing.ts";
import type { QuorumCertificate, Validator } from "./types.ts";

export function signerBitmap(indices: readonly number[], validatorCount: number): Uint8Array {
  const bitmap = new Uint8Array(Math.max(1, Math.ceil(validatorCount / 8)));
  for (const index of indices) bitmap[index >> 3] = (bitmap[index >> 3] as number) | (1 << (index & 7));
  return bitmap;
}

export function signerIndices(bitmap: Uint8Array, validatorCount: number): number[] {
  const indices: number[] = [];
  for (let i = 0; i < bitmap.length * 8; i++) {
    if (((bitmap[i >> 3] as number) >> (i & 7)) & 1) {
      if (i >= validatorCount) {
        throw new GhostmeshError("LEDGER_QC_BAD_SIGNER", `QC names signer ${i} but the validator set has ${validatorCount} validators`, {
          signer: i,
          validatorCount,
        });
      }
      indices.push(i);
    }
  }
  return indices;
}

/** Voting power strictly above two thirds of the total, in integers. */
export function hasQuorum(power: number, powerTotal: number): boolean {
  return power * 3 > powerTotal * 2;
}

/** @throws GhostmeshError LEDGER_QC_* naming what is wrong. */
export function verifyQuorumCertificate(qc: QuorumCertificate, validators: readonly Validator[], chainId: string): void {
  const expectedBytes = Math.max(1, Math.ceil(validators.length / 8));
  if (qc.signers.length !== expectedBytes) {
    throw new GhostmeshError("LEDGER_QC_BAD_SIGNER", `QC signer bitmap is ${qc.signers.length} bytes; ${expectedBytes} expected`, {});
  }
  const indices = signerIndices(qc.signers, validators.length);
  if (indices.length !== qc.signatures.length) {
    throw new GhostmeshError("LEDGER_QC_SIGNATURE_COUNT", `QC has ${indices.length} signers but ${qc.signatures.length} signatures`, {
      signers: indices.length,
      signatures: qc.signatures.length,
    });
  }
  const message = voteMessage(chainId, qc.view, qc.height, qc.blockHash);
  let power = 0;
  let powerTotal = 0;
  for (const validator of validators) powerTotal += validator.power;
  indices.forEach((index, position) => {
    const validator = validators[index] as Validator;
    if (!verify(validator.alg, validator.publicKey, message, qc.signatures[position] as Uint8Array)) {
      throw new GhostmeshError("LEDGER_QC_BAD_SIGNATURE", `QC signature of validator ${validator.name} (index ${index}) does not verify`, {
        signer: index,
      });
    }
    power += validator.power;
  });
  if (!hasQuorum(power, powerTotal)) {
    throw new GhostmeshError("LEDGER_QC_NO_QUORUM", `QC signers hold ${power} of ${powerTotal} voting power; more than 2/3 is needed`, {
      power,
      powerTotal,
    });
  }
}
