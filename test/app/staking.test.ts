import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BlockState } from "../../src/app/blockState.ts";
import { applyValidatorSetChange } from "../../src/app/staking.ts";
import {
  CANDIDATES_KEY,
  delegatorIndexKey,
  delegatorsOfKey,
  readAddressList,
  readDelegation,
  readMissed,
  readUnbonding,
  readValidatorRecord,
} from "../../src/app/stakingState.ts";
import { readBalance, readTotalBonded, readTotalSupply, readValidatorSet } from "../../src/app/index.ts";
import { bytesEqual, toHex } from "../../src/util/index.ts";
import { SignatureAlgorithm } from "../../src/crypto/index.ts";
import { AppHarness } from "./harness.ts";
import { addressOf, blockContext, doubleSign, posChain, registerAccount, send, validatorOf } from "./stakingFixtures.ts";

const V1 = addressOf(1);
const V2 = addressOf(2);
const ALICE = addressOf(10);
const BOB = addressOf(11);

/** Two genesis validators (1,000,000 and 500,000 bonded); Alice and Bob hold 1,000,000 each. */
function chain(params?: Record<string, Record<string, number>>): AppHarness {
  return posChain({ validators: [1, 2], bonds: [1_000_000n, 500_000n], accounts: [{ seed: 10, balance: 1_000_000n }, { seed: 11, balance: 1_000_000n }], ...(params ? { params } : {}) });
}

const hexes = (list: readonly Uint8Array[]) => list.map((a) => toHex(a));
const setOf = (app: AppHarness) => readValidatorSet(app.get).map((e) => `${toHex(e.address).slice(0, 2)}:${e.power}`);
const emptyBlocks = (app: AppHarness, count: number) => {
  for (let i = 0; i < count; i++) app.run([]);
};

describe("app: staking.bond", () => {
  it("moves the balance into a self-bond and makes the sender a candidate with indexes and total bonded", () => {
    const app = chain();
    const supply = readTotalSupply(app.get);
    assert.deepEqual(send(app, ALICE, { type: "staking.bond", amount: 300_000n }), []);
    assert.equal(readBalance(app.get, ALICE), 700_000n);
    assert.deepEqual(readValidatorRecord(app.get, ALICE), { stake: 300_000n, jailed: false, jailedUntilEpoch: 0 });
    assert.equal(readDelegation(app.get, ALICE, ALICE), 300_000n);
    assert.deepEqual(hexes(readAddressList(app.get, CANDIDATES_KEY, "c")), hexes([V1, V2, ALICE]));
    assert.deepEqual(hexes(readAddressList(app.get, delegatorIndexKey(ALICE), "i")), hexes([ALICE]));
    assert.deepEqual(hexes(readAddressList(app.get, delegatorsOfKey(ALICE), "i")), hexes([ALICE]));
    assert.equal(readTotalBonded(app.get), 1_800_000n);
    assert.equal(readTotalSupply(app.get), supply, "bonding moves tokens, it does not mint");
    assert.deepEqual(send(app, ALICE, { type: "staking.bond", amount: 100_000n }), []);
    assert.equal(readValidatorRecord(app.get, ALICE)?.stake, 400_000n);
  });

  it("refuses an ML-DSA-44 account key (APP_VALIDATOR_KEY_ALG) and a bond above the balance (APP_INSUFFICIENT_BALANCE), changing no state", () => {
    const app = chain();
    const weak = registerAccount(app, 12, true);
    const before = app.store.root();
    assert.deepEqual(send(app, weak, { type: "staking.bond", amount: 1n }), ["APP_VALIDATOR_KEY_ALG"]);
    assert.deepEqual(send(app, ALICE, { type: "staking.bond", amount: 1_000_001n }), ["APP_INSUFFICIENT_BALANCE"]);
    assert.ok(bytesEqual(app.store.root(), before));
    assert.equal(readValidatorRecord(app.get, ALICE), undefined);
  });

  it("refuses every staking transaction on a PoA chain (APP_STAKING_DISABLED)", () => {
    const app = new AppHarness({ validators: [validatorOf(1)], allocations: [{ address: ALICE, amount: "100" }] });
    registerAccount(app, 10);
    assert.deepEqual(send(app, ALICE, { type: "staking.bond", amount: 1n }), ["APP_STAKING_DISABLED"]);
    assert.deepEqual(send(app, ALICE, { type: "staking.delegate", validator: V1, amount: 1n }), ["APP_STAKING_DISABLED"]);
    assert.deepEqual(send(app, ALICE, { type: "staking.unbond", validator: V1, amount: 1n }), ["APP_STAKING_DISABLED"]);
    assert.deepEqual(send(app, ALICE, { type: "staking.unjail" }), ["APP_STAKING_DISABLED"]);
  });
});

