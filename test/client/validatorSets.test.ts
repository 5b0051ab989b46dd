/**
 * The client's walk of validator sets from genesis (decision 0605) on a chain whose set drops
 * v3 at the end of epoch 0: it verifies, and every tampering a node could try is refused.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { accountKey, VALIDATOR_SET_KEY } from "../../src/app/index.ts";
import { qcJson } from "../../src/api/json.ts";
import { ValidatorSetWalk, verifyBlockFromGenesis, verifyCheckpointFromGenesis, type BlockResponse, type CheckpointResponse, type ValidatorSetsResponse } from "../../src/client/index.ts";
import { encodeCanonical } from "../../src/codec/index.ts";
import { addressFromPublicKey, generateSigningKey } from "../../src/crypto/index.ts";
import { GhostmeshError, fromHexOrUndefined, toHex } from "../../src/util/index.ts";
import { openEpochChainApi, type EpochChainApi } from "../fixtures/epochChainApi.ts";
import { removeDir } from "../helpers/testChain.ts";

const HEAD_HEIGHT = 7;

describe("client validator set walk", () => {
  let t: EpochChainApi;

  async function get<T>(url: string): Promise<T> {
    const res = await t.api.inject({ method: "GET", url });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as T;
  }
  /** A node that answers the walk, after `tamper` changed its answer. */
  function source(tamper: (page: ValidatorSetsResponse) => void = () => {}) {
    return {
      async validatorSets(fromEpoch: number, toEpoch?: number) {
        const page = await get<ValidatorSetsResponse>(`/v1/validator-sets?fromEpoch=${fromEpoch}${toEpoch === undefined ? "" : `&toEpoch=${toEpoch}`}`);
        tamper(page);
        return page;
      },
    };
  }
  function refused(err: unknown, pattern: RegExp): boolean {
    assert.ok(err instanceof GhostmeshError, String(err));
    assert.equal(err.code, "CLIENT_VERIFY_FAILED");
    assert.match(err.message, pattern);
    return true;
  }
  function epochItem(page: ValidatorSetsResponse, epoch: number) {
    const item = page.sets.find((s) => s.epoch === epoch);
    assert.ok(item?.derivedFrom, `epoch ${epoch} is in the page`);
    return item.derivedFrom;
  }
  const address = (i: number) => addressFromPublicKey(t.keys[i]!.alg, t.keys[i]!.publicKey);

  before(() => {
    t = openEpochChainApi();
    t.commitUpTo(HEAD_HEIGHT);
  });
  after(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it("derives from genesis alone the same set the node uses in each epoch, without v3 after the boundary", async () => {
    const walk = new ValidatorSetWalk(source(), t.genesis);
    assert.equal(walk.epochBlocks, 3);
    for (const epoch of [2, 1, 0]) {
      const verified = await walk.forEpoch(epoch);
      assert.equal(toHex(verified.hash), toHex(t.chain.validatorSets.forEpoch(epoch).hash), `epoch ${epoch}`);
    }
    assert.deepEqual((await walk.forHeight(2)).set.validators.map((v) => v.name), ["v0", "v1", "v2", "v3"]);
    // From epoch 1 the set is the state's, ordered by address.
    assert.deepEqual((await walk.forHeight(3)).set.validators.map((v) => v.name).sort(), ["v0", "v1", "v2"]);
  });

  it("verifies the checkpoint and a block after the change against the walked set", async () => {
    const walk = new ValidatorSetWalk(source(), t.genesis);
    const checkpoint = await get<CheckpointResponse>("/v1/checkpoint");
    const fromCheckpoint = await verifyCheckpointFromGenesis(walk, checkpoint);
    assert.equal(fromCheckpoint.validatorSet.epoch, 2);
    assert.equal(fromCheckpoint.header.height, HEAD_HEIGHT);
    const fromBlock = await verifyBlockFromGenesis(walk, await get<BlockResponse>("/v1/blocks/4"));
    assert.equal(fromBlock.validatorSet.epoch, 1);
    assert.equal(fromBlock.validatorSet.set.validators.length, 3);
  });

  it("refuses a checkpoint certified by the old set after the boundary", async () => {
    const checkpoint = await get<CheckpointResponse>("/v1/checkpoint");
    const forged = t.signQc(checkpoint.height, fromHexOrUndefined(checkpoint.blockHash)!, checkpoint.view, t.genesis.validators);
    const tampered = { ...checkpoint, certificate: qcJson(forged) };
    await assert.rejects(verifyCheckpointFromGenesis(new ValidatorSetWalk(source(), t.genesis), tampered), (err) => refused(err, /checkpoint at height 7 is not certified by the validator set of epoch 2 \(3 validators/));
    const block = await get<BlockResponse>("/v1/blocks/3");
    const forgedBlock = { ...block, certificate: qcJson(t.signQc(3, fromHexOrUndefined(block.hash)!, block.certificate.view, t.genesis.validators)) };
    await assert.rejects(verifyBlockFromGenesis(new ValidatorSetWalk(source(), t.genesis), forgedBlock), (err) => refused(err, /block at height 3 is not certified by the validator set of epoch 1/));
  });

  it("refuses a boundary block certified by the old set", async () => {
    const walk = new ValidatorSetWalk(
      source((page) => {
        const derivation = epochItem(page, 2);
        const { block } = derivation;
        derivation.block = { ...block, certificate: qcJson(t.signQc(5, fromHexOrUndefined(block.hash)!, block.certificate.view, t.genesis.validators)) };
      }),
      t.genesis,
    );
    await assert.rejects(walk.forEpoch(2), (err) => refused(err, /epoch 2: block 5, the last of epoch 1, is not certified by the validator set of epoch 1/));
  });

  it("refuses a wrong value of the validator set record, or a proof of it from another height", async () => {
    const genesisSetProof = await get<{ stateRoot: string; value: string }>(`/v1/state/proof?key=${toHex(VALIDATOR_SET_KEY)}&height=0`);
    const valueSwapped = new ValidatorSetWalk(
      source((page) => {
        epochItem(page, 1).proofs[0]!.value = genesisSetProof.value;
      }),
      t.genesis,
    );
    await assert.rejects(valueSwapped.forEpoch(1), (err) => refused(err, /epoch 1: state proof of value .* for key 25 does not verify/));
    const rootSwapped = new ValidatorSetWalk(
      source((page) => {
        // The genesis state's proof, relabelled as of block 2.
        Object.assign(epochItem(page, 1).proofs[0]!, genesisSetProof, { height: 2 });
      }),
      t.genesis,
    );
    await assert.rejects(rootSwapped.forEpoch(1), (err) => refused(err, /epoch 1: state proof is against root/));
  });

  it("refuses a set hash the proven state does not give", async () => {
    const walk = new ValidatorSetWalk(
      source((page) => {
        const item = page.sets.find((s) => s.epoch === 1)!;
        item.hash = toHex(t.chain.validatorSets.forEpoch(0).hash);
      }),
      t.genesis,
    );
    await assert.rejects(walk.forEpoch(1), (err) => refused(err, /epoch 1: the node reports validator set [0-9a-f]+, but the proven state after block 2 gives/));
  });

  it("refuses a forged member key and a member key left unproven", async () => {
    const attacker = generateSigningKey();
    const forgedKey = toHex(encodeCanonical({ alg: attacker.alg, publicKey: attacker.publicKey }));
    const v0Key = toHex(accountKey(address(0)));
    const forged = new ValidatorSetWalk(
      source((page) => {
        const proof = epochItem(page, 1).proofs.find((p) => p.key === v0Key);
        assert.ok(proof && proof.value !== null, "v0's account key record is proven present");
        proof.value = forgedKey;
      }),
      t.genesis,
    );
    await assert.rejects(forged.forEpoch(1), (err) => refused(err, new RegExp(`epoch 1: state proof of value .* for key ${v0Key} does not verify`)));
    const v1Key = toHex(accountKey(address(1)));
    const unproven = new ValidatorSetWalk(
      source((page) => {
        const derivation = epochItem(page, 1);
        derivation.proofs = derivation.proofs.filter((p) => p.key !== v1Key);
      }),
      t.genesis,
    );
    await assert.rejects(unproven.forEpoch(1), (err) => refused(err, new RegExp(`no proof of state key ${v1Key} after block 2`)));
  });

  it("refuses a node that counts epochs differently from the genesis file", async () => {
    const walk = new ValidatorSetWalk(
      source((page) => {
        page.epochBlocks = 4;
      }),
      t.genesis,
    );
    await assert.rejects(walk.forEpoch(1), (err) => refused(err, /counts 4 blocks per epoch; the genesis file says 3/));
  });

  // Last: it prunes the node's store.
  it("a node that pruned its state proofs up to the head still serves the walk from genesis (each epoch's last height is kept)", async () => {
    const result = t.chain.state.pruneProofsBefore(HEAD_HEIGHT, { keptHeightInterval: t.chain.validatorSets.epochBlocks });
    assert.ok(result.nodesDeleted > 0, "nodes were pruned");
    // The walk proves sets at heights 2 and 5 (3e - 1), both below the bound now.
    assert.equal(t.chain.state.proofsPrunedBefore, HEAD_HEIGHT);
    const walk = new ValidatorSetWalk(source(), t.genesis);
    for (const epoch of [2, 1, 0]) assert.equal(toHex((await walk.forEpoch(epoch)).hash), toHex(t.chain.validatorSets.forEpoch(epoch).hash), `epoch ${epoch}`);
  });
});
