/**
 * Validator sets by epoch (decision 0605), with what a light client needs to derive each one
 * from the genesis set alone: for epoch e ≥ 1, the certified header of block e·epochBlocks − 1
 * (its QC is signed by the set of epoch e − 1) and state proofs, against that header's
 * stateRoot, of the keys the next set is computed from: the validator set record (0x25) and
 * each member's account key record (with its nonce record when present, as the account reader
 * decodes both). See src/client/validatorSets.ts for the walk.
 */
import { VALIDATOR_SET_KEY, accountKey, accountNonceKey, readValidatorSet } from "../../app/index.ts";
import type { Chain } from "../../node/chain.ts";
import { toHex } from "../../util/index.ts";
import { notFound } from "../errors.ts";
import { stateProofJson, storedBlockJson, validatorJson } from "../json.ts";
import { parseUint, requireUint } from "../params.ts";
import type { RouteFactory } from "../types.ts";

/**
 * Epochs per range request. Each carries its members' public keys twice (set and account
 * proofs, about 8 KB per ML-DSA-65 member); 16 epochs of 100 members stay near 13 MB.
 */
export const VALIDATOR_SET_EPOCHS_MAX = 16;

/** The highest epoch whose set is known: e = 0, or the state after block e·E − 1 is committed. */
function latestEpochOf(chain: Chain): number {
  return Math.floor((chain.head.height + 1) / chain.validatorSets.epochBlocks);
}

function certifiedBlockJson(chain: Chain, height: number) {
  const row = chain.store.getBlock(height);
  if (!row) throw notFound(`no block at height ${height}; the head is at ${chain.head.height}`);
  return storedBlockJson(row, height, chain.store.certificate(height));
}

function provenAt(chain: Chain, key: Uint8Array, height: number) {
  return stateProofJson(key, height, chain.state.prove(key, height));
}

/** The proofs validatorSetFromState's reads need: 0x25, then per member its key record and, when that exists, its nonce record. */
function derivationJson(chain: Chain, epoch: number) {
  const height = epoch * chain.validatorSets.epochBlocks - 1;
  const proofs = [provenAt(chain, VALIDATOR_SET_KEY, height)];
  for (const entry of readValidatorSet((key) => chain.state.get(key, height) ?? undefined)) {
    const keyProof = provenAt(chain, accountKey(entry.address), height);
    proofs.push(keyProof);
    if (keyProof.value !== null) proofs.push(provenAt(chain, accountNonceKey(entry.address), height));
  }
  return { height, block: certifiedBlockJson(chain, height), proofs };
}

function epochSetJson(chain: Chain, epoch: number) {
  const { set, hash } = chain.validatorSets.forEpoch(epoch);
  const epochBlocks = chain.validatorSets.epochBlocks;
  let powerTotal = 0;
  for (const validator of set.validators) powerTotal += validator.power;
  return {
    epoch,
    firstHeight: epoch * epochBlocks,
    lastHeight: (epoch + 1) * epochBlocks - 1,
    hash: toHex(hash),
    powerTotal,
    validators: set.validators.map(validatorJson),
    derivedFrom: epoch === 0 ? null : derivationJson(chain, epoch),
  };
}

export const validatorSetRoutes: RouteFactory = ({ chain }) => [
  {
    method: "GET",
    url: "/v1/validator-sets",
    summary: `Validator sets of a range of epochs (at most ${VALIDATOR_SET_EPOCHS_MAX}), each with the certified header and state proofs it is derived from`,
    query: {
      fromEpoch: "first epoch (default: the epoch of the head)",
      toEpoch: `last epoch (default and bound: fromEpoch + ${VALIDATOR_SET_EPOCHS_MAX - 1}, and the latest epoch whose set is known)`,
    },
    async handler(request) {
      const q = request.query as { fromEpoch?: string; toEpoch?: string };
      const latestEpoch = latestEpochOf(chain);
      const fromEpoch = parseUint(q.fromEpoch, "fromEpoch") ?? chain.validatorSets.epochOf(chain.head.height);
      if (fromEpoch > latestEpoch) throw notFound(`the set of epoch ${fromEpoch} is not known yet; the latest is epoch ${latestEpoch} (head at height ${chain.head.height})`);
      const toEpoch = Math.min(parseUint(q.toEpoch, "toEpoch", { min: fromEpoch }) ?? latestEpoch, fromEpoch + VALIDATOR_SET_EPOCHS_MAX - 1, latestEpoch);
      const sets = [];
      for (let epoch = fromEpoch; epoch <= toEpoch; epoch++) sets.push(epochSetJson(chain, epoch));
      return { epochBlocks: chain.validatorSets.epochBlocks, latestEpoch, sets, nextEpoch: toEpoch < latestEpoch ? toEpoch + 1 : null };
    },
  },
  {
    method: "GET",
    url: "/v1/validator-sets/:epoch",
    summary: "The validator set of one epoch (members in QC bitmap order, powers, hash), with the certified header and state proofs it is derived from",
    params: { epoch: "epoch number (0 = the genesis set); epoch e signs heights e·epochBlocks to (e+1)·epochBlocks − 1" },
    async handler(request) {
      const { epoch: text } = request.params as { epoch: string };
      const epoch = requireUint(text, "epoch");
      const latestEpoch = latestEpochOf(chain);
      if (epoch > latestEpoch) throw notFound(`the set of epoch ${epoch} is not known yet; the latest is epoch ${latestEpoch} (head at height ${chain.head.height})`);
      return { epochBlocks: chain.validatorSets.epochBlocks, latestEpoch, ...epochSetJson(chain, epoch) };
    },
  },
];