describe("app: staking.delegate / staking.unbond", () => {
  it("adds delegations to the stake with sorted indexes, and refuses a non-candidate or too large an amount", () => {
    const app = chain();
    assert.deepEqual(send(app, BOB, { type: "staking.delegate", validator: V2, amount: 200n }), []);
    assert.deepEqual(send(app, ALICE, { type: "staking.delegate", validator: V2, amount: 100n }), []);
    assert.deepEqual(send(app, ALICE, { type: "staking.delegate", validator: V1, amount: 50n }), []);
    assert.deepEqual(hexes(readAddressList(app.get, delegatorsOfKey(V2), "i")), hexes([V2, ALICE, BOB]));
    assert.deepEqual(hexes(readAddressList(app.get, delegatorIndexKey(ALICE), "i")), hexes([V1, V2]));
    assert.equal(readValidatorRecord(app.get, V2)?.stake, 500_300n);
    assert.equal(readTotalBonded(app.get), 1_500_350n);
    assert.equal(readBalance(app.get, ALICE), 999_850n);
    assert.deepEqual(send(app, ALICE, { type: "staking.delegate", validator: BOB, amount: 1n }), ["APP_NOT_A_VALIDATOR"]);
    assert.deepEqual(send(app, ALICE, { type: "staking.delegate", validator: V1, amount: 999_851n }), ["APP_INSUFFICIENT_BALANCE"]);
  });

  it("unbonds into the queue, drops a zeroed delegation from the indexes and releases it at the end of epoch + unbondingEpochs", () => {
    // Epochs of 5 blocks, unbonding 1 epoch: unbonded in epoch 0 (height 2) → released at height 9, the end of epoch 1.
    const app = chain({ chain: { epochBlocks: 5 }, staking: { unbondingEpochs: 1, rewardRateBps: 0 } });
    assert.deepEqual(send(app, ALICE, { type: "staking.delegate", validator: V1, amount: 400n }), []);
    assert.deepEqual(send(app, ALICE, { type: "staking.unbond", validator: V1, amount: 401n }), ["APP_UNBOND_EXCEEDS_DELEGATION"]);
    assert.deepEqual(send(app, ALICE, { type: "staking.unbond", validator: V1, amount: 400n }), []);
    assert.equal(readDelegation(app.get, ALICE, V1), 0n);
    assert.deepEqual(hexes(readAddressList(app.get, delegatorIndexKey(ALICE), "i")), []);
    assert.deepEqual(hexes(readAddressList(app.get, delegatorsOfKey(V1), "i")), hexes([V1]));
    assert.equal(readValidatorRecord(app.get, V1)?.stake, 1_000_000n);
    assert.deepEqual(readUnbonding(app.get).map((u) => [u.amount, u.releaseEpoch]), [[400n, 1]]);
    assert.equal(app.height, 3);
    emptyBlocks(app, 5); // heights 4-8: the end of epoch 0 passes, not epoch 1
    assert.equal(readBalance(app.get, ALICE), 999_600n);
    app.run([]); // height 9: end of epoch 1
    assert.equal(readBalance(app.get, ALICE), 1_000_000n);
    assert.deepEqual(readUnbonding(app.get), []);
  });

  it("lets a validator unbond its own stake, which leaves it a candidate outside the next set", () => {
    const app = chain({ chain: { epochBlocks: 2 }, staking: { rewardRateBps: 0 } });
    assert.deepEqual(send(app, V2, { type: "staking.unbond", validator: V2, amount: 500_000n }), []); // height 1: end of epoch 0
    assert.deepEqual(setOf(app), ["01:1000000"]);
    assert.ok(readValidatorRecord(app.get, V2) !== undefined);
  });
});

