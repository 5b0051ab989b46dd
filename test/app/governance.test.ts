import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readBalance, readModuleParams, readTotalSupply, readValidatorSet, readVotingPower } from "../../src/app/index.ts";
import { GOVERNANCE_ESCROW_ADDRESS, readHaltedTxTypes, readProposal, readProposalIdByTx, readUpgradePlan, TREASURY_ADDRESS } from "../../src/app/governance.ts";
import { hashTx } from "../../src/ledger/index.ts";
import { SignatureAlgorithm } from "../../src/crypto/index.ts";
import { toHex } from "../../src/util/index.ts";
import { type Intent, A, B, C, D, E, FUNDS, INITIAL_SUPPLY, TREASURY_FUNDS, block, govChain, paramChange, propose, runTo, transfer, vote } from "./governanceHelpers.ts";
import type { AppHarness } from "./harness.ts";

const rewardRate = (app: AppHarness) => readModuleParams(app.get, "staking").rewardRateBps;
const statusOf = (app: AppHarness, id: number) => readProposal(app.get, id)?.status;

// Proposed at height 1 (epoch 0): voting ends with epoch 0 + 2 (height 14, the tally), the
// timelock of 1 epoch ends with epoch 3 (height 19, the execution).
const TALLY_HEIGHT = 14;
const EXECUTE_HEIGHT = 19;

