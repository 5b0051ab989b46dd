import { test } from "node:test";
import assert from "node:assert/strict";
import { initialSafetyState, isSafeToPropose, isSafeToTimeout, isSafeToVote } from "../../src/consensus/index.ts";
import fc from "fast-check";
import { afterPropose, afterTimeout, afterVote, withSigningFloor } from "../../src/consensus/safety.ts";

const fresh = initialSafetyState(0, 0);

test("safety: a vote for a view at or below the last voted view is refused", () => {
  const voted = afterVote(fresh, 5, 4);
  assert.equal(isSafeToVote(voted, 5, 4, null), false, "same view");
  assert.equal(isSafeToVote(voted, 4, 3, null), false, "lower view");
  assert.equal(isSafeToVote(voted, 6, 5, null), true, "next view extending QC(5)");
});

test("safety: without a TC a vote must extend the QC of the previous view", () => {
  assert.equal(isSafeToVote(fresh, 3, 2, null), true);
  assert.equal(isSafeToVote(fresh, 3, 1, null), false, "QC(1) in view 3 needs TC(2)");
});

test("safety: with TC(v-1) a vote needs a QC at least as high as every QC the TC reports", () => {
  const tc = { view: 6, highQcViewMax: 4 };
  assert.equal(isSafeToVote(fresh, 7, 4, tc), true, "QC(4) >= 4");
  assert.equal(isSafeToVote(fresh, 7, 5, tc), true, "QC(5) >= 4");
  assert.equal(isSafeToVote(fresh, 7, 3, tc), false, "QC(3) < 4: could fork a committed block");
  assert.equal(isSafeToVote(fresh, 8, 4, tc), false, "TC(6) does not justify view 8");
});

test("safety: a timeout may not hide a QC this validator voted on", () => {
  const voted = afterVote(fresh, 5, 4);
  assert.equal(voted.highestQcView, 4);
  assert.equal(isSafeToTimeout(voted, 5, 3, { view: 4, highQcViewMax: 3 }), false, "reports QC(3) < highest QC voted on (4)");
  assert.equal(isSafeToTimeout(voted, 5, 4, null), true, "may time out of the view it voted in");
  assert.equal(isSafeToTimeout(voted, 4, 3, null), false, "never below its last voted view - 1");
});

test("safety: a timeout is justified by QC(v-1) or TC(v-1) only", () => {
  assert.equal(isSafeToTimeout(fresh, 3, 2, null), true);
  assert.equal(isSafeToTimeout(fresh, 3, 1, null), false);
  assert.equal(isSafeToTimeout(fresh, 3, 1, { view: 2, highQcViewMax: 1 }), true);
});

test("safety: after a timeout the validator no longer votes in that view", () => {
  const timedOut = afterTimeout(fresh, 5);
  assert.equal(isSafeToVote(timedOut, 5, 4, null), false);
  assert.equal(isSafeToVote(timedOut, 6, 5, null), true);
});

test("safety: one proposal per view", () => {
  const proposed = afterPropose(fresh, 3);
  assert.equal(isSafeToPropose(proposed, 3), false);
  assert.equal(isSafeToPropose(proposed, 4), true);
  assert.throws(() => afterPropose(proposed, 3), /one proposal per view/);
});

test("safety: a signing floor stops votes and proposals through its view, not timeouts from the views allowed before", () => {
  const floored = withSigningFloor(initialSafetyState(0, 4), 20);
  for (const view of [5, 12, 20]) {
    assert.equal(isSafeToVote(floored, view, view - 1, null), false, `no vote in view ${view}`);
    assert.equal(isSafeToPropose(floored, view), false, `no proposal in view ${view}`);
  }
  assert.equal(isSafeToVote(floored, 21, 20, null), true, "votes again past the floor");
  assert.equal(isSafeToPropose(floored, 21), true, "proposes again past the floor");
  assert.equal(isSafeToTimeout(floored, 5, 4, null), true, "times out of the root's next view, so a committee that needs it can leave");
  assert.equal(afterTimeout(floored, 5).lastVotedView, 20, "a timeout below the floor keeps the floor");
  assert.equal(withSigningFloor(floored, 10), floored, "a lower floor changes nothing");
});

test("safety: a signing floor never lowers a mark and leaves every view at or below it unsignable (property)", () => {
  const state = fc
    .record({ voted: fc.nat(1_000), epochVoted: fc.option(fc.nat(1_000), { nil: undefined }), proposed: fc.nat(1_000), qc: fc.nat(1_000) })
    .map(({ voted, epochVoted, proposed, qc }) => ({
      ...initialSafetyState(1, 0),
      lastVotedView: voted,
      lastProposedView: proposed,
      highestQcView: Math.min(qc, voted),
      ...(epochVoted !== undefined && epochVoted < voted ? { epochVotedView: epochVoted } : {}),
    }));
  fc.assert(
    fc.property(state, fc.nat(2_000), fc.nat(2_000), (before, floor, view) => {
      const after = withSigningFloor(before, floor);
      assert.ok(after.lastVotedView >= before.lastVotedView && after.lastProposedView >= before.lastProposedView && after.highestQcView === before.highestQcView);
      assert.ok((after.epochVotedView ?? after.lastVotedView) <= after.lastVotedView, "epochVotedView stays below lastVotedView");
      assert.equal(after.epochVotedView ?? after.lastVotedView, before.epochVotedView ?? before.lastVotedView, "timeouts stay allowed where they were");
      if (view <= floor) assert.ok(!isSafeToPropose(after, view) && !isSafeToVote(after, view, Math.max(0, view - 1), null));
    }),
  );
});
