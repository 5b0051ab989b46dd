import { test } from "node:test";
import assert from "node:assert/strict";
import { blockHashOf, RejectCode, voteMessage, type ConsensusAction, type ConsensusStep } from "../../src/consensus/index.ts";
import { CHAIN_ID, buildBlock, createCluster, host, makeQc, sent, signProposal, signTimeout, signVote, type TestCluster, type TestNode } from "./harness.ts";

function node(cluster: TestCluster, i: number): TestNode {
  return cluster.nodes[i] as TestNode;
}

function signActions(actions: readonly ConsensusAction[]) {
  return actions.flatMap((a) => (a.kind === "sign" ? [a] : []));
}

/** Answers a sign action as the node's host would, with the node's own key. */
function answer(cluster: TestCluster, i: number, request: { requestId: number; message: Uint8Array }): ConsensusStep {
  const key = cluster.keyring.keys[i];
  assert.ok(key !== undefined);
  const step = node(cluster, i).engine.onSignature(request.requestId, key.sign(request.message));
  host(node(cluster, i), step.actions);
  return step;
}

test("external signing: a vote leaves only once its signature is back, after the safety write it depends on", () => {
  const cluster = createCluster(4, 1, { externalSigning: true });
  host(node(cluster, 0), node(cluster, 0).engine.start().actions);
  const b1 = buildBlock(cluster, 0, 1, 1, null, 0);
  const step = node(cluster, 0).engine.onProposal(signProposal(cluster, 1, b1));
  host(node(cluster, 0), step.actions);
  assert.equal(step.rejection, null);
  const kinds = step.actions.map((a) => a.kind);
  assert.ok(kinds.indexOf("persistSafety") < kinds.indexOf("sign"), `persist before sign: ${kinds.join(",")}`);
  assert.equal(sent(step.actions, "vote").length, 0, "no vote before the signature exists");
  const [request] = signActions(step.actions);
  assert.ok(request !== undefined);
  assert.deepEqual(request.message, voteMessage(CHAIN_ID, 1, 1, blockHashOf(b1)));
  const answered = answer(cluster, 0, request);
  const [vote] = sent(answered.actions, "vote");
  assert.ok(vote !== undefined && vote.message.type === "vote");
  assert.equal(vote.to, 2, "to the leader of view 2");
  assert.ok(cluster.keyring.verifier.verify(0, request.message, vote.message.signature), "the vote carries the host's signature");
  assert.equal(answer(cluster, 0, request).rejection?.code, RejectCode.unexpectedSignature, "a request is answered once");
});

test("external signing: an unknown request id is refused and changes nothing", () => {
  const cluster = createCluster(4, 2, { externalSigning: true });
  host(node(cluster, 0), node(cluster, 0).engine.start().actions);
  const before = node(cluster, 0).engine.stats();
  const step = node(cluster, 0).engine.onSignature(999, new Uint8Array(64));
  assert.equal(step.rejection?.code, RejectCode.unexpectedSignature);
  assert.deepEqual(step.actions, []);
  assert.deepEqual(node(cluster, 0).engine.stats(), before);
});

test("external signing: a leader's proposal signed after its view ended is dropped, never sent", () => {
  const cluster = createCluster(4, 3, { externalSigning: true });
  // Node 1 leads view 1: start() proposes, asking for one signature (proposal and own vote persisted together).
  const start = host(node(cluster, 1), node(cluster, 1).engine.start().actions);
  const requests = signActions(start);
  assert.equal(requests.length, 1);
  const persisted = start.filter((a) => a.kind === "persistSafety");
  assert.equal(persisted.length, 1, "one durable write covers the proposal and the leader's own vote");
  assert.ok(persisted[0]?.kind === "persistSafety" && persisted[0].state.lastProposedView === 1 && persisted[0].state.lastVotedView === 1);
  // Meanwhile view 1 times out everywhere else: TC(1) moves node 1 to view 2.
  for (const sender of [0, 2, 3]) host(node(cluster, 1), node(cluster, 1).engine.onTimeout(signTimeout(cluster, sender, 1, null)).actions);
  assert.equal(node(cluster, 1).engine.view, 2);
  const late = answer(cluster, 1, requests[0] as { requestId: number; message: Uint8Array });
  assert.equal(late.rejection, null);
  assert.equal(sent(late.actions, "proposal").length, 0, "the proposal for view 1 is moot in view 2");
  assert.equal(signActions(late.actions).length, 0, "and no vote is signed for it");
});

test("external signing: a timeout is signed once per view while its signature is pending", () => {
  const cluster = createCluster(4, 4, { externalSigning: true });
  host(node(cluster, 0), node(cluster, 0).engine.start().actions);
  const first = host(node(cluster, 0), node(cluster, 0).engine.onLocalTimer(1).actions);
  assert.equal(signActions(first).length, 1);
  const again = host(node(cluster, 0), node(cluster, 0).engine.onLocalTimer(1).actions);
  assert.equal(signActions(again).length, 0, "the pending timeout is not signed twice");
  const answered = answer(cluster, 0, signActions(first)[0] as { requestId: number; message: Uint8Array });
  const [timeout] = sent(answered.actions, "timeout");
  assert.ok(timeout !== undefined && timeout.to === "all" && timeout.message.type === "timeout" && timeout.message.view === 1);
  const resent = host(node(cluster, 0), node(cluster, 0).engine.onLocalTimer(1).actions);
  assert.equal(sent(resent, "timeout").length, 1, "later timer ticks re-send the signed timeout");
  assert.equal(signActions(resent).length, 0);
});

test("vote delivery 'all': every validator forms the QC from broadcast votes and commits without the next proposal", () => {
  for (const voteDelivery of ["all", "nextLeader"] as const) {
    const cluster = createCluster(4, 5, { engine: { voteDelivery } });
    host(node(cluster, 0), node(cluster, 0).engine.start().actions);
    const b1 = buildBlock(cluster, 0, 1, 1, null, 0);
    host(node(cluster, 0), node(cluster, 0).engine.onProposal(signProposal(cluster, 1, b1)).actions);
    const qc1 = makeQc(cluster, [1, 2, 3], 1, 1, blockHashOf(b1));
    const b2 = buildBlock(cluster, 0, 2, 2, qc1, 1);
    const own = host(node(cluster, 0), node(cluster, 0).engine.onProposal(signProposal(cluster, 2, b2)).actions);
    const [ownVote] = sent(own, "vote");
    assert.equal(ownVote?.to, voteDelivery === "all" ? "all" : 3);
    const actions: ConsensusAction[] = [];
    let rejection = null;
    // Validator 1's vote, with ours and the leader's (its proposal's signature), is a quorum.
    for (const voter of [1]) {
      const step = node(cluster, 0).engine.onVote(signVote(cluster, voter, 2, 2, blockHashOf(b2)));
      host(node(cluster, 0), step.actions);
      actions.push(...step.actions);
      rejection ??= step.rejection;
    }
    const committed = actions.flatMap((a) => (a.kind === "commit" ? a.blocks.map((b) => b.block.header.height) : []));
    if (voteDelivery === "all") {
      assert.equal(rejection, null);
      assert.deepEqual(committed, [1], "QC(2) formed locally commits B1 (2-chain)");
      assert.equal(node(cluster, 0).engine.view, 3);
    } else {
      assert.equal(rejection?.code, RejectCode.notLeader, "only the next leader collects votes");
      assert.deepEqual(committed, []);
    }
  }
});