describe("app: governance proposals", () => {
  it("executes a param change voted yes by 70% exactly at the end of its timelock: blocks up to the executing one see the old value", () => {
    const app = govChain();
    const execution = block(app, [propose(D, paramChange(200))]);
    assert.deepEqual(execution.rejected, []);
    assert.equal(readProposalIdByTx(app.get, execution.executed[0]?.txHash as Uint8Array), 1);
    assert.equal(readBalance(app.get, D), FUNDS - 1000n);
    assert.equal(readBalance(app.get, GOVERNANCE_ESCROW_ADDRESS), 1000n);
    assert.deepEqual(block(app, [vote(A, 1, "yes"), vote(B, 1, "yes"), vote(C, 1, "no")]).rejected, []);
    // Post-state of block h is what block h+1 reads.
    runTo(app, 25, (height) => {
      assert.equal(rewardRate(app), height < EXECUTE_HEIGHT ? 100 : 200, `after block ${height}`);
      if (height === TALLY_HEIGHT - 1) assert.equal(statusOf(app, 1), "voting");
      if (height >= TALLY_HEIGHT && height < EXECUTE_HEIGHT) assert.equal(statusOf(app, 1), "passed");
    });
    const proposal = readProposal(app.get, 1);
    assert.equal(proposal?.status, "executed");
    assert.equal(proposal?.executedHeight, EXECUTE_HEIGHT);
    assert.equal(proposal?.executeEpoch, 3);
    assert.deepEqual(proposal?.tally, { yes: 70n, no: 30n, abstain: 0n, veto: 0n, totalPower: 100n });
    assert.equal(readBalance(app.get, D), FUNDS, "deposit refunded");
    assert.equal(readTotalSupply(app.get), INITIAL_SUPPLY);
  });

  it("never executes a proposal vetoed above the threshold, and burns its deposit from the total supply", () => {
    const app = govChain();
    block(app, [propose(D, paramChange(300), 2500n)]);
    block(app, [vote(A, 1, "yes"), vote(B, 1, "veto"), vote(C, 1, "veto")]);
    runTo(app, 25, () => assert.equal(rewardRate(app), 100));
    assert.equal(statusOf(app, 1), "vetoed");
    assert.equal(readBalance(app.get, D), FUNDS - 2500n);
    assert.equal(readBalance(app.get, GOVERNANCE_ESCROW_ADDRESS), 0n);
    assert.equal(readTotalSupply(app.get), INITIAL_SUPPLY - 2500n);
  });

  it("rejects without quorum (30% voted) and refunds the deposit, even when the lone voter vetoes", () => {
    const app = govChain();
    block(app, [propose(D, paramChange(300)), propose(D, { type: "text" })]);
    block(app, [vote(C, 1, "yes"), vote(C, 2, "veto")]);
    runTo(app, 25);
    assert.equal(statusOf(app, 1), "rejected");
    assert.equal(statusOf(app, 2), "rejected");
    assert.match(readProposal(app.get, 1)?.reason ?? "", /quorum/);
    assert.equal(rewardRate(app), 100);
    assert.equal(readBalance(app.get, D), FUNDS);
    assert.equal(readTotalSupply(app.get), INITIAL_SUPPLY);
  });

  it("rejects a proposal below the approval threshold, counting a changed vote once, at its latest option", () => {
    const app = govChain();
    block(app, [propose(D, paramChange(300))]);
    block(app, [vote(A, 1, "yes"), vote(B, 1, "yes")]);
    block(app, [vote(A, 1, "no"), vote(C, 1, "abstain")]);
    runTo(app, 25);
    const proposal = readProposal(app.get, 1);
    assert.equal(proposal?.status, "rejected");
    assert.deepEqual(proposal?.tally, { yes: 30n, no: 40n, abstain: 30n, veto: 0n, totalPower: 100n });
  });

  it("accepts votes until the last block of the voting period and executes a text proposal", () => {
    const app = govChain();
    block(app, [propose(D, { type: "text" })]);
    runTo(app, TALLY_HEIGHT - 1);
    assert.deepEqual(block(app, [vote(A, 1, "yes"), vote(B, 1, "yes")]).rejected, []);
    assert.equal(app.height, TALLY_HEIGHT);
    assert.equal(statusOf(app, 1), "passed");
    runTo(app, EXECUTE_HEIGHT);
    assert.equal(statusOf(app, 1), "executed");
  });

  it("executes in the tally block itself when the timelock is 0 epochs", () => {
    const app = govChain({ params: { chain: { epochBlocks: 5 }, governance: { votingPeriodEpochs: 1, timelockEpochs: 0 } } });
    block(app, [propose(D, paramChange(250))]);
    block(app, [vote(A, 1, "yes"), vote(B, 1, "yes")]);
    runTo(app, 8);
    assert.equal(rewardRate(app), 100);
    block(app);
    assert.equal(app.height, 9);
    assert.equal(statusOf(app, 1), "executed");
    assert.equal(rewardRate(app), 250);
  });

  it("spends from the treasury, and marks a spend the treasury cannot cover as failed without moving funds", () => {
    const app = govChain();
    block(app, [propose(D, { type: "treasury-spend", to: C, amount: new Uint8Array([0x0b, 0xb8]) }), propose(D, { type: "treasury-spend", to: C, amount: new Uint8Array([0x0b, 0xb8]) })]);
    block(app, [vote(A, 1, "yes"), vote(B, 1, "yes"), vote(A, 2, "yes"), vote(B, 2, "yes")]);
    runTo(app, EXECUTE_HEIGHT);
    assert.equal(statusOf(app, 1), "executed");
    assert.equal(statusOf(app, 2), "failed");
    assert.match(readProposal(app.get, 2)?.reason ?? "", /treasury holds 2000, cannot spend 3000/);
    assert.equal(readBalance(app.get, C), FUNDS + 3000n);
    assert.equal(readBalance(app.get, TREASURY_ADDRESS), TREASURY_FUNDS - 3000n);
    assert.equal(readTotalSupply(app.get), INITIAL_SUPPLY);
  });

  it("records an executed upgrade plan", () => {
    const app = govChain();
    block(app, [propose(D, { type: "upgrade", version: "1.2.0", activationHeight: 500 })]);
    block(app, [vote(A, 1, "yes"), vote(B, 1, "yes")]);
    runTo(app, EXECUTE_HEIGHT - 1);
    assert.equal(readUpgradePlan(app.get), undefined);
    block(app);
    assert.deepEqual(readUpgradePlan(app.get), { version: "1.2.0", activationHeight: 500, proposalId: 1 });
  });
});

