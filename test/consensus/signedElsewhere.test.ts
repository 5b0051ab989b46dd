import { test } from "node:test";
import assert from "node:assert/strict";
import { OWN_SIGNATURE_VIEWS, RejectCode, blockHashOf, initialSafetyState, leaderOf, withSigningFloor, type ConsensusAction, type ConsensusMessage, type RootQuarantine } from "../../src/consensus/index.ts";
import { SIGNED_ELSEWHERE_QUARANTINE_VIEWS } from "../../src/consensus/ownSignatures.ts";
import { bootNode, buildBlock, createCluster, host, makeQc, makeTc, pump, sent, signProposal, signTimeout, signVote, startAll, type TestCluster, type TestNode } from "./harness.ts";

/**
 * A second signer with this validator's key (a copy of its home started elsewhere, or a former
 * self whose store was lost): its signatures must raise the engine's safety state past their
 * views, or stop its signing when they land beside its own (engine.ts noticeSignedElsewhere).
 */

type Alarm = Extract<ConsensusAction, { kind: "signedElsewhere" }>;

function alarms(actions: readonly ConsensusAction[]): Alarm[] {
  return actions.filter((a): a is Alarm => a.kind === "signedElsewhere");
}

function us(cluster: TestCluster): TestNode {
  const node = cluster.nodes[0] as TestNode;
  host(node, node.engine.start().actions);
  return node;
}

function receive(node: TestNode, message: ConsensusMessage): { actions: readonly ConsensusAction[]; code: string | null } {
  const step = node.engine.onMessage(message);
  return { actions: host(node, step.actions), code: step.rejection?.code ?? null };
}

test("signed elsewhere: our key's vote above every view we signed raises the safety state past it; we then do not vote there", () => {
  const control = createCluster(4, 81, { engine: { voteDelivery: "all" } });
  const block = buildBlock(control, 0, 1, 1, null, 0);
  assert.equal(sent(receive(us(control), signProposal(control, 1, block)).actions, "vote").length, 1, "without the other signer, node 0 votes in view 1");

  const cluster = createCluster(4, 81, { engine: { voteDelivery: "all" } });
  const node = us(cluster);
  const elsewhere = receive(node, signVote(cluster, 0, 1, 1, blockHashOf(block)));
  assert.equal(elsewhere.code, RejectCode.signedElsewhere);
  assert.deepEqual(alarms(elsewhere.actions), [{ kind: "signedElsewhere", view: 1, seenIn: "vote", verdict: "ahead", signingStopped: false }]);
  const persisted = elsewhere.actions.findIndex((a) => a.kind === "persistSafety");
  assert.ok(persisted >= 0 && persisted < elsewhere.actions.findIndex((a) => a.kind === "signedElsewhere"), "the raised state is written first");
  assert.ok(node.persisted !== null && node.persisted.lastVotedView >= 1 && node.persisted.lastProposedView >= 1);
  assert.equal(node.engine.stats().signingStopped, false);
  assert.equal(sent(receive(node, signProposal(cluster, 1, block)).actions, "vote").length, 0, "no vote in a view the other signer signed in");
});

test("signed elsewhere: a signature beside our own in a view we signed stops every later signature", () => {
  const cluster = createCluster(4, 82, { engine: { voteDelivery: "all" } });
  const node = us(cluster);
  const blockA = buildBlock(cluster, 0, 1, 1, null, 0);
  cluster.nowMs += 3;
  const blockB = buildBlock(cluster, 0, 1, 1, null, 0);
  const a = blockHashOf(blockA);
  const ours = sent(receive(node, signProposal(cluster, 1, blockA)).actions, "vote");
  assert.equal(ours.length, 1, "node 0 voted for block A");

  const echo = receive(node, ours[0]?.message as ConsensusMessage);
  assert.equal(echo.code, RejectCode.fromSelf, "our own vote echoed back is only an echo");
  assert.equal(echo.actions.length, 0);

  const beside = receive(node, signVote(cluster, 0, 1, 1, blockHashOf(blockB)));
  assert.equal(beside.code, RejectCode.signedElsewhere);
  assert.deepEqual(alarms(beside.actions), [{ kind: "signedElsewhere", view: 1, seenIn: "vote", verdict: "beside", signingStopped: true }]);
  assert.equal(node.engine.stats().signingStopped, true);

  // QC(1) for A forms (leader 1's proposal, node 2's vote, ours): view 2 is entered, then led by 2.
  receive(node, signVote(cluster, 2, 1, 1, a));
  assert.equal(node.engine.view, 2);
  const qc1 = makeQc(cluster, [0, 1, 2], 1, 1, a);
  const proposal2 = receive(node, signProposal(cluster, 2, buildBlock(cluster, 0, 2, 2, qc1, 1)));
  assert.equal(sent(proposal2.actions).length, 0, "no vote once stopped");
  const timer = node.engine.onLocalTimer(2);
  assert.equal(sent(host(node, timer.actions), "timeout").length, 0, "no timeout either");
  assert.ok(timer.actions.some((a) => a.kind === "setTimer"), "the engine still follows the views");
});

