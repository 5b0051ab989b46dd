/**
 * A new epoch's first views (safety.ts `epochVotedView`, decision 0605): validators enter it at
 * its root's view + 1 whatever they voted in the old epoch, time those views out again (at once,
 * as a restarted validator does a view it voted in before its crash), and never vote twice in a
 * view. Found by `npm run soak:devnet -- --epoch-blocks 20`: a switch
 * while validators had voted or timed out past the root left every one of them in the root's
 * view + 1 for good, since none could time out a view below its last vote.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { afterTimeout, afterVote, isSafeToTimeout, isSafeToVote, safetyForNewEpoch, type ConsensusAction, type SafetyState } from "../../src/consensus/index.ts";
import { bootNode, createCluster, envelopes, host, pump, sent, type Envelope } from "./harness.ts";

const OLD_EPOCH_VOTED_VIEW = 5;

function oldEpochSafety(lastVotedView: number, lastProposedView: number): SafetyState {
  return { epoch: 0, lastVotedView, highestQcView: 0, lastProposedView, highQc: null, lastTc: null };
}

test("safety: a new epoch times out views from its root again, but never votes at or below a view voted in before", () => {
  const fresh = safetyForNewEpoch({ ...oldEpochSafety(9, 8), highestQcView: 7 }, 1, 6);
  assert.deepEqual(fresh, { epoch: 1, lastVotedView: 9, epochVotedView: 6, highestQcView: 6, lastProposedView: 8, highQc: null, lastTc: null });
  assert.equal(isSafeToTimeout(fresh, 7, 6, null), true, "the view after the root");
  assert.equal(isSafeToVote(fresh, 7, 6, null), false, "no second vote in view 7");
  assert.equal(isSafeToVote(fresh, 9, 8, null), false);
  assert.equal(isSafeToVote(fresh, 10, 9, null), true);
  const timedOut = afterTimeout(fresh, 7);
  assert.deepEqual([timedOut.lastVotedView, timedOut.epochVotedView], [9, 7]);
  assert.equal(isSafeToTimeout(timedOut, 7, 6, null), true, "the same view again");
  assert.throws(() => afterTimeout(timedOut, 6), /never lowers/);
  // Past the old epoch's last vote the two marks are one again.
  const caughtUp = afterTimeout(timedOut, 9);
  assert.deepEqual([caughtUp.lastVotedView, "epochVotedView" in caughtUp], [9, false]);
  const voted = afterVote(afterTimeout(fresh, 8), 10, 9);
  assert.deepEqual([voted.lastVotedView, "epochVotedView" in voted], [10, false]);
  // A first epoch, or an old epoch that voted no higher than the root: nothing to track.
  assert.equal("epochVotedView" in safetyForNewEpoch(oldEpochSafety(4, 4), 1, 6), false);
});

test("engine: validators that voted past the new epoch's root in the old one time out those views again, then commit without voting twice in any view", () => {
  const cluster = createCluster(4, 17);
  // The old epoch ran to view 5 above its last committed block (view 0): votes, timeouts and,
  // for validator 1, a proposal. Each validator now starts the next epoch on that root.
  cluster.nodes.forEach((node, i) => {
    node.persisted = oldEpochSafety(i === 3 ? OLD_EPOCH_VOTED_VIEW - 1 : OLD_EPOCH_VOTED_VIEW, i === 1 ? OLD_EPOCH_VOTED_VIEW : 0);
    bootNode(cluster, i, { engine: { epoch: 1 } });
  });
  const actions: ConsensusAction[][] = cluster.nodes.map((node) => [...host(node, node.engine.start().actions)]);
  let pending: Envelope[] = actions.flatMap((started, i) => envelopes(i, started));
  for (let round = 0; round < 30 && cluster.nodes.some((n) => n.engine.committedRoot.height < 2); round++) {
    pump(cluster, pending, () => true, 600).forEach((log, i) => actions[i]?.push(...log));
    cluster.nowMs += 20_000;
    pending = cluster.nodes.flatMap((node) => {
      const fired = host(node, node.engine.onLocalTimer(node.engine.view).actions);
      actions[node.index]?.push(...fired);
      return envelopes(node.index, fired);
    });
  }
  assert.ok(cluster.nodes.every((n) => n.engine.committedRoot.height >= 2), `commits resumed: heights ${cluster.nodes.map((n) => n.engine.committedRoot.height)}, views ${cluster.nodes.map((n) => n.engine.view)}`);
  cluster.nodes.forEach((node, i) => {
    const votedBefore = i === 3 ? OLD_EPOCH_VOTED_VIEW - 1 : OLD_EPOCH_VOTED_VIEW;
    const votes = sent(actions[i] ?? [], "vote").map((s) => (s.message.type === "vote" ? s.message.view : -1));
    const proposals = sent(actions[i] ?? [], "proposal").map((s) => (s.message.type === "proposal" ? s.message.block.header.view : -1));
    assert.ok([...votes, ...proposals].every((view) => view > votedBefore), `validator ${i} voted only above view ${votedBefore}: ${[...votes, ...proposals]}`);
    const timedOut = sent(actions[i] ?? [], "timeout").map((s) => (s.message.type === "timeout" ? s.message.view : -1));
    assert.ok(timedOut.includes(1), `validator ${i} timed out the view after the root again: ${timedOut}`);
  });
});

test("engine: a view a validator already voted in is timed out at once, so a new epoch's first QC needs no timer", () => {
  const cluster = createCluster(4, 18);
  cluster.nodes.forEach((node, i) => {
    node.persisted = oldEpochSafety(i === 3 ? OLD_EPOCH_VOTED_VIEW - 1 : OLD_EPOCH_VOTED_VIEW, 0);
    bootNode(cluster, i, { engine: { epoch: 1 } });
  });
  // No timer fires: every view up to the old epoch's last vote ends by timeouts sent on entry.
  const started = cluster.nodes.map((node) => host(node, node.engine.start().actions));
  const log = pump(cluster, started.flatMap((actions, i) => envelopes(i, actions)), () => true, 600);
  started.forEach((actions, i) => log[i]?.unshift(...actions));
  assert.ok(cluster.nodes.every((n) => n.engine.committedRoot.height >= 2), `commits resumed without a timer: heights ${cluster.nodes.map((n) => n.engine.committedRoot.height)}, views ${cluster.nodes.map((n) => n.engine.view)}`);
  cluster.nodes.forEach((node, i) => {
    const timedOut = sent(log[i] ?? [], "timeout").map((s) => (s.message.type === "timeout" ? s.message.view : -1));
    assert.deepEqual(timedOut, [1, 2, 3, 4, 5], `validator ${i} timed out exactly the views the old epoch used`);
    const votes = sent(log[i] ?? [], "vote").map((s) => (s.message.type === "vote" ? s.message.view : -1));
    assert.ok(votes.every((view) => view > OLD_EPOCH_VOTED_VIEW), `validator ${i} voted only above view ${OLD_EPOCH_VOTED_VIEW}: ${votes}`);
  });
});

test("engine: a validator restarted in a view it voted in before the crash times out of it on start", () => {
  const cluster = createCluster(4, 19);
  const node = cluster.nodes[2];
  assert.ok(node !== undefined);
  node.persisted = oldEpochSafety(1, 0);
  bootNode(cluster, 2);
  const started = host(node, node.engine.start().actions);
  const timeouts = sent(started, "timeout").map((s) => (s.message.type === "timeout" ? s.message.view : -1));
  assert.deepEqual(timeouts, [1], "view 1 timed out without waiting for its timer");
  assert.equal(node.persisted?.lastVotedView, 1, "the vote mark stays");
});
