import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { accountNonceKey, readBalance, readRoles, readTotalBonded, readTotalSupply, readUnbonding, stateStoreHistory } from "../../src/app/index.ts";
import { GOVERNANCE_ESCROW_ADDRESS, readProposal, readVotes, TREASURY_ADDRESS } from "../../src/app/governance.ts";
import { executeRollback, isRollbackRestoredKey } from "../../src/app/governanceRollback.ts";
import { BlockState } from "../../src/app/blockState.ts";
import { bytesEqual, toHex } from "../../src/util/index.ts";
import { type Intent, A, B, C, D, E, INITIAL_SUPPLY, block, govChain, propose, transfer, vote } from "./governanceHelpers.ts";
import { AppHarness, unsigned } from "./harness.ts";
import { addressOf, registerAccount, stakingTx, validatorOf } from "./stakingFixtures.ts";

const grant = (from: Uint8Array, address: Uint8Array, role: string): Intent => ({ from, type: "roles.grant", body: { address, role } }) as unknown as Intent;
const envCreate = (from: Uint8Array, name: string): Intent =>
  ({ from, type: "env.create", body: { name, stateHash: new Uint8Array(32).fill(7), version: 1 } }) as unknown as Intent;

/** A holds emergency_rollback (and admin, to grant roles); D may write environments. */
function rollbackChain(): AppHarness {
  return govChain({ roles: [{ address: A, roles: ["admin", "emergency_rollback"] }, { address: D, roles: ["write_blue_state"] }] });
}

const sumOfBalances = (app: AppHarness) => [A, B, C, D, E, TREASURY_ADDRESS, GOVERNANCE_ESCROW_ADDRESS].reduce((sum, address) => sum + readBalance(app.get, address), 0n);

/** Height 1 and 2 before the snapshot H = 2; height 3 changes balances, roles and environments after it. */
function historyAfterSnapshot(app: AppHarness): number {
  assert.deepEqual(block(app, [transfer(A, D, 10n)]).rejected, []);
  assert.deepEqual(block(app, [envCreate(D, "blue-a")]).rejected, []);
  const snapshot = app.height;
  assert.deepEqual(block(app, [transfer(D, E, 500n), grant(A, C, "write_blue_state"), envCreate(D, "blue-b")]).rejected, []);
  return snapshot;
}

