/**
 * setEpochLabel and its stored memo: the label is the first epoch of the run of epochs with the
 * set of a given epoch; a memo found before lets the walk stop early, and only when it names
 * the same set at the epoch the walk reaches.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { encodeCanonical } from "../../src/codec/index.ts";
import { ChainStore, type Genesis, type ValidatorSet } from "../../src/ledger/index.ts";
import { ConsensusStore } from "../../src/node/consensus/consensusStore.ts";
import { EpochValidatorSets, setEpochLabel } from "../../src/node/validatorSets.ts";
import { GhostmeshError } from "../../src/util/index.ts";
import { fakeAccount } from "./stateHelpers.ts";

function validator(i: number) {
  const { publicKey, address } = fakeAccount(i);
  return { name: `v${i}`, address, alg: 2 as const, publicKey, power: 1 };
}

const genesis: Genesis = { chainId: "label-test", genesisTime: 1_700_000_000_000, validators: [0, 1, 2, 3].map(validator) };
const setA: ValidatorSet = { validators: genesis.validators };
const setB: ValidatorSet = { validators: [0, 1, 2, 4].map(validator) };

/** Epochs 0-2: A (genesis), 3-9: B, 10-12: A again. Every set is remembered, so nothing is read from state. */
function knownSets(): { sets: EpochValidatorSets; asked: number[] } {
  const sets = new EpochValidatorSets(genesis, 10, () => assert.fail("no set is derived from state in this test"));
  for (let epoch = 0; epoch <= 12; epoch++) sets.remember(epoch, epoch >= 3 && epoch <= 9 ? setB : setA);
  const asked: number[] = [];
  const forEpoch = sets.forEpoch.bind(sets);
  sets.forEpoch = (epoch) => (asked.push(epoch), forEpoch(epoch));
  return { sets, asked };
}

test("the label is the first epoch of the run of the epoch's set, not the set's first use", () => {
  const { sets } = knownSets();
  assert.equal(setEpochLabel(sets, 0), 0);
  assert.equal(setEpochLabel(sets, 2), 0);
  assert.equal(setEpochLabel(sets, 3), 3);
  assert.equal(setEpochLabel(sets, 9), 3);
  assert.equal(setEpochLabel(sets, 12), 10);
});

test("a memo with the same set ends the walk at its epoch; one naming another set is passed by", () => {
  const { sets, asked } = knownSets();
  const hashA = sets.forEpoch(0).hash;
  const hashB = sets.forEpoch(5).hash;
  asked.length = 0;
  assert.equal(setEpochLabel(sets, 9, { epoch: 5, label: 3, setHash: hashB }), 3);
  assert.deepEqual(asked, [9, 8, 7, 6, 5], "epochs below the memo's are not consulted");

  asked.length = 0;
  assert.equal(setEpochLabel(sets, 9, { epoch: 5, label: 5, setHash: hashA }), 3, "a memo whose set is not the walk's is ignored");
  assert.deepEqual(asked, [9, 8, 7, 6, 5, 4, 3, 2]);

  // A memo above the epoch asked for is never reached.
  assert.equal(setEpochLabel(sets, 9, { epoch: 11, label: 10, setHash: hashA }), 3);
  // Across the earlier run of A: the memo of the later run is not reached from epoch 2.
  assert.equal(setEpochLabel(sets, 12, { epoch: 11, label: 10, setHash: hashA }), 10);
});

test("the consensus store keeps the memo, and refuses a damaged one", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-label-"));
  const chainStore = new ChainStore(join(dir, "chain.db"));
  try {
    const store = new ConsensusStore(chainStore);
    assert.equal(store.loadEpochLabel(), null);
    const memo = { epoch: 7, label: 3, setHash: new Uint8Array(32).fill(9) };
    store.saveEpochLabel(memo);
    assert.deepEqual(store.loadEpochLabel(), memo);

    chainStore.setMeta("consensus_epoch_label", encodeCanonical({ epoch: 2, label: 3, setHash: new Uint8Array(32) }));
    assert.throws(() => store.loadEpochLabel(), (err: unknown) => err instanceof GhostmeshError && err.code === "NODE_STORE_CORRUPT" && /after its epoch/.test(err.message));
    chainStore.setMeta("consensus_epoch_label", new Uint8Array([0xff, 0x00]));
    assert.throws(() => store.loadEpochLabel(), (err: unknown) => err instanceof GhostmeshError && err.code === "NODE_STORE_CORRUPT");
    chainStore.setMeta("consensus_epoch_label", encodeCanonical({ epoch: 2, label: 1, setHash: new Uint8Array(31) }));
    assert.throws(() => store.loadEpochLabel(), (err: unknown) => err instanceof GhostmeshError && err.code === "NODE_STORE_CORRUPT");
  } finally {
    chainStore.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
