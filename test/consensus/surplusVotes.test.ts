import { test } from "node:test";
import assert from "node:assert/strict";
import { blockHashOf, type ConsensusAction, type VoteMessage } from "../../src/consensus/index.ts";
import type { Evidence } from "../../src/ledger/index.ts";
import { buildBlock, createCluster, host, signProposal, signVote, type TestCluster, type TestNode } from "./harness.ts";

/**
 * Votes go to everyone, so at each validator the last vote of a view arrives after the QC has
 * formed: it can add nothing, and the engine keeps it unchecked. It must still be caught if its
 * sender also votes for another block in that view.
 */

type Setup = { readonly cluster: TestCluster; readonly node: TestNode; readonly verified: Uint8Array[]; readonly a: Uint8Array; readonly b: Uint8Array };

/** Node 2 (the leader of view 2) holds QC(1) for block `a`: its own vote, 1's (its proposal's signature) and 0's. */
function withQcForA(seed: number): Setup {
  const verified: Uint8Array[] = [];
  const cluster: TestCluster = createCluster(4, seed, {
    engine: { voteDelivery: "all" },
    verifier: { verify: (index, message, signature) => (verified.push(signature), cluster.keyring.verifier.verify(index, message, signature)) },
  });
  const node = cluster.nodes[2] as TestNode;
  host(node, node.engine.start().actions);
  const blockA = buildBlock(cluster, 2, 1, 1, null, 0);
  cluster.nowMs += 3;
  const blockB = buildBlock(cluster, 2, 1, 1, null, 0);
  const a = blockHashOf(blockA);
  deliver(node, signProposal(cluster, 1, blockA));
  const proposed = deliver(node, signVote(cluster, 0, 1, 1, a)).filter((x) => x.kind === "send" && x.message.type === "proposal");
  assert.equal(proposed.length, 1, "QC(1) formed: node 2 proposed view 2");
  verified.length = 0;
  return { cluster, node, verified, a, b: blockHashOf(blockB) };
}

function deliver(node: TestNode, message: Parameters<TestNode["engine"]["onMessage"]>[0]): readonly ConsensusAction[] {
  const step = node.engine.onMessage(message);
  assert.equal(step.rejection, null, `${message.type} accepted`);
  return host(node, step.actions);
}

function evidenceOf(actions: readonly ConsensusAction[]): Evidence[] {
  return actions.flatMap((x) => (x.kind === "evidence" ? [x.evidence] : []));
}

function forgedVote(cluster: TestCluster, voter: number, view: number, height: number, blockHash: Uint8Array): VoteMessage {
  const vote = signVote(cluster, voter, view, height, blockHash);
  const signature = new Uint8Array(vote.signature);
  signature[0] = (signature[0] as number) ^ 1;
  return { ...vote, signature };
}

test("surplus votes: a vote for the block its view's QC already certifies is kept, not checked", () => {
  const { cluster, node, verified, a } = withQcForA(71);
  const late = signVote(cluster, 3, 1, 1, a);
  assert.equal(node.engine.isSurplusVote(late), true);
  assert.equal(evidenceOf(deliver(node, late)).length, 0);
  assert.equal(verified.length, 0, "no signature checked");
  assert.equal(node.engine.isSurplusVote(late), true, "a repeat of it is surplus too");
  assert.equal(node.engine.isSurplusVote(signVote(cluster, 0, 1, 1, a)), false, "a sender already counted: checked as a duplicate");
  assert.equal(node.engine.isSurplusVote(signVote(cluster, 3, 1, 1, new Uint8Array(32).fill(9))), false, "another block");
  assert.equal(node.engine.isSurplusVote(signVote(cluster, 3, 2, 2, a)), false, "a view without a QC");
});

test("surplus votes: a kept vote is checked once its sender votes for another block, and the equivocation becomes evidence", () => {
  const { cluster, node, verified, a, b } = withQcForA(72);
  const late = signVote(cluster, 3, 1, 1, a);
  deliver(node, late);
  const evidence = evidenceOf(deliver(node, signVote(cluster, 3, 1, 1, b)));
  assert.equal(evidence.length, 1);
  assert.equal(evidence[0]?.kind, "vote");
  assert.ok(verified.includes(late.signature), "the kept vote was checked then");
});

test("surplus votes: a forged vote kept first neither hides the sender's real vote nor becomes evidence", () => {
  {
    const { cluster, node, a, b } = withQcForA(73);
    const forged = forgedVote(cluster, 3, 1, 1, a);
    deliver(node, forged);
    const real = signVote(cluster, 3, 1, 1, a);
    assert.equal(node.engine.isSurplusVote(real), false, "other signature bytes: checked and counted");
    deliver(node, real);
    assert.equal(evidenceOf(deliver(node, signVote(cluster, 3, 1, 1, b))).length, 1, "the real vote stands as the first");
  }
  {
    const { cluster, node, a, b } = withQcForA(74);
    deliver(node, forgedVote(cluster, 3, 1, 1, a));
    assert.equal(evidenceOf(deliver(node, signVote(cluster, 3, 1, 1, b))).length, 0, "the forged vote fails its check and is dropped: no evidence");
  }
});

test("surplus votes: a vote is foreseen surplus when the votes on their way complete the QC without it", () => {
  const cluster = createCluster(4, 75, { engine: { voteDelivery: "all" } });
  const node = cluster.nodes[2] as TestNode;
  host(node, node.engine.start().actions);
  const blockA = buildBlock(cluster, 2, 1, 1, null, 0);
  const a = blockHashOf(blockA);
  deliver(node, signProposal(cluster, 1, blockA)); // the leader's vote (its proposal's signature) and node 2's: two of three
  const fromThree = signVote(cluster, 3, 1, 1, a);
  assert.equal(node.engine.isSurplusVote(fromThree), false, "nothing on its way");
  assert.equal(node.engine.isSurplusVote(fromThree, new Set([0])), true, "3 of 4 without it, with the one on its way");
  assert.equal(node.engine.isSurplusVote(fromThree, new Set([3])), false, "its own earlier copy does not count");
  assert.equal(node.engine.isSurplusVote(fromThree, new Set([99, 4])), false, "senders outside the set (hostile votes on their way) count for nothing, and throw nothing");
  assert.equal(node.engine.isSurplusVote({ ...fromThree, sender: 99 }, new Set([0])), true, "a vote from outside the set is foreseen surplus too: the engine refuses it unchecked");
});