test("signed elsewhere: a signature in our name that does not verify changes nothing", () => {
  const cluster = createCluster(4, 83, { engine: { voteDelivery: "all" } });
  const node = us(cluster);
  const before = node.persisted;
  const vote = signVote(cluster, 0, 9, 3, new Uint8Array(32).fill(7));
  const signature = new Uint8Array(vote.signature);
  signature[0] = (signature[0] as number) ^ 1;
  const forged = receive(node, { ...vote, signature });
  assert.equal(forged.code, RejectCode.badSignature);
  assert.equal(forged.actions.length, 0);
  assert.equal(node.persisted, before);
});

test("signed elsewhere: a QC with our key keeps us out of its view and a few more; the other signer's TC in those views stops us", () => {
  const cluster = createCluster(4, 84, { engine: { voteDelivery: "all" } });
  const node = us(cluster);
  const qc6 = makeQc(cluster, [0, 1, 2], 6, 3, new Uint8Array(32).fill(6));
  const byQc = receive(node, signTimeout(cluster, 2, 7, qc6));
  assert.deepEqual(alarms(byQc.actions), [{ kind: "signedElsewhere", view: 6, seenIn: "qc", verdict: "ahead", signingStopped: false }]);
  assert.equal(node.persisted?.lastVotedView, 6 + SIGNED_ELSEWHERE_QUARANTINE_VIEWS);
  assert.equal(node.persisted?.lastProposedView, 6 + SIGNED_ELSEWHERE_QUARANTINE_VIEWS);
  assert.equal(node.engine.stats().signingStopped, false);

  // A signer that is still running signs on in the views we keep out of: caught there.
  const tc8 = makeTc(cluster, [0, 1, 3], 8, 6);
  const byTc = receive(node, signTimeout(cluster, 2, 9, qc6, tc8));
  assert.deepEqual(alarms(byTc.actions), [{ kind: "signedElsewhere", view: 8, seenIn: "tc", verdict: "apart", signingStopped: true }]);
  assert.equal(node.engine.stats().signingStopped, true);

  const qcWithoutUs = makeQc(cluster, [1, 2, 3], 10, 4, new Uint8Array(32).fill(10));
  assert.deepEqual(alarms(receive(node, signTimeout(cluster, 2, 11, qcWithoutUs)).actions), [], "a certificate we are not in says nothing of our key");
});

test("signed elsewhere: a committee running, restarting and hearing its own messages back never raises the alarm", () => {
  const cluster = createCluster(4, 85, { engine: { voteDelivery: "all" } });
  const log = pump(cluster, startAll(cluster), () => true, 3_000);
  const ownSent = (actions: readonly ConsensusAction[]): ConsensusMessage[] => sent(actions).map((s) => s.message).filter((m) => m.type === "vote" || m.type === "proposal" || m.type === "timeout");
  for (const node of cluster.nodes) {
    for (const message of ownSent(log[node.index] ?? [])) {
      const echo = receive(node, message);
      assert.ok(echo.code === RejectCode.fromSelf, `node ${node.index}: an echo is refused as one (${echo.code})`);
      assert.equal(alarms(echo.actions).length, 0);
    }
  }
  const viewBefore = (cluster.nodes[0] as TestNode).engine.view;
  assert.ok(viewBefore > 20, `views advanced (${viewBefore})`);

  // Node 0 restarts from its persisted state and hears every message it sent before.
  const restarted = bootNode(cluster, 0, { engine: { voteDelivery: "all" } });
  const start = host(restarted, restarted.engine.start().actions);
  for (const message of ownSent(log[0] ?? [])) assert.equal(alarms(receive(restarted, message).actions).length, 0, "a restarted node's earlier messages are its own");

  // Every view timer fires once, so the committee moves on whatever the first pump left in flight.
  const kick = sent(start).map((s) => ({ from: 0, to: s.to, message: s.message }));
  for (const node of cluster.nodes) kick.push(...sent(host(node, node.engine.onLocalTimer(node.engine.view).actions)).map((s) => ({ from: node.index, to: s.to, message: s.message })));
  const later = pump(cluster, kick, () => true, 3_000);
  for (const actions of [...log, ...later]) assert.equal(alarms(actions).length, 0, "no alarm in a committee whose keys each have one signer");
  assert.ok((cluster.nodes[0] as TestNode).engine.view > viewBefore, "the committee went on after the restart");
});