describe("app: emergency rollback", () => {
  it("restores every module key to its value at H through the fast path, keeping nonces, governance records and the supply invariant", () => {
    const app = rollbackChain();
    const H = historyAfterSnapshot(app);
    assert.deepEqual(block(app, [propose(A, { type: "emergency", action: "rollback", height: H })]).rejected, []);
    const nonceOfDBefore = app.get(accountNonceKey(D));
    // A transfer in the rollback block itself, before the deciding votes: restored too.
    const execution = block(app, [transfer(C, E, 7n), vote(A, 1, "yes"), vote(B, 1, "yes")]);
    assert.deepEqual(execution.rejected, []);
    assert.ok(execution.stateDeletes.length > 0, "keys absent at H are deleted");

    const proposal = readProposal(app.get, 1);
    assert.equal(proposal?.status, "executed", proposal?.reason);
    assert.equal(proposal?.executedHeight, app.height);
    assert.ok((proposal?.rollbackKeysRestored ?? 0) >= 6, `restored ${proposal?.rollbackKeysRestored} keys`);
    assert.equal(readVotes(app.get, 1).length, 2, "the votes stay");

    let compared = 0;
    for (const key of app.store.keysWrittenAfter(H)) {
      const now = app.store.get(key);
      const atH = app.store.get(key, H);
      const same = now === null ? atH === null : atH !== null && bytesEqual(now, atH);
      if (isRollbackRestoredKey(key)) {
        assert.ok(same, `key ${toHex(key)} is back at its value of height ${H}`);
        compared += 1;
      } else if (key[0] === 0x02 || key[0] === 0x31) {
        assert.ok(!same, `key ${toHex(key)} (a nonce or a proposal) does not go back`);
      }
    }
    assert.ok(compared >= 6, `compared ${compared} restored keys`);
    assert.deepEqual(app.get(accountNonceKey(D)), nonceOfDBefore, "nonces are not restored");
    assert.equal(readBalance(app.get, E), 0n);
    assert.deepEqual(readRoles(app.get, C), [], "a role granted after H is gone");
    assert.equal(readTotalSupply(app.get), INITIAL_SUPPLY);
    assert.equal(sumOfBalances(app), INITIAL_SUPPLY, "the restored balances add up to the restored supply");
    // The chain goes on from the restored state, with the current nonces.
    assert.deepEqual(block(app, [transfer(D, E, 1n), transfer(C, E, 2n)]).rejected, []);
    assert.equal(readBalance(app.get, E), 3n);
  });

  it("refuses a rollback proposal from an account without the emergency_rollback role, or naming a height outside [1, current)", () => {
    const app = rollbackChain();
    historyAfterSnapshot(app);
    const refused = (intent: Intent, code: string) => {
      const before = app.store.root();
      assert.deepEqual(block(app, [intent]).rejected.map((r) => r.code), [code]);
      assert.deepEqual(app.store.root(), before, `${code} changes no state`);
    };
    refused(propose(D, { type: "emergency", action: "rollback", height: 1 }), "APP_MISSING_ROLE");
    refused(propose(A, { type: "emergency", action: "rollback", height: app.height + 1 }), "APP_PROPOSAL_INVALID");
    refused(propose(A, { type: "emergency", action: "rollback", height: 0 }), "APP_PROPOSAL_INVALID");
    refused(propose(A, { type: "emergency", action: "rollback", height: 1, txTypes: ["token.transfer"] }), "APP_PROPOSAL_INVALID");
  });

  it("fails, restoring nothing, while another proposal submitted after H still holds its deposit in escrow", () => {
    const app = rollbackChain();
    const H = historyAfterSnapshot(app);
    block(app, [propose(D, { type: "text" }), propose(A, { type: "emergency", action: "rollback", height: H })]);
    block(app, [vote(A, 2, "yes"), vote(B, 2, "yes")]);
    const proposal = readProposal(app.get, 2);
    assert.equal(proposal?.status, "failed");
    assert.match(proposal?.reason ?? "", /proposal 1, submitted at height 4 after 2, is still voting/);
    assert.equal(proposal?.rollbackKeysRestored, undefined);
    assert.equal(readBalance(app.get, E), 500n, "nothing was restored");
    assert.equal(sumOfBalances(app), INITIAL_SUPPLY);
  });

  it("executes through the tally and timelock when the yes votes stay below the fast path, at the end of the executing block", () => {
    const app = rollbackChain();
    const H = historyAfterSnapshot(app);
    block(app, [propose(A, { type: "emergency", action: "rollback", height: H })]);
    // 40% yes and 30% abstain: quorum and approval are met at the tally, the fast path (66.67% yes) is not.
    assert.deepEqual(block(app, [vote(A, 1, "yes"), vote(C, 1, "abstain")]).rejected, []);
    assert.equal(readProposal(app.get, 1)?.status, "voting");
    while (readProposal(app.get, 1)?.status !== "executed" && app.height < 25) block(app, [transfer(B, E, 1n)]);
    const proposal = readProposal(app.get, 1);
    assert.equal(proposal?.status, "executed", proposal?.reason);
    assert.equal(proposal?.executedHeight, 19);
    assert.equal(readBalance(app.get, E), 0n, "the transfers of blocks 4 to 19 are undone, the executing block's too");
    assert.deepEqual(readRoles(app.get, C), []);
    assert.equal(sumOfBalances(app), readTotalSupply(app.get));
    assert.equal(readTotalSupply(app.get), INITIAL_SUPPLY);
  });

  it("executes as failed, with the reason, on a reader without state history; a history lists no partial key set", () => {
    const app = rollbackChain();
    const H = historyAfterSnapshot(app);
    block(app, [propose(A, { type: "emergency", action: "rollback", height: H })]);
    const proposal = readProposal(app.get, 1);
    assert.ok(proposal !== undefined);
    assert.deepEqual(executeRollback(new BlockState(app.get), proposal, H), { ok: false, reason: "this node executed the block without state history" });
    const withHistory = new BlockState(app.get, stateStoreHistory(app.store));
    assert.equal(withHistory.history?.keysChangedSince(H, 1), undefined, "more keys than keysMax: undefined");
    assert.ok((withHistory.history?.keysChangedSince(H, 1000)?.length ?? 0) > 1);
  });

  it("on a PoS chain, takes bonds, delegations and the unbonding queue back with the balances: supply = balances + bonded + unbonding at H", () => {
    const [v1, v2, holder] = [addressOf(1), addressOf(2), addressOf(3)];
    const app = new AppHarness({
      mode: "pos",
      validators: [validatorOf(1), validatorOf(2)],
      bonds: [{ validator: v1, amount: "1000" }, { validator: v2, amount: "1000" }],
      allocations: [v1, v2, holder].map((address) => ({ address, amount: "10000" })),
      roles: [{ address: v1, roles: ["admin", "emergency_rollback"] }],
      // No epoch ends during the test: no rewards, the validator set stays.
      params: { chain: { epochBlocks: 1000 } },
    });
    for (const seed of [1, 2, 3]) registerAccount(app, seed);
    // One transaction per sender and block: stakingTx takes the sender's current nonce.
    const run = (txs: Parameters<typeof stakingTx>[2][], from: Uint8Array[]) => {
      const signed = txs.map((intent, i) => unsigned(stakingTx(app, from[i] as Uint8Array, intent)));
      assert.deepEqual(app.run(signed).rejected, []);
    };
    run([{ type: "token.transfer", to: holder, amount: 1n }], [v1]);
    const H = app.height;
    const supplyAtH = readTotalSupply(app.get);
    const bondedAtH = readTotalBonded(app.get);
    run([{ type: "staking.bond", amount: 500n }, { type: "staking.delegate", validator: v2, amount: 300n }], [v1, holder]);
    run([{ type: "staking.unbond", validator: v2, amount: 100n }], [holder]);
    assert.notEqual(readTotalBonded(app.get), bondedAtH);
    assert.equal(readUnbonding(app.get).length, 1);
    block(app, [propose(v1, { type: "emergency", action: "rollback", height: H })]);
    assert.deepEqual(block(app, [vote(v1, 1, "yes"), vote(v2, 1, "yes")]).rejected, []);
    assert.equal(readProposal(app.get, 1)?.status, "executed", readProposal(app.get, 1)?.reason);

    for (const key of app.store.keysWrittenAfter(H)) {
      if (!isRollbackRestoredKey(key)) continue;
      const now = app.store.get(key);
      const atH = app.store.get(key, H);
      assert.ok(now === null ? atH === null : atH !== null && bytesEqual(now, atH), `key ${toHex(key)} is back at its value of height ${H}`);
    }
    assert.equal(readTotalBonded(app.get), bondedAtH);
    assert.deepEqual(readUnbonding(app.get), []);
    assert.equal(readTotalSupply(app.get), supplyAtH);
    const balances = [v1, v2, holder, TREASURY_ADDRESS, GOVERNANCE_ESCROW_ADDRESS].reduce((sum, address) => sum + readBalance(app.get, address), 0n);
    assert.equal(readTotalSupply(app.get), balances + readTotalBonded(app.get), "supply = balances + bonded (+ an empty unbonding queue)");
  });
});