describe("app: governance validator-set changes (PoA)", () => {
  it("adds and removes validators at execution, gives the new set its voting power, and fails a change that would empty the set or add a key consensus cannot use", () => {
    const app = govChain();
    // D registered an ML-DSA-65 key (consensus signs with it); E's account has another algorithm.
    const d = app.accounts.get(toHex(D));
    assert.ok(d !== undefined);
    app.accounts.set(toHex(D), { ...d, alg: SignatureAlgorithm.mlDsa65 });
    block(app, [
      propose(D, { type: "validator-set", changes: [{ address: D, power: 40 }, { address: C, power: 0 }] }),
      propose(D, { type: "validator-set", changes: [{ address: A, power: 0 }, { address: B, power: 0 }, { address: C, power: 0 }, { address: D, power: 0 }] }),
      propose(D, { type: "validator-set", changes: [{ address: E, power: 10 }] }),
    ]);
    block(app, [vote(A, 1, "yes"), vote(B, 1, "yes"), vote(A, 2, "yes"), vote(B, 2, "yes"), vote(A, 3, "yes"), vote(B, 3, "yes")]);
    runTo(app, EXECUTE_HEIGHT - 1);
    assert.deepEqual(readValidatorSet(app.get).map((v) => v.power), [40n, 30n, 30n]);
    block(app);
    assert.equal(statusOf(app, 1), "executed");
    assert.equal(statusOf(app, 2), "failed");
    assert.match(readProposal(app.get, 2)?.reason ?? "", /APP_VALIDATOR_SET_EMPTY/);
    assert.equal(statusOf(app, 3), "failed");
    assert.match(readProposal(app.get, 3)?.reason ?? "", /APP_VALIDATOR_KEY_UNKNOWN/);
    assert.deepEqual(readValidatorSet(app.get).map((v) => [v.address[0], v.power]), [[0xa1, 40n], [0xb2, 30n], [0xd4, 40n]]);
    assert.equal(readVotingPower(app.get, D), 40n);
    assert.equal(readVotingPower(app.get, C), 0n);
  });
});

describe("app: governance emergency circuit breaker", () => {
  it("halts a transaction type at once when validators with 70% of the power vote yes, and resumes it the same way", () => {
    const app = govChain();
    block(app, [propose(D, { type: "emergency", action: "halt", txTypes: ["token.transfer"] })]);
    block(app, [vote(A, 1, "yes")]);
    assert.equal(statusOf(app, 1), "voting", "40% is below the emergency threshold");
    const halting = block(app, [transfer(D, C, 1n), vote(B, 1, "yes"), transfer(C, D, 1n)]);
    assert.deepEqual(halting.rejected.map((r) => [r.index, r.code]), [[2, "APP_TX_TYPE_HALTED"]]);
    assert.equal(statusOf(app, 1), "executed");
    assert.equal(readProposal(app.get, 1)?.executedHeight, 3);
    assert.deepEqual(readHaltedTxTypes(app.get), ["token.transfer"]);
    assert.equal(readBalance(app.get, D), FUNDS - 1n, "deposit refunded, the transfer before the halt applied");

    block(app, [propose(A, { type: "emergency", action: "resume", txTypes: ["token.transfer"] })]);
    block(app, [vote(A, 2, "yes"), vote(C, 2, "yes")]);
    assert.equal(statusOf(app, 2), "executed");
    assert.deepEqual(readHaltedTxTypes(app.get), []);
    assert.deepEqual(block(app, [transfer(C, D, 1n)]).rejected, []);
  });

  it("does not take the fast path for a non-emergency proposal", () => {
    const app = govChain();
    block(app, [propose(D, paramChange(200))]);
    block(app, [vote(A, 1, "yes"), vote(B, 1, "yes"), vote(C, 1, "yes")]);
    assert.equal(statusOf(app, 1), "voting");
  });
});

