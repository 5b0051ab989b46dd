/**
 * GET /v1/validator-sets and the proof commands on a chain whose set drops v3 at the end of
 * epoch 0 (epochBlocks 3): the node serves each set with what derives it, and `query state
 * --prove` / `query proof --verify` check heights after the change against the walked set.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { accountKey, accountNonceKey, VALIDATOR_SET_KEY } from "../../src/app/index.ts";
import type { CheckpointResponse, ValidatorSetResponse, ValidatorSetsResponse } from "../../src/client/index.ts";
import { addressFromPublicKey, formatAddress, generateSigningKey } from "../../src/crypto/index.ts";
import { hashGenesis } from "../../src/ledger/index.ts";
import { genesisFromJson, genesisToJson } from "../../src/node/home.ts";
import { toHex } from "../../src/util/index.ts";
import { openEpochChainApi, type EpochChainApi } from "../fixtures/epochChainApi.ts";
import { cli, json } from "../helpers/cliInProcess.ts";
import { removeDir } from "../helpers/testChain.ts";

const HEAD_HEIGHT = 7;

describe("validator sets API", () => {
  let t: EpochChainApi;
  let url: string;

  async function get(path: string) {
    const res = await t.api.inject({ method: "GET", url: path });
    return { status: res.statusCode, body: res.json() };
  }
  const address = (i: number) => addressFromPublicKey(t.keys[i]!.alg, t.keys[i]!.publicKey);

  before(async () => {
    t = openEpochChainApi();
    t.commitUpTo(HEAD_HEIGHT);
    url = await t.api.listen({ host: "127.0.0.1", port: 0 });
  });
  after(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it("serves each epoch's set with the certified last block of the epoch before and the state proofs that derive it", async () => {
    const { status, body } = await get("/v1/validator-sets?fromEpoch=0");
    assert.equal(status, 200);
    const page = body as ValidatorSetsResponse;
    assert.equal(page.epochBlocks, 3);
    assert.equal(page.latestEpoch, 2);
    assert.equal(page.nextEpoch, null);
    assert.deepEqual(page.sets.map((s) => s.epoch), [0, 1, 2]);
    const [zero, one] = page.sets as [ValidatorSetsResponse["sets"][number], ValidatorSetsResponse["sets"][number]];
    assert.equal(zero.derivedFrom, null);
    assert.deepEqual(zero.validators.map((v) => v.name), ["v0", "v1", "v2", "v3"]);
    assert.equal(one.hash, toHex(t.chain.validatorSets.forEpoch(1).hash));
    assert.deepEqual([one.firstHeight, one.lastHeight], [3, 5]);
    assert.deepEqual(one.validators.map((v) => v.address).sort(), [0, 1, 2].map((i) => formatAddress(address(i))).sort());
    assert.equal(one.powerTotal, one.validators.reduce((sum, v) => sum + v.power, 0));
    assert.equal(one.derivedFrom?.height, 2);
    assert.equal(one.derivedFrom?.block.hash, toHex(t.chain.store.getBlock(2)!.hash));
    // 0x25, every member's key record, and the nonce record of v0 alone (only v0 registered an account among them).
    const proven = new Map(one.derivedFrom!.proofs.map((p) => [p.key, p.value]));
    const expected = [toHex(VALIDATOR_SET_KEY), ...[0, 1, 2].map((i) => toHex(accountKey(address(i)))), toHex(accountNonceKey(address(0)))];
    assert.deepEqual([...proven.keys()].sort(), expected.sort());
    assert.notEqual(proven.get(toHex(accountKey(address(0)))), null);
    assert.equal(proven.get(toHex(accountKey(address(1)))), null);
  });

  it("serves one epoch, defaults to the head's epoch, and refuses epochs not known yet or a reversed range", async () => {
    const one = (await get("/v1/validator-sets/1")).body as ValidatorSetResponse;
    assert.equal(one.epoch, 1);
    assert.equal(one.hash, toHex(t.chain.validatorSets.forEpoch(1).hash));
    assert.deepEqual(((await get("/v1/validator-sets")).body as ValidatorSetsResponse).sets.map((s) => s.epoch), [2]);
    const ahead = await get("/v1/validator-sets/3");
    assert.equal(ahead.status, 404);
    assert.match(ahead.body.error.message, /epoch 3 is not known yet; the latest is epoch 2/);
    assert.equal((await get("/v1/validator-sets?fromEpoch=3")).status, 404);
    assert.equal((await get("/v1/validator-sets?fromEpoch=2&toEpoch=1")).status, 400);
    assert.deepEqual(((await get("/v1/validator-sets?fromEpoch=1&toEpoch=9")).body as ValidatorSetsResponse).sets.map((s) => s.epoch), [1, 2]);
  });

  it("names the checkpoint's signers from the set of its epoch", async () => {
    const checkpoint = (await get("/v1/checkpoint")).body as CheckpointResponse;
    assert.equal(checkpoint.height, HEAD_HEIGHT);
    const members = t.chain.validatorSets.forEpoch(2).set.validators.map((v) => formatAddress(v.address));
    assert.deepEqual(checkpoint.signatures.map((s) => s.validator), members);
    assert.equal(members.length, 3);
  });

  it("serves the genesis file the chain started from", async () => {
    const { body } = await get("/v1/genesis");
    assert.equal(toHex(hashGenesis(genesisFromJson(JSON.stringify(body), "/v1/genesis"))), toHex(t.chain.genesisHash));
  });

  it("query state --prove verifies a state proof after the set changed, from the genesis file or the node's genesis", async () => {
    for (const trust of [["--genesis", t.genesisFile], []]) {
      const proven = json<{ verified: boolean; height: number; validatorSet: { epoch: number; validatorsChecked: number; hash: string } }>(
        await cli("query", "state", "--key", toHex(VALIDATOR_SET_KEY), "--height", "6", "--prove", ...trust, "--node", url),
      );
      assert.equal(proven.verified, true);
      assert.equal(proven.height, 6);
      assert.deepEqual(proven.validatorSet, { epoch: 2, validatorsChecked: 3, hash: toHex(t.chain.validatorSets.forEpoch(2).hash) });
    }
  });

  it("query proof --verify checks the checkpoint after the change against the set of its epoch", async () => {
    const verified = json<{ verified: boolean; checkpoint: { height: number; epoch: number; validatorsChecked: number } }>(
      await cli("query", "proof", toHex(t.unbondTx.hash), "--verify", "--genesis", t.genesisFile, "--node", url),
    );
    assert.equal(verified.verified, true);
    assert.deepEqual([verified.checkpoint.height, verified.checkpoint.epoch, verified.checkpoint.validatorsChecked], [HEAD_HEIGHT, 2, 3]);
  });

  it("query proof --verify keeps the newest verified set in --trust-cache FILE; a tampered file is refused, --no-trust-cache ignores it", async () => {
    const file = join(t.dir, "trusted-sets.json");
    const verify = (...flags: string[]) => cli("query", "proof", toHex(t.unbondTx.hash), "--verify", "--genesis", t.genesisFile, ...flags, "--node", url);
    assert.equal(json<{ verified: boolean }>(await verify("--trust-cache", file)).verified, true);
    const kept = JSON.parse(readFileSync(file, "utf8")) as { epoch: number; hash: string; chainId: string };
    assert.deepEqual([kept.epoch, kept.hash, kept.chainId], [2, toHex(t.chain.validatorSets.forEpoch(2).hash), t.genesis.chainId]);
    // The second run starts from the file (src/cli/trustCache.ts tests count the node's pages).
    assert.equal(json<{ verified: boolean }>(await verify("--trust-cache", file)).verified, true);

    writeFileSync(file, JSON.stringify({ ...kept, hash: "00".repeat(32) }));
    const refused = await verify("--trust-cache", file);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /trusted-sets\.json: its validators hash to .*delete it .* or pass --no-trust-cache/);
    assert.equal(json<{ verified: boolean }>(await verify("--trust-cache", file, "--no-trust-cache")).verified, true);
  });

  it("query state --prove refuses the chain when the trusted genesis file names other validators", async () => {
    const stranger = generateSigningKey();
    const otherValidator = { name: "v0", address: addressFromPublicKey(stranger.alg, stranger.publicKey), alg: stranger.alg, publicKey: stranger.publicKey, power: 1 };
    const other = { ...t.genesis, validators: [otherValidator, ...t.genesis.validators.slice(1)], bonds: [{ validator: otherValidator.address, amount: "1000000" }, ...t.genesis.bonds!.slice(1)] };
    const file = join(t.dir, "other-genesis.json");
    writeFileSync(file, genesisToJson(other));
    const result = await cli("query", "state", "--key", toHex(VALIDATOR_SET_KEY), "--height", "6", "--prove", "--genesis", file, "--node", url);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /epoch 1: block 2, the last of epoch 0, is not certified by the validator set of epoch 0/);
  });

  it("a --genesis file that cannot be read is a usage error naming it, not a crash", async () => {
    const missing = join(t.dir, "no-such-genesis.json");
    const result = await cli("query", "state", "--key", toHex(VALIDATOR_SET_KEY), "--height", "6", "--prove", "--genesis", missing, "--node", url);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--genesis .*no-such-genesis\.json: cannot read it \(ENOENT/);
    assert.doesNotMatch(result.stderr, /unexpected error/);
  });
});