describe("app: staking rewards", () => {
  it("pays 1% per epoch: after one epoch of 5 blocks a 1,000,000 bond earns 10,000, minted", () => {
    const app = chain({ chain: { epochBlocks: 5 }, staking: { rewardRateBps: 100 } });
    assert.deepEqual(send(app, ALICE, { type: "staking.delegate", validator: V2, amount: 10_000n }), []);
    const supply = readTotalSupply(app.get);
    emptyBlocks(app, 2);
    assert.equal(readBalance(app.get, V1), 0n, "no reward before the epoch ends");
    app.run([]); // height 4: last block of epoch 0
    assert.equal(readBalance(app.get, V1), 10_000n);
    assert.equal(readBalance(app.get, V2), 5_000n);
    assert.equal(readBalance(app.get, ALICE), 990_000n + 100n);
    assert.equal(readTotalSupply(app.get), supply + 15_100n);
    emptyBlocks(app, 5);
    assert.equal(readBalance(app.get, V1), 20_000n, "one reward per epoch");
  });
});

describe("app: slashing and jail", () => {
  it("slashes a double signer by slashFractionBps (burned), jails it, drops it from the next set; unjail only after jailEpochs", () => {
    const app = chain({ chain: { epochBlocks: 5 }, staking: { rewardRateBps: 0, jailEpochs: 2 } });
    assert.deepEqual(send(app, ALICE, { type: "staking.delegate", validator: V1, amount: 1_000n }), []);
    const supply = readTotalSupply(app.get);
    app.run([], blockContext({ evidence: [doubleSign(V1, 7), doubleSign(V1, 8)] })); // height 2, epoch 0
    assert.deepEqual(readValidatorRecord(app.get, V1), { stake: 900_900n, jailed: true, jailedUntilEpoch: 2 });
    assert.equal(readDelegation(app.get, ALICE, V1), 900n);
    assert.equal(readTotalSupply(app.get), supply - 100_100n, "one slash per validator per block, burned");
    assert.equal(readTotalBonded(app.get), 1_400_900n);
    app.run([], blockContext({ evidence: [doubleSign(V1, 7)] }));
    assert.equal(readValidatorRecord(app.get, V1)?.stake, 900_900n, "the same equivocation is not slashed twice");
    app.run([]); // height 4: end of epoch 0
    assert.deepEqual(setOf(app), ["02:500000"]);
    assert.deepEqual(send(app, V1, { type: "staking.unjail" }), ["APP_STILL_JAILED"]); // epoch 1
    emptyBlocks(app, 4); // heights 6-9
    assert.deepEqual(send(app, V1, { type: "staking.unjail" }), []); // height 10, epoch 2
    assert.deepEqual(send(app, V1, { type: "staking.unjail" }), ["APP_NOT_JAILED"]);
    assert.deepEqual(send(app, ALICE, { type: "staking.unjail" }), ["APP_NOT_A_VALIDATOR"]);
    emptyBlocks(app, 2); // height 14: end of epoch 2
    assert.deepEqual(setOf(app), ["01:900900", "02:500000"]);
  });

  it("slashes pending unbondings from the slashed validator too", () => {
    const app = chain({ chain: { epochBlocks: 5 }, staking: { rewardRateBps: 0, unbondingEpochs: 3 } });
    assert.deepEqual(send(app, ALICE, { type: "staking.delegate", validator: V1, amount: 1_000n }), []);
    assert.deepEqual(send(app, ALICE, { type: "staking.unbond", validator: V1, amount: 1_000n }), []);
    app.run([], blockContext({ evidence: [doubleSign(V1, 1)] }));
    assert.deepEqual(readUnbonding(app.get).map((u) => u.amount), [900n]);
  });

  it("slashes and jails a validator that signed less than downtimeMinSignedBps of a downtime window, then resets the counters", () => {
    const validators = [validatorOf(1), validatorOf(2)];
    const app = chain({ chain: { epochBlocks: 100 }, staking: { downtimeWindowBlocks: 4, downtimeMinSignedBps: 5000, rewardRateBps: 0 } });
    app.run([]); // height 1: parent is genesis, nothing counted
    const onlyV1 = blockContext({ signers: [V1], validators });
    app.run([], onlyV1);
    app.run([], onlyV1);
    assert.equal(readMissed(app.get, V2), 2);
    assert.equal(readMissed(app.get, V1), 0);
    app.run([], onlyV1); // height 4: window end, V2 signed 1 of 4 < 50%
    assert.deepEqual(readValidatorRecord(app.get, V2), { stake: 450_000n, jailed: true, jailedUntilEpoch: 2 });
    assert.equal(readValidatorRecord(app.get, V1)?.jailed, false);
    assert.equal(readMissed(app.get, V2), 0);
  });

  it("does not slash a validator that missed exactly half a window at a 50% minimum", () => {
    const validators = [validatorOf(1), validatorOf(2)];
    const app = chain({ staking: { downtimeWindowBlocks: 4, downtimeMinSignedBps: 5000 } });
    app.run([]);
    app.run([], blockContext({ signers: [V1], validators }));
    app.run([], blockContext({ signers: [V1, V2], validators }));
    app.run([], blockContext({ signers: [V1], validators }));
    assert.equal(readValidatorRecord(app.get, V2)?.jailed, false);
    assert.equal(readValidatorRecord(app.get, V2)?.stake, 500_000n);
  });
});