test("signed elsewhere: a leader waiting for work in a view it may no longer propose in stops waiting (no wake-up loop)", () => {
  for (const what of ["raised past the view", "signing stopped"] as const) {
    let idle = true;
    const cluster = createCluster(4, 86, { isIdle: () => idle });
    const leader = cluster.nodes[1] as TestNode;
    host(leader, leader.engine.start().actions);
    assert.equal(leader.engine.awaitsWork, true, `${what}: the leader of view 1 waits for work`);
    // Having timed out of view 1, the leader has signed there: another vote of its key there is beside it.
    if (what === "signing stopped") assert.equal(sent(host(leader, leader.engine.onLocalTimer(1).actions), "timeout").length, 1);
    const seen = receive(leader, signVote(cluster, 1, 1, 1, new Uint8Array(32).fill(1)));
    assert.deepEqual(alarms(seen.actions).map((a) => a.signingStopped), [what === "signing stopped"], what);
    idle = false;
    const work = leader.engine.onWork();
    assert.equal(sent(host(leader, work.actions), "proposal").length, 0, `${what}: no proposal`);
    assert.equal(leader.engine.awaitsWork, false, `${what}: the engine no longer asks to be woken for work`);
  }
});

test("signed elsewhere: a validator starting with no safety state on a synced root keeps out of the views after it; its key in the root QC raises the alarm", () => {
  const cluster = createCluster(4, 87);
  const rootHash = new Uint8Array(32).fill(5);
  const leader = leaderOf((cluster.nodes[0] as TestNode).engine.committee, 6);
  const outside = (leader + 1) % 4;
  const qc = makeQc(cluster, [0, 1, 2, 3].filter((i) => i !== outside), 5, 5, rootHash);
  const root = { hash: rootHash, height: 5, view: 5, block: null, qc };
  // The leader of view 6, the first after the root: with a store of its own it would propose there.
  const node = bootNode(cluster, leader, { engine: { root, quarantineAfterRoot: "withoutSafetyState" } });
  const start = host(node, node.engine.start().actions);
  assert.deepEqual(alarms(start), [{ kind: "signedElsewhere", view: 5, seenIn: "qc", verdict: "ahead", signingStopped: false }]);
  assert.equal(node.persisted?.lastVotedView, 5 + SIGNED_ELSEWHERE_QUARANTINE_VIEWS);
  assert.equal(sent(start, "proposal").length, 0, "no proposal in view 6");

  const joiner = bootNode(cluster, outside, { engine: { root } });
  host(joiner, joiner.engine.start().actions);
  assert.equal(joiner.persisted, null, "an engine started with quarantineAfterRoot never (a later epoch's, in a running process) keeps nothing out");
  const notCounted = bootNode(cluster, outside, { engine: { root, quarantineAfterRoot: "withoutSafetyState" } });
  assert.deepEqual(alarms(host(notCounted, notCounted.engine.start().actions)), [], "a validator not in the root's QC learns nothing of its key there");
  assert.equal(notCounted.persisted?.lastVotedView, 5 + SIGNED_ELSEWHERE_QUARANTINE_VIEWS, "but, with no safety state of its own, keeps out of the views after the root");

  // The other signer, still running, signs in those views: caught there.
  const later = receive(notCounted, signVote(cluster, outside, 7, 6, new Uint8Array(32).fill(7)));
  assert.deepEqual(alarms(later.actions), [{ kind: "signedElsewhere", view: 7, seenIn: "vote", verdict: "apart", signingStopped: true }]);

  // A restart from its own persisted state reads the root's QC as any certificate: no quarantine.
  const restarted = bootNode(cluster, leader, { engine: { root, quarantineAfterRoot: "withoutSafetyState" } });
  const again = host(restarted, restarted.engine.start().actions);
  assert.deepEqual(alarms(again), [], "its own state covers the root's view");
});

