import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readValidatorRecord, slashedEvidenceKey } from "../../src/app/stakingState.ts";
import { readTotalSupply } from "../../src/app/index.ts";
import type { Evidence } from "../../src/ledger/index.ts";
import { bytesEqual } from "../../src/util/index.ts";
import { addressOf, blockContext, posChain } from "./stakingFixtures.ts";

const V1 = addressOf(1);
const V2 = addressOf(2);

/** Consensus verified the evidence before the app sees it; the app only reads its identity. */
function invalidProposal(validator: Uint8Array, view: number): Evidence {
  return { kind: "invalid-proposal", validator, view, first: new Uint8Array([3, view & 0xff]), second: new Uint8Array([4, view & 0xff]) };
}

function proposalEquivocation(validator: Uint8Array, view: number): Evidence {
  return { kind: "proposal", validator, view, first: new Uint8Array([1, view & 0xff]), second: new Uint8Array([2, view & 0xff]) };
}

function chain() {
  return posChain({ validators: [1, 2], bonds: [1_000_000n, 500_000n], accounts: [], params: { chain: { epochBlocks: 5 }, staking: { rewardRateBps: 0, jailEpochs: 2 } } });
}

describe("app: slashing invalid proposals", () => {
  it("slashes the leader of an invalid proposal by slashFractionBps (10%, burned) and jails it, like double signing", () => {
    const app = chain();
    const supply = readTotalSupply(app.get);
    app.run([], blockContext({ evidence: [invalidProposal(V1, 7)] })); // height 1, epoch 0
    assert.deepEqual(readValidatorRecord(app.get, V1), { stake: 900_000n, jailed: true, jailedUntilEpoch: 2 });
    assert.equal(readTotalSupply(app.get), supply - 100_000n);
    assert.deepEqual(readValidatorRecord(app.get, V2), { stake: 500_000n, jailed: false, jailedUntilEpoch: 0 }, "only the accused is slashed");
  });

  it("slashes one invalid proposal once per (validator, view), even when carried again", () => {
    const app = chain();
    app.run([], blockContext({ evidence: [invalidProposal(V1, 7)] }));
    app.run([], blockContext({ evidence: [invalidProposal(V1, 7)] }));
    assert.equal(readValidatorRecord(app.get, V1)?.stake, 900_000n);
    app.run([], blockContext({ evidence: [invalidProposal(V1, 8)] }));
    assert.equal(readValidatorRecord(app.get, V1)?.stake, 810_000n, "another view is another offence");
  });

  it("keeps invalid-proposal and proposal-equivocation markers apart, so neither hides the other", () => {
    assert.ok(!bytesEqual(slashedEvidenceKey(V1, "invalid-proposal", 7), slashedEvidenceKey(V1, "proposal", 7)));
    assert.ok(!bytesEqual(slashedEvidenceKey(V1, "invalid-proposal", 7), slashedEvidenceKey(V1, "vote", 7)));
    const app = chain();
    app.run([], blockContext({ evidence: [invalidProposal(V1, 7)] }));
    assert.ok(app.get(slashedEvidenceKey(V1, "invalid-proposal", 7)) !== undefined, "the marker is written");
    assert.equal(app.get(slashedEvidenceKey(V1, "proposal", 7)), undefined);
    app.run([], blockContext({ evidence: [proposalEquivocation(V1, 7)] }));
    assert.equal(readValidatorRecord(app.get, V1)?.stake, 810_000n, "the equivocation in the same view is its own offence");
  });
});
