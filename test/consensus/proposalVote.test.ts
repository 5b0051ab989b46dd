import { test } from "node:test";
import assert from "node:assert/strict";
import { RejectCode, blockHashOf, proposalMessage, voteMessage, type ConsensusAction } from "../../src/consensus/index.ts";
import type { Evidence } from "../../src/ledger/index.ts";
import { CHAIN_ID, buildBlock, createCluster, host, makeQc, makeTc, pump, sent, startAll, signProposal, signTimeout, signVote, type TestCluster, type TestNode } from "./harness.ts";

/**
 * A proposal's signature is its leader's vote for the block (docs/decisions/0200, session 21):
 * one signature per view for the leader instead of two, one check fewer per follower, and no
 * vote message from the leader.
 */

function node(cluster: TestCluster, i: number): TestNode {
  return cluster.nodes[i] as TestNode;
}

function evidenceOf(actions: readonly ConsensusAction[]): Evidence[] {
  return actions.flatMap((x) => (x.kind === "evidence" ? [x.evidence] : []));
}

test("proposal vote: the leader signs its view once, sends no vote message, and its proposal counts towards the QC", () => {
  const cluster = createCluster(4, 81, { externalSigning: true, engine: { voteDelivery: "all" } });
  const leader = node(cluster, 1);
  const start = host(leader, leader.engine.start().actions);
  const requests = start.flatMap((a) => (a.kind === "sign" ? [a] : []));
  assert.equal(requests.length, 1, "one signature for the view");
  const request = requests[0]!;
  const key = cluster.keyring.keys[1]!;
  const signed = host(leader, leader.engine.onSignature(request.requestId, key.sign(request.message)).actions);
  const [proposal] = sent(signed, "proposal");
  assert.ok(proposal !== undefined && proposal.message.type === "proposal");
  const { block } = proposal.message;
  const hash = blockHashOf(block);
  assert.deepEqual(request.message, voteMessage(CHAIN_ID, 1, block.header.height, hash), "what the leader signs is its vote for the block");
  assert.equal(sent(signed, "vote").length, 0, "no vote message from the leader");
  assert.equal(signed.filter((a) => a.kind === "sign").length, 0, "and no second signature");
  // The leader's own vote is counted: with two followers' votes the QC forms and it moves on.
  for (const voter of [0, 2]) host(leader, leader.engine.onVote(signVote(cluster, voter, 1, 1, hash)).actions);
  assert.equal(leader.engine.view, 2);
});

test("proposal vote: a follower counts the leader's vote from the proposal, so two more votes make the QC", () => {
  const cluster = createCluster(4, 82, { engine: { voteDelivery: "all" } });
  const follower = node(cluster, 3);
  host(follower, follower.engine.start().actions);
  const block = buildBlock(cluster, 3, 1, 1, null, 0);
  const hash = blockHashOf(block);
  const step = follower.engine.onProposal(signProposal(cluster, 1, block));
  host(follower, step.actions);
  assert.equal(step.rejection, null);
  assert.equal(sent(step.actions, "vote").length, 1, "the follower votes");
  const last = follower.engine.onVote(signVote(cluster, 0, 1, 1, hash));
  host(follower, last.actions);
  assert.equal(last.rejection, null);
  assert.equal(follower.engine.view, 2, "QC(1): the leader's, the follower's and validator 0's votes");
  // The leader's separate vote, if one came, would add nothing.
  assert.equal(follower.engine.onVote(signVote(cluster, 1, 1, 1, hash)).rejection?.code, RejectCode.duplicate);
});

test("proposal vote: a proposal signed over anything but the vote message is refused", () => {
  const cluster = createCluster(4, 83);
  const follower = node(cluster, 0);
  host(follower, follower.engine.start().actions);
  const block = buildBlock(cluster, 0, 1, 1, null, 0);
  const hash = blockHashOf(block);
  const legacy = { ...signProposal(cluster, 1, block), signature: cluster.keyring.keys[1]!.sign(proposalMessage(CHAIN_ID, 0, 1, 1, hash)) };
  const step = follower.engine.onProposal(legacy);
  assert.equal(step.rejection?.code, RejectCode.badSignature);
  assert.equal(sent(step.actions, "vote").length, 0);
  assert.equal(follower.persisted?.lastVotedView ?? 0, 0, "nothing persisted for it");
});