describe("app: governance refusals", () => {
  function refusedWith(app: AppHarness, intent: Intent, code: string): void {
    const before = app.store.root();
    const execution = block(app, [intent]);
    assert.deepEqual(execution.rejected.map((r) => r.code), [code], code);
    assert.deepEqual(app.store.root(), before, `${code} changes no state`);
  }

  it("refuses each bad proposal by its code, changing no state", () => {
    const app = govChain();
    block(app);
    block(app);
    const E = new Uint8Array(20).fill(0xe5);
    refusedWith(app, propose(D, { type: "text" }, 999n), "APP_DEPOSIT_TOO_LOW");
    refusedWith(app, propose(E, { type: "text" }), "APP_INSUFFICIENT_BALANCE");
    refusedWith(app, propose(D, paramChange(10_001)), "APP_PARAM_INVALID");
    refusedWith(app, propose(D, { type: "param-change", changes: [{ module: "chain", param: "epochBlocks", value: 10 }] }), "APP_PARAM_INVALID");
    refusedWith(app, propose(D, { type: "param-change", changes: [{ module: "staking", param: "noSuchParam", value: 1 }] }), "APP_PARAM_INVALID");
    refusedWith(app, propose(D, { type: "param-change", changes: [paramChange(5), paramChange(6)].flatMap((c) => (c.type === "param-change" ? c.changes : [])) }), "APP_PROPOSAL_INVALID");
    refusedWith(app, propose(D, { type: "upgrade", version: "2", activationHeight: app.height + 1 }), "APP_UPGRADE_HEIGHT_PASSED");
    refusedWith(app, propose(D, { type: "validator-set", changes: [{ address: D, power: 1 }, { address: D, power: 2 }] }), "APP_PROPOSAL_INVALID");
    for (const txTypes of [["gov.vote"], ["gov.propose"], ["account.register"], ["token.mint"], ["token.transfer", "token.transfer"]]) {
      refusedWith(app, propose(D, { type: "emergency", action: "halt", txTypes }), "APP_PROPOSAL_INVALID");
    }
    refusedWith(app, propose(D, { type: "emergency", action: "resume" }), "APP_PROPOSAL_INVALID");
    refusedWith(app, propose(D, { type: "emergency", action: "rollback", height: 1 }), "APP_MISSING_ROLE");
    refusedWith(app, propose(D, { type: "emergency", action: "rollback", height: app.height + 1 }), "APP_PROPOSAL_INVALID");
    refusedWith(app, propose(D, { type: "emergency", action: "rollback" }), "APP_PROPOSAL_INVALID");
  });

  it("refuses a validator-set proposal on a PoS chain (APP_VALIDATOR_SET_POA_ONLY)", () => {
    const app = govChain({ mode: "pos", bonds: [{ validator: A, amount: "40" }, { validator: B, amount: "30" }, { validator: C, amount: "30" }] });
    refusedWith(app, propose(D, { type: "validator-set", changes: [{ address: D, power: 10 }] }), "APP_VALIDATOR_SET_POA_ONLY");
  });

  it("refuses bad votes: unknown proposal, no voting power, proposal no longer voting", () => {
    const app = govChain();
    block(app, [propose(D, { type: "text" })]);
    refusedWith(app, vote(A, 2, "yes"), "APP_PROPOSAL_NOT_FOUND");
    refusedWith(app, vote(D, 1, "yes"), "APP_NO_VOTING_POWER");
    runTo(app, TALLY_HEIGHT);
    assert.equal(statusOf(app, 1), "rejected");
    refusedWith(app, vote(A, 1, "yes"), "APP_PROPOSAL_NOT_VOTING");
  });

  it("refuses a proposal beyond 64 active ones (APP_TOO_MANY_PROPOSALS)", () => {
    const app = govChain();
    const execution = block(app, Array.from({ length: 64 }, (_, i) => propose(A, { type: "text" }, 1000n, `p${i}`)));
    assert.deepEqual(execution.rejected, []);
    refusedWith(app, propose(B, { type: "text" }), "APP_TOO_MANY_PROPOSALS");
    assert.equal(readProposalIdByTx(app.get, hashTx(execution.executed[63]?.signedTx.tx ?? execution.executed[0]!.signedTx.tx)), 64);
  });
});