test("signed elsewhere: a validator resumed after a stop keeps out of the views after the root despite its own safety state; the other signer, still running, is caught there", () => {
  const cluster = createCluster(4, 90);
  const rootHash = new Uint8Array(32).fill(5);
  const follower = (leaderOf((cluster.nodes[0] as TestNode).engine.committee, 6) + 1) % 4;
  const qc = makeQc(cluster, [0, 1, 2, 3].filter((i) => i !== follower), 5, 5, rootHash);
  const root = { hash: rootHash, height: 5, view: 5, block: null, qc };
  // Its own state: it last signed in view 3, then stopped, and followed the chain to view 5.
  const ownState = initialSafetyState(0, 3);
  const bootWith = (quarantineAfterRoot: RootQuarantine): TestNode => {
    (cluster.nodes[follower] as TestNode).persisted = ownState;
    return bootNode(cluster, follower, { engine: { root, quarantineAfterRoot } });
  };

  const restarted = bootWith("withoutSafetyState");
  host(restarted, restarted.engine.start().actions);
  assert.equal(restarted.persisted, ownState, "a plain restart keeps nothing out: it may vote in view 6");

  const resumed = bootWith("always");
  const start = host(resumed, resumed.engine.start().actions);
  assert.deepEqual(alarms(start), [], "the root's QC does not count its key");
  assert.equal(resumed.persisted?.lastVotedView, 5 + SIGNED_ELSEWHERE_QUARANTINE_VIEWS, "views 6 to 9 kept out of, durably");
  assert.equal(resumed.engine.view, 6);

  // The signer it was resumed beside still runs: its vote in view 6, a view this node kept out of.
  const caught = receive(resumed, signVote(cluster, follower, 6, 6, new Uint8Array(32).fill(6)));
  assert.deepEqual(alarms(caught.actions), [{ kind: "signedElsewhere", view: 6, seenIn: "vote", verdict: "apart", signingStopped: true }]);
  assert.equal(resumed.engine.stats().signingStopped, true);
});

test("signed elsewhere: resumed after a stop whose quarantines raised its safety state, a validator still judges the views since the stop, and meets a signer still running there", () => {
  const cluster = createCluster(4, 92);
  const follower = (leaderOf((cluster.nodes[0] as TestNode).engine.committee, 31) + 1) % 4;
  const rootHash = new Uint8Array(32).fill(30);
  const root = { hash: rootHash, height: 30, view: 30, block: null, qc: makeQc(cluster, [0, 1, 2, 3].filter((i) => i !== follower), 30, 30, rootHash) };
  // Stopped in view 3, it then signed nothing, but sightings kept raising its state: through view 34.
  const raised = withSigningFloor(initialSafetyState(0, 3), 34);
  const resume = (signedAtMostThroughView: number | undefined): TestNode => {
    (cluster.nodes[follower] as TestNode).persisted = raised;
    const mark = signedAtMostThroughView === undefined ? {} : { signedAtMostThroughView };
    const node = bootNode(cluster, follower, { engine: { root, quarantineAfterRoot: "always", ...mark } });
    host(node, node.engine.start().actions);
    assert.equal(node.engine.view, 31);
    return node;
  };
  const voteOf31 = signVote(cluster, follower, 31, 31, new Uint8Array(32).fill(31));

  const unaware = resume(undefined);
  const missed = receive(unaware, voteOf31);
  assert.deepEqual(alarms(missed.actions), [], "taken for its own: views up to 34 are never judged");
  assert.equal(missed.code, RejectCode.fromSelf);

  const resumed = resume(3 + OWN_SIGNATURE_VIEWS);
  assert.deepEqual(alarms(receive(resumed, voteOf31).actions), [{ kind: "signedElsewhere", view: 31, seenIn: "vote", verdict: "apart", signingStopped: true }]);
});

test("signed elsewhere: with the process's start known, a signature apart from ours stops signing only on a block stamped after it; an idle chain's older head, or a timeout, only keeps us out", () => {
  const cluster = createCluster(4, 91);
  const follower = (leaderOf((cluster.nodes[0] as TestNode).engine.committee, 2) + 1) % 4;
  // The head of an idle chain: block 1, certified in view 1 with this key's signature, made by the process that ran it before.
  const head = buildBlock(cluster, 0, leaderOf((cluster.nodes[0] as TestNode).engine.committee, 1), 1, null, 0);
  const headHash = blockHashOf(head);
  const root = { hash: headHash, height: 1, view: 1, block: head, qc: makeQc(cluster, [0, 1, 2, 3], 1, 1, headHash) };
  const boot = (signerLiveAfterTimestampMs: number): TestNode => {
    (cluster.nodes[follower] as TestNode).persisted = initialSafetyState(0, 0);
    const node = bootNode(cluster, follower, { engine: { root, quarantineAfterRoot: "always", signerLiveAfterTimestampMs } });
    host(node, node.engine.start().actions);
    assert.equal(node.engine.view, 2);
    return node;
  };
  const voteOnHead = signVote(cluster, follower, 2, 1, headHash);

  // Started after the head was stamped: its key's vote in view 2 on that head may be the old process's.
  const later = boot(head.header.timestamp);
  assert.deepEqual(alarms(receive(later, voteOnHead).actions), [{ kind: "signedElsewhere", view: 2, seenIn: "vote", verdict: "apart", signingStopped: false }]);
  assert.equal(later.persisted?.lastVotedView, 2 + SIGNED_ELSEWHERE_QUARANTINE_VIEWS, "kept out of a few views past it");
  assert.deepEqual(alarms(receive(later, signTimeout(cluster, follower, 2, root.qc)).actions), [{ kind: "signedElsewhere", view: 2, seenIn: "timeout", verdict: "apart", signingStopped: false }], "a timeout names no block");

  // Started before the head was stamped: a signer of this key ran while this process did.
  const earlier = boot(head.header.timestamp - 1);
  assert.deepEqual(alarms(receive(earlier, voteOnHead).actions), [{ kind: "signedElsewhere", view: 2, seenIn: "vote", verdict: "apart", signingStopped: true }]);
});