test("proposal vote: a leader's vote message for another block of its view is equivocation with its proposal", () => {
  const cluster = createCluster(4, 84, { engine: { voteDelivery: "all" } });
  const follower = node(cluster, 0);
  host(follower, follower.engine.start().actions);
  const block = buildBlock(cluster, 0, 1, 1, null, 0);
  cluster.nowMs += 5;
  const other = buildBlock(cluster, 0, 1, 1, null, 0);
  host(follower, follower.engine.onProposal(signProposal(cluster, 1, block)).actions);
  const step = follower.engine.onVote(signVote(cluster, 1, 1, 1, blockHashOf(other)));
  const evidence = evidenceOf(host(follower, step.actions));
  assert.equal(evidence.length, 1);
  assert.equal(evidence[0]?.kind, "vote");
});

test("proposal vote: a leader whose QC is below one its TC reports makes no proposal, since none could be voted for", () => {
  const cluster = createCluster(4, 85);
  const leader = node(cluster, 3); // leads view 3
  host(leader, leader.engine.start().actions);
  // TC(2) reports a QC of view 1 that this leader never saw: its own highest QC is genesis.
  const tc = makeTc(cluster, [0, 1, 2], 2, 1);
  const step = leader.engine.onTimeout(signTimeout(cluster, 0, 3, null, tc));
  const actions = host(leader, step.actions);
  assert.equal(leader.engine.view, 3);
  assert.equal(sent(actions, "proposal").length, 0, "no proposal in view 3");
  assert.equal(leader.persisted?.lastProposedView ?? 0, 0, "and no proposal recorded as made");
});

test("proposal vote: that leader proposes once the QC the TC reported reaches it", () => {
  const cluster = createCluster(4, 86);
  const leader = node(cluster, 3); // leads view 3
  host(leader, leader.engine.start().actions);
  const b1 = buildBlock(cluster, 3, 1, 1, null, 0);
  host(leader, leader.engine.onProposal(signProposal(cluster, 1, b1)).actions);
  const tc = makeTc(cluster, [0, 1, 2], 2, 1);
  assert.equal(sent(host(leader, leader.engine.onTimeout(signTimeout(cluster, 0, 3, null, tc)).actions), "proposal").length, 0);
  // A late timeout of view 2 carries QC(1): old for its view, but its certificate is taken.
  const qc1 = makeQc(cluster, [0, 1, 2], 1, 1, blockHashOf(b1));
  const actions = host(leader, leader.engine.onTimeout(signTimeout(cluster, 2, 2, qc1)).actions);
  const [proposal] = sent(actions, "proposal");
  assert.ok(proposal !== undefined && proposal.message.type === "proposal");
  assert.equal(proposal.message.block.header.view, 3);
  assert.deepEqual(proposal.message.block.header.justify, qc1, "it extends the QC it now holds");
  assert.equal(proposal.message.tc, tc);
});

test("proposal vote: a next leader that lost the proposal asks its voters for the QC, and proposes without a timeout", () => {
  const cluster = createCluster(4, 87, { engine: { voteDelivery: "all" } });
  // Node 2 leads view 2 and never gets the proposal of view 1 (nor its leader's vote in it).
  const log = pump(cluster, startAll(cluster), (e, to) => !(to === 2 && e.message.type === "proposal" && e.message.block.header.view === 1) && (e.message.type !== "proposal" || e.message.block.header.view <= 3));
  const asked = sent(log[2]!, "syncInfo");
  assert.ok(asked.length > 0 && asked.every((s) => s.to !== "all"), "node 2 asked its voters");
  assert.ok(sent(log[2]!, "proposal").some((s) => s.message.type === "proposal" && s.message.block.header.view === 2), "node 2 proposed in view 2");
  assert.equal(log.flatMap((actions) => sent(actions, "timeout")).length, 0, "no view timed out");
  for (const n of cluster.nodes) assert.ok(n.engine.committedRoot.height >= 1, `node ${n.index} committed`);
});