describe("app: validator set", () => {
  it("chooses the top maxValidators non-jailed candidates by stake at the epoch's end", () => {
    const app = chain({ chain: { epochBlocks: 3 }, staking: { maxValidators: 2, rewardRateBps: 0 } });
    assert.deepEqual(send(app, ALICE, { type: "staking.bond", amount: 600_000n }), []);
    app.run([]); // height 2: end of epoch 0
    assert.deepEqual(setOf(app), ["01:1000000", "0a:600000"]);
  });

  it("changes a PoA set from governance (power 0 removes), refuses an empty set, a newcomer without an ML-DSA key, and PoS", () => {
    const poa = new AppHarness({ validators: [validatorOf(1), validatorOf(2)] });
    const state = new BlockState(poa.get);
    // ALICE registered an ML-DSA-65 key; BOB has no account.
    const getAccount = (address: Uint8Array) => (bytesEqual(address, ALICE) ? { alg: SignatureAlgorithm.mlDsa65, publicKey: new Uint8Array(1952), nonce: 1 } : undefined);
    assert.equal(applyValidatorSetChange(state, [{ address: BOB, power: 3 }], getAccount)?.code, "APP_VALIDATOR_KEY_UNKNOWN");
    assert.equal(applyValidatorSetChange(state, [{ address: V2, power: 0 }, { address: ALICE, power: 7 }], getAccount), undefined);
    assert.deepEqual(readValidatorSet((key) => state.get(key)).map((e) => [toHex(e.address).slice(0, 2), e.power]), [["01", 1n], ["0a", 7n]]);
    assert.equal(applyValidatorSetChange(state, [{ address: V1, power: 0 }, { address: ALICE, power: 0 }], getAccount)?.code, "APP_VALIDATOR_SET_EMPTY");
    assert.equal(applyValidatorSetChange(state, [{ address: V1, power: -1 }], getAccount)?.code, "APP_VALIDATOR_POWER_INVALID");
    assert.equal(applyValidatorSetChange(new BlockState(chain().get), [{ address: V1, power: 5 }], getAccount)?.code, "APP_VALIDATOR_SET_FOLLOWS_STAKE");
  });

  it("leaves PoA chains untouched by evidence and downtime (no stake to slash)", () => {
    const validators = [validatorOf(1), validatorOf(2)];
    const app = new AppHarness({ validators });
    const before = app.store.root();
    app.run([], blockContext({ evidence: [doubleSign(V1, 3)], signers: [V2], validators }));
    assert.ok(bytesEqual(app.store.root(), before));
  });
});