test("signed elsewhere: in quarantined views a validator times out only on the view's timer, so a committee that needs it still leaves them", () => {
  const cluster = createCluster(4, 88);
  const node = us(cluster);
  const qc2 = makeQc(cluster, [0, 1, 2], 2, 2, new Uint8Array(32).fill(2));
  receive(node, signTimeout(cluster, 1, 3, qc2));
  assert.equal(node.persisted?.lastVotedView, 2 + SIGNED_ELSEWHERE_QUARANTINE_VIEWS);
  const view = node.engine.view;
  assert.ok(view === 3, `entered view 3 on QC(2) (view ${view})`);
  // Entered by the QC, view 3 lies in the quarantine: no timeout at once (a floored view outside one would send it now).
  const tc3 = makeTc(cluster, [1, 2, 3], 3, 2);
  const entered = receive(node, signTimeout(cluster, 2, 4, qc2, tc3));
  assert.equal(node.engine.view, 4);
  assert.equal(sent(entered.actions, "timeout").length, 0, "no timeout on entering a quarantined view");
  const timer = host(node, node.engine.onLocalTimer(4).actions);
  assert.equal(sent(timer, "timeout").length, 1, "the view's timer still times it out");
});

test("signed elsewhere: our key in an older certificate of a view we kept out of (a signer stopped since) only keeps us out; in the view before ours it stops us", () => {
  const cluster = createCluster(4, 89);
  const node = us(cluster);
  const qc6 = makeQc(cluster, [0, 1, 2], 6, 3, new Uint8Array(32).fill(6));
  receive(node, signTimeout(cluster, 2, 7, qc6));
  assert.equal(node.persisted?.lastVotedView, 6 + SIGNED_ELSEWHERE_QUARANTINE_VIEWS, "kept out of views 7 to 10");
  // The committee moves on without us (a QC of view 12 we are not in): we are in view 13.
  const qc12 = makeQc(cluster, [1, 2, 3], 12, 6, new Uint8Array(32).fill(12));
  receive(node, signTimeout(cluster, 2, 13, qc12));
  assert.equal(node.engine.view, 13);

  // Catching up, a block's QC of view 8 counts our key: signed by the other process, in a view we never signed in.
  const qc8 = makeQc(cluster, [0, 1, 3], 8, 4, new Uint8Array(32).fill(8));
  const old = receive(node, signTimeout(cluster, 3, 12, qc8));
  assert.equal(old.code, RejectCode.viewOld, "a late timeout, its certificate still read");
  assert.deepEqual(alarms(old.actions), [{ kind: "signedElsewhere", view: 8, seenIn: "qc", verdict: "apart", signingStopped: false }]);
  assert.equal(node.engine.stats().signingStopped, false, "an old signature apart from ours is no sign the other signer still runs");
  assert.equal(node.persisted?.lastVotedView, 8 + SIGNED_ELSEWHERE_QUARANTINE_VIEWS, "its view and a few more stay out of reach");
  assert.equal(node.engine.view, 13);

  // Our key in the QC of the view before ours: the other signer runs now, where we kept out of its way.
  const qc12WithUs = makeQc(cluster, [0, 1, 2], 12, 6, new Uint8Array(32).fill(12));
  const now = receive(node, signTimeout(cluster, 1, 13, qc12WithUs));
  assert.deepEqual(alarms(now.actions), [{ kind: "signedElsewhere", view: 12, seenIn: "qc", verdict: "apart", signingStopped: true }]);
  assert.equal(node.engine.stats().signingStopped, true);
});
