import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readBalance, readTotalSupply } from "../../src/app/index.ts";
import { GOVERNANCE_ESCROW_ADDRESS, readNextProposalId, readProposal, TREASURY_ADDRESS } from "../../src/app/governance.ts";
import type { GovVoteOption, ProposalContent } from "../../src/ledger/index.ts";
import { A, B, C, D, E, INITIAL_SUPPLY, block, govChain, paramChange, propose, vote, type Intent } from "./governanceHelpers.ts";

const PEOPLE = [A, B, C, D, E] as const;
const person = fc.nat({ max: PEOPLE.length - 1 }).map((i) => PEOPLE[i] as Uint8Array);
const option = fc.constantFrom<GovVoteOption>("yes", "no", "abstain", "veto");
const content = fc.oneof(
  fc.constant<ProposalContent>({ type: "text" }),
  fc.integer({ min: 0, max: 12_000 }).map((v) => paramChange(v)),
  fc.constant<ProposalContent>({ type: "treasury-spend", to: D, amount: new Uint8Array([0x07, 0xd0]) }),
  fc.constant<ProposalContent>({ type: "emergency", action: "halt", txTypes: ["token.transfer"] }),
  fc.constant<ProposalContent>({ type: "emergency", action: "resume", txTypes: ["token.transfer"] }),
  fc.constant<ProposalContent>({ type: "emergency", action: "rollback", height: 1 }),
);
const action = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("propose" as const), from: person, content, deposit: fc.bigInt({ min: 900n, max: 3000n }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("vote" as const), from: person, proposalId: fc.integer({ min: 1, max: 3 }), option }), weight: 2 },
);
/** One action per block (a refused action would break the nonces of the sender's next one), or an empty block. */
const plan = fc.array(fc.option(action, { nil: undefined, freq: 3 }), { minLength: 10, maxLength: 30 });

const VETO_PREFIX: readonly Intent[] = [propose(D, { type: "text" }, 1500n), vote(B, 1, "veto"), vote(C, 1, "veto")];

type Action = typeof action extends fc.Arbitrary<infer T> ? T : never;

function toIntent(step: Action): Intent {
  return step.kind === "propose" ? propose(step.from, step.content, step.deposit) : vote(step.from, step.proposalId, step.option);
}

describe("app: governance properties", () => {
  it("changes the total supply only by the deposits of vetoed proposals, and keeps it equal to the sum of balances", () => {
    fc.assert(
      fc.property(plan, (steps) => {
        const app = govChain();
        // Every run starts with a proposal heading for a veto, so the burn path is always exercised.
        for (const intent of VETO_PREFIX) block(app, [intent]);
        for (const step of steps) block(app, step === undefined ? [] : [toIntent(step)]);
        // Run past every tally and execution (voting ends ≤ epoch 8, execution ≤ epoch 9).
        while (app.height < 50) block(app);
        let burned = 0n;
        for (let id = 1; id < readNextProposalId(app.get); id++) {
          const proposal = readProposal(app.get, id);
          assert.ok(proposal !== undefined && proposal.status !== "voting" && proposal.status !== "passed", `proposal ${id} settled`);
          if (proposal.status === "vetoed") burned += proposal.deposit;
        }
        assert.equal(readTotalSupply(app.get), INITIAL_SUPPLY - burned);
        const balances = [...PEOPLE, TREASURY_ADDRESS, GOVERNANCE_ESCROW_ADDRESS].reduce((sum, a) => sum + readBalance(app.get, a), 0n);
        assert.equal(balances, INITIAL_SUPPLY - burned);
        assert.equal(readBalance(app.get, GOVERNANCE_ESCROW_ADDRESS), 0n, "every deposit refunded or burned");
      }),
      { numRuns: 25 },
    );
   
  });

  it("leaves the same state root as an empty block when a block's only transaction is a refused gov transaction", () => {
    let refusals = 0;
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 8 }), action, (setup, probe) => {
        const app = govChain();
        const twin = govChain();
        for (const step of setup) {
          block(app, [toIntent(step)]);
          block(twin, [toIntent(step)]);
        }
        const execution = block(app, [toIntent(probe)]);
        if (execution.rejected.length === 0) return;
        refusals++;
        // The same height with no transaction: an epoch's last block tallies either way.
        assert.deepEqual(app.store.root(), block(twin).stateRoot);
      }),
      { numRuns: 60 },
    );
    assert.ok(refusals > 0, "some probes were refused");
  });
});
