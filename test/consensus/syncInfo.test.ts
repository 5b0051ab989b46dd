import { test } from "node:test";
import assert from "node:assert/strict";
import { RejectCode, type ConsensusMessage, type SyncInfoMessage } from "../../src/consensus/index.ts";
import { bootNode, createCluster, envelopes, host, makeQc, makeTc, pump, sent, startAll, type TestCluster, type TestNode } from "./harness.ts";

const DOWN = 3;
/** Validator 3 leads view 3 (round-robin over four, view 1 first). */
const LAST_VIEW_WITHOUT_IT = 2;

function node(cluster: TestCluster, i: number): TestNode {
  return cluster.nodes[i] as TestNode;
}

function deliver(cluster: TestCluster, to: number, message: ConsensusMessage) {
  const step = node(cluster, to).engine.onMessage(message);
  host(node(cluster, to), step.actions);
  return step;
}

/**
 * Validators 0-2 run while validator 3 hears nothing; they stop in view 3, which validator 3
 * leads: they wait for its proposal, as a network whose down validator's view came up does.
 */
function clusterWaitingForTheDownValidator(): TestCluster {
  const cluster = createCluster(4, 21, { engine: { voteDelivery: "all" } });
  pump(cluster, startAll(cluster), (e, to) => to !== DOWN && (e.message.type !== "proposal" || e.message.block.header.view <= LAST_VIEW_WITHOUT_IT));
  for (const i of [0, 1, 2]) assert.equal(node(cluster, i).engine.view, LAST_VIEW_WITHOUT_IT + 1, `validator ${i} waits in view 3`);
  assert.equal(node(cluster, DOWN).engine.view, 1, "validator 3 heard nothing");
  return cluster;
}

test("syncInfo: a restarted validator learns the view from its peers' replies and proposes in it, no timer needed", () => {
  const cluster = clusterWaitingForTheDownValidator();
  const heightBefore = node(cluster, 0).engine.committedRoot.height;
  bootNode(cluster, DOWN, { engine: { voteDelivery: "all" } });
  const started = host(node(cluster, DOWN), node(cluster, DOWN).engine.start().actions);
  const announced = sent(started, "syncInfo");
  assert.equal(announced.length, 1, "it sends its certificates once, to all");
  assert.equal(announced[0]?.to, "all");

  // No timer fires in pump: without the replies nobody would move (the others wait for validator 3).
  const log = pump(cluster, envelopes(DOWN, started), (e) => e.message.type !== "proposal" || e.message.block.header.view <= LAST_VIEW_WITHOUT_IT + 2);
  const replies = [0, 1, 2].flatMap((i) => sent(log[i] ?? [], "syncInfo"));
  assert.equal(replies.length, 3, "each peer ahead answers once");
  assert.ok(replies.every((r) => r.to === DOWN));
  const proposals = sent(log[DOWN] ?? [], "proposal").map((p) => (p.message.type === "proposal" ? p.message.block.header.view : -1));
  assert.deepEqual(proposals, [LAST_VIEW_WITHOUT_IT + 1], "validator 3 proposed in its view");
  assert.ok(sent(log[DOWN] ?? [], "vote").length >= 1, "and voted");
  assert.equal(log.flatMap((actions) => sent(actions, "timeout")).length, 0, "no view timed out");
  assert.ok(node(cluster, 0).engine.committedRoot.height > heightBefore, "the chain moved on with it");
  assert.equal(node(cluster, DOWN).engine.committedRoot.height, node(cluster, 0).engine.committedRoot.height, "validator 3 committed as far as the others");
});

test("syncInfo: a peer answers a validator behind it once per view, and one that is not behind not at all", () => {
  const cluster = clusterWaitingForTheDownValidator();
  const behind: SyncInfoMessage = { type: "syncInfo", epoch: 0, highQc: null, tc: null, sender: DOWN };
  const first = deliver(cluster, 0, behind);
  assert.equal(first.rejection, null);
  const reply = sent(first.actions, "syncInfo");
  assert.equal(reply.length, 1);
  assert.equal(reply[0]?.to, DOWN);
  const message = reply[0]?.message as SyncInfoMessage;
  assert.equal(message.highQc?.view, LAST_VIEW_WITHOUT_IT, "the reply carries the peer's highest QC");
  assert.equal(sent(deliver(cluster, 0, behind).actions).length, 0, "asking again in the same view gets nothing");

  const level: SyncInfoMessage = { ...message, sender: 1 };
  assert.equal(sent(deliver(cluster, 0, level).actions).length, 0, "a peer as far as we are gets no reply");
  assert.equal(sent(deliver(cluster, 0, { ...behind, sender: 1 }).actions, "syncInfo").length, 1, "each peer has its own allowance");
});

test("syncInfo: a TC in it moves a validator behind into the view after it", () => {
  const cluster = createCluster(4, 22);
  startAll(cluster);
  const tc = makeTc(cluster, [0, 1, 2], 5, 0);
  const step = deliver(cluster, DOWN, { type: "syncInfo", epoch: 0, highQc: null, tc, sender: 1 });
  assert.equal(step.rejection, null);
  assert.equal(node(cluster, DOWN).engine.view, 6);
});

test("syncInfo: forged or malformed certificates are refused and change nothing", () => {
  const cluster = clusterWaitingForTheDownValidator();
  bootNode(cluster, DOWN, { engine: { voteDelivery: "all" } });
  host(node(cluster, DOWN), node(cluster, DOWN).engine.start().actions);
  const good = makeQc(cluster, [0, 1, 2], 9, 5, new Uint8Array(32).fill(7));
  const flipped = good.signatures.map((s, i) => (i === 0 ? Uint8Array.from(s, (b, j) => (j === 0 ? b ^ 1 : b)) : s));
  const viewBefore = node(cluster, DOWN).engine.view;
  const cases: [SyncInfoMessage, string][] = [
    [{ type: "syncInfo", epoch: 0, highQc: { ...good, signatures: flipped }, tc: null, sender: 0 }, RejectCode.qcBadSignature],
    [{ type: "syncInfo", epoch: 0, highQc: makeQc(cluster, [0, 1], 9, 5, good.blockHash), tc: null, sender: 0 }, RejectCode.qcNoQuorum],
    [{ type: "syncInfo", epoch: 0, highQc: { ...good, blockHash: new Uint8Array(31) }, tc: null, sender: 0 }, RejectCode.malformed],
    [{ type: "syncInfo", epoch: 0, highQc: null, tc: makeTc(cluster, [0], 9, 0), sender: 0 }, RejectCode.tcNoQuorum],
    [{ type: "syncInfo", epoch: 1, highQc: good, tc: null, sender: 0 }, RejectCode.epochMismatch],
    [{ type: "syncInfo", epoch: 0, highQc: good, tc: null, sender: DOWN }, RejectCode.fromSelf],
  ];
  for (const [message, code] of cases) {
    const step = deliver(cluster, DOWN, message);
    assert.equal(step.rejection?.code, code, `refused with ${code}`);
    assert.equal(step.actions.length, 0, `${code}: nothing sent or written`);
  }
  assert.equal(node(cluster, DOWN).engine.view, viewBefore, "the view did not move");
});
