import { test } from "node:test";
import assert from "node:assert/strict";
import { blockHashOf, RejectCode, verifyEvidence, createCommittee, type ConsensusAction, type ProposalMessage } from "../../src/consensus/index.ts";
import type { Block } from "../../src/ledger/index.ts";
import {
  CHAIN_ID,
  bootNode,
  buildBlock,
  createCluster,
  host,
  makeQc,
  makeTc,
  pump,
  sent,
  signProposal,
  signTimeout,
  signVote,
  startAll,
  type TestCluster,
  type TestNode,
} from "./harness.ts";

function node(cluster: TestCluster, i: number): TestNode {
  return cluster.nodes[i] as TestNode;
}

function startOne(cluster: TestCluster, i: number): readonly ConsensusAction[] {
  return host(node(cluster, i), node(cluster, i).engine.start().actions);
}

function deliver(cluster: TestCluster, i: number, message: Parameters<TestNode["engine"]["onMessage"]>[0]) {
  const step = node(cluster, i).engine.onMessage(message);
  host(node(cluster, i), step.actions);
  return step;
}

function commits(actions: readonly ConsensusAction[]) {
  return actions.flatMap((a) => (a.kind === "commit" ? [a] : []));
}

test("engine: a fault-free cluster commits a chain by the 2-chain rule and all nodes agree", () => {
  const cluster = createCluster(4);
  const log = pump(cluster, startAll(cluster), (e) => e.message.type !== "proposal" || e.message.block.header.view <= 8);
  const heights = cluster.nodes.map((n) => n.engine.committedRoot.height);
  assert.ok(Math.min(...heights) >= 5, `every node committed at least 5 blocks, got ${heights}`);
  const byHeight = new Map<number, string>();
  for (const actions of log) {
    for (const commit of commits(actions)) {
      for (const b of commit.blocks) {
        const hex = Buffer.from(b.hash).toString("hex");
        assert.equal(byHeight.get(b.block.header.height) ?? hex, hex, `agreement at height ${b.block.header.height}`);
        byHeight.set(b.block.header.height, hex);
      }
    }
  }
});

test("engine: persistSafety precedes every vote, timeout and proposal it justifies", () => {
  const cluster = createCluster(4, 2);
  let pending = startAll(cluster).map((e) => ({ ...e }));
  let checked = 0;
  for (let round = 0; round < 200 && pending.length > 0; round++) {
    const next: typeof pending = [];
    for (const envelope of pending) {
      const targets = envelope.to === "all" ? [0, 1, 2, 3].filter((i) => i !== envelope.from) : [envelope.to];
      for (const to of targets) {
        const actions = host(node(cluster, to), node(cluster, to).engine.onMessage(envelope.message).actions);
        let persistedVoteView = -1;
        let persistedProposalView = -1;
        for (const action of actions) {
          if (action.kind === "persistSafety") {
            persistedVoteView = action.state.lastVotedView;
            persistedProposalView = action.state.lastProposedView;
          }
          if (action.kind !== "send") continue;
          const m = action.message;
          if (m.type === "vote" || m.type === "timeout") {
            assert.ok(persistedVoteView >= m.view, `${m.type} for view ${m.view} sent after a persist of view ${persistedVoteView}`);
            checked++;
          }
          if (m.type === "proposal") assert.ok(persistedProposalView >= m.block.header.view, "proposal persisted first");
          if (m.type !== "proposal" || m.block.header.view <= 6) next.push({ from: to, to: action.to, message: m });
        }
      }
    }
    pending = next;
  }
  assert.ok(checked >= 10, `checked ${checked} votes`);
});

test("engine: the commit rule commits only through QCs of consecutive views", () => {
  const cluster = createCluster(4, 3);
  startOne(cluster, 0);
  const b1 = buildBlock(cluster, 0, 1, 1, null, 0);
  assert.equal(deliver(cluster, 0, signProposal(cluster, 1, b1)).rejection, null);
  const qc1 = makeQc(cluster, [1, 2, 3], 1, 1, blockHashOf(b1));
  // View 2 failed: B3 extends QC(1) with TC(2).
  const b3 = buildBlock(cluster, 0, 3, 3, qc1, 1);
  const step3 = deliver(cluster, 0, signProposal(cluster, 3, b3, makeTc(cluster, [1, 2, 3], 2, 1)));
  assert.equal(step3.rejection, null);
  assert.equal(step3.rejection, null);
  assert.equal(node(cluster, 0).engine.safetyState.lastVotedView, 3, "votes for B3 under TC(2) (node 0 leads view 4: the vote stays local)");
  const qc3 = makeQc(cluster, [1, 2, 3], 3, 2, blockHashOf(b3));
  const b5 = buildBlock(cluster, 0, 1, 5, qc3, 2);
  const step5 = deliver(cluster, 0, signProposal(cluster, 1, b5, makeTc(cluster, [1, 2, 3], 4, 3)));
  assert.equal(commits(step5.actions).length, 0, "QC(3) on B3 whose QC is from view 1: no commit");
  const qc5 = makeQc(cluster, [1, 2, 3], 5, 3, blockHashOf(b5));
  const b6 = buildBlock(cluster, 0, 2, 6, qc5, 3);
  const step6 = deliver(cluster, 0, signProposal(cluster, 2, b6));
  assert.equal(commits(step6.actions).length, 0, "QC(5) on B5 whose QC is from view 3: no commit");
  const qc6 = makeQc(cluster, [1, 2, 3], 6, 4, blockHashOf(b6));
  const b7 = buildBlock(cluster, 0, 3, 7, qc6, 4);
  const step7 = deliver(cluster, 0, signProposal(cluster, 3, b7));
  const [commit] = commits(step7.actions);
  assert.ok(commit !== undefined, "QC(6) on B6 (view 6) whose parent B5 has view 5 commits B5");
  assert.deepEqual(commit.blocks.map((b) => b.block.header.height), [1, 2, 3]);
  assert.deepEqual(commit.blocks[2]?.qc, qc5, "B5 is committed with the QC that certifies it");
  assert.deepEqual(commit.commitQc, qc6);
  assert.equal(node(cluster, 0).engine.committedRoot.height, 3);
});

test("engine: a second proposal for one view gets no vote and becomes verifiable evidence", () => {
  const cluster = createCluster(4, 4);
  startOne(cluster, 0);
  const first = buildBlock(cluster, 0, 1, 1, null, 0);
  cluster.nowMs += 5;
  const second = buildBlock(cluster, 0, 1, 1, null, 0);
  assert.notDeepEqual(blockHashOf(first), blockHashOf(second));
  assert.equal(sent(deliver(cluster, 0, signProposal(cluster, 1, first)).actions, "vote").length, 1);
  const step = deliver(cluster, 0, signProposal(cluster, 1, second));
  assert.equal(sent(step.actions, "vote").length, 0, "never a second vote in view 1");
  const evidence = step.actions.flatMap((a) => (a.kind === "evidence" ? [a.evidence] : []));
  assert.equal(evidence.length, 1);
  assert.equal(evidence[0]?.kind, "vote", "a proposal's signature is its leader's vote: two proposals are two votes in one view");
  assert.equal(sent(step.actions, "evidence").length, 1, "evidence is gossiped");
  const ctx = { chainId: CHAIN_ID, epoch: 0, committee: createCommittee(cluster.validatorSet), verifier: cluster.keyring.verifier };
  assert.equal(verifyEvidence(evidence[0]!, ctx), null, "the evidence verifies for anyone holding the set");
  const tampered = { ...evidence[0]!, view: 2 };
  assert.equal(verifyEvidence(tampered, ctx)?.code, RejectCode.evidenceInvalid);
});

test("engine: equivocating votes at the next leader become vote evidence, proposed in its next block", () => {
  const cluster = createCluster(4, 5);
  startOne(cluster, 2);
  const a = buildBlock(cluster, 2, 1, 1, null, 0);
  cluster.nowMs += 3;
  const b = buildBlock(cluster, 2, 1, 1, null, 0);
  assert.equal(deliver(cluster, 2, signVote(cluster, 0, 1, 1, blockHashOf(a))).rejection, null);
  const step = deliver(cluster, 2, signVote(cluster, 0, 1, 1, blockHashOf(b)));
  const evidence = step.actions.flatMap((x) => (x.kind === "evidence" ? [x.evidence] : []));
  assert.equal(evidence[0]?.kind, "vote");
  // Node 2's own vote for `a` (it leads view 2) and votes from 0 and 1 complete QC(1).
  const steps = [deliver(cluster, 2, signProposal(cluster, 1, a)), deliver(cluster, 2, signVote(cluster, 1, 1, 1, blockHashOf(a)))];
  const proposal = steps.flatMap((x) => sent(x.actions, "proposal"))[0]?.message as ProposalMessage | undefined;
  assert.ok(proposal !== undefined, "QC(1) formed and leader 2 proposed");
  assert.equal(proposal.block.evidence.length, 1, "the pending evidence rides in the block");
});

test("engine: a validator that crashed between persisting and sending its vote never votes again in that view", () => {
  const cluster = createCluster(4, 6);
  startOne(cluster, 0);
  const b1 = buildBlock(cluster, 0, 1, 1, null, 0);
  cluster.nowMs += 7;
  const b1Other = buildBlock(cluster, 0, 1, 1, null, 0);
  const step = node(cluster, 0).engine.onMessage(signProposal(cluster, 1, b1));
  const persistAt = step.actions.findIndex((a) => a.kind === "persistSafety");
  const voteAt = step.actions.findIndex((a) => a.kind === "send" && a.message.type === "vote");
  assert.ok(persistAt >= 0 && persistAt < voteAt, "the safety write comes before the vote");
  // Crash: the host performed the actions up to the write, not the send.
  host(node(cluster, 0), step.actions.slice(0, voteAt));
  bootNode(cluster, 0);
  startOne(cluster, 0);
  for (const proposal of [signProposal(cluster, 1, b1), signProposal(cluster, 1, b1Other)]) {
    const again = deliver(cluster, 0, proposal);
    assert.equal(sent(again.actions, "vote").length, 0, "no vote in view 1 after restart");
    assert.equal(again.rejection?.code, RejectCode.unsafe);
  }
});

test("engine: hostile input is refused with a typed reason and changes nothing", () => {
  const cluster = createCluster(4, 7);
  startOne(cluster, 0);
  const b1 = buildBlock(cluster, 0, 1, 1, null, 0);
  const good = signProposal(cluster, 1, b1);
  const qc1 = makeQc(cluster, [1, 2, 3], 1, 1, blockHashOf(b1));
  const withJustify = (justify: typeof qc1): ProposalMessage => signProposal(cluster, 2, { ...buildBlock(cluster, 0, 2, 2, qc1, 1), header: { ...buildBlock(cluster, 0, 2, 2, qc1, 1).header, justify } });
  deliver(cluster, 0, good);
  const cases: [string, unknown, string][] = [
    ["bad proposal signature", { ...good, signature: new Uint8Array(64) }, RejectCode.badSignature],
    ["proposal by a non-leader", { ...signProposal(cluster, 3, b1) }, RejectCode.wrongLeader],
    ["forged QC signature", withJustify({ ...qc1, signatures: [new Uint8Array(64), ...qc1.signatures.slice(1)] }), RejectCode.qcBadSignature],
    ["QC without quorum", withJustify(makeQc(cluster, [1, 2], 1, 1, blockHashOf(b1))), RejectCode.qcNoQuorum],
    ["QC bitmap names more signers than signatures", withJustify({ ...qc1, signatures: qc1.signatures.slice(0, 2) }), RejectCode.qcMalformed],
    ["QC bitmap with stray bits", withJustify({ ...qc1, signers: new Uint8Array([0xff]) }), RejectCode.qcMalformed],
    ["QC bitmap of the wrong size", withJustify({ ...qc1, signers: new Uint8Array([0x0e, 0]) }), RejectCode.qcMalformed],
    ["vote from an unknown validator", { ...signVote(cluster, 1, 1, 1, blockHashOf(b1)), sender: 9 }, RejectCode.unknownSender],
    ["message of another epoch", { ...good, epoch: 1 }, RejectCode.epochMismatch],
    ["malformed message", { type: "vote", epoch: 0, view: -1 }, RejectCode.malformed],
    ["vote to a validator that does not lead the next view", signVote(cluster, 1, 1, 1, blockHashOf(b1)), RejectCode.notLeader],
    ["vote far ahead", signVote(cluster, 1, 43, 1, blockHashOf(b1)), RejectCode.viewTooFarAhead],
    ["timeout with a forged TC", { ...signTimeout(cluster, 1, 3, qc1, { ...makeTc(cluster, [1, 2, 3], 2, 1), signatures: [new Uint8Array(64), new Uint8Array(64), new Uint8Array(64)] }) }, RejectCode.tcBadSignature],
  ];
  for (const [what, message, code] of cases) {
    const before = node(cluster, 0).engine.stats();
    const step = node(cluster, 0).engine.onMessage(message as ProposalMessage);
    assert.equal(step.rejection?.code, code, what);
    assert.deepEqual(step.actions, [], `${what}: no actions`);
    assert.deepEqual(node(cluster, 0).engine.stats(), before, `${what}: state unchanged`);
  }
  // A valid QC is still used (it moves the view), but a block whose parent is not the block
  // the QC certifies is refused without fetching anything.
  const b2 = buildBlock(cluster, 0, 2, 2, qc1, 1);
  const stray = deliver(cluster, 0, signProposal(cluster, 2, { ...b2, header: { ...b2.header, parentHash: new Uint8Array(32).fill(9) } }));
  assert.equal(stray.rejection?.code, RejectCode.blockInvalid);
  assert.equal(sent(stray.actions, "blockRequest").length, 0, "nothing fetched for a made-up parent");
  // The proposal beyond the view a QC reaches is refused.
  const ahead = deliver(cluster, 0, signProposal(cluster, 1, buildBlock(cluster, 0, 1, 5, qc1, 1)));
  assert.equal(ahead.rejection?.code, RejectCode.viewNotJustified);
  assert.equal(sent(ahead.actions, "vote").length, 0);
});

test("engine: a proposal whose QC certifies an unknown block is held while the block is fetched", () => {
  const cluster = createCluster(4, 8);
  startOne(cluster, 0);
  const unknown = buildBlock(cluster, 3, 1, 1, null, 0);
  const qc = makeQc(cluster, [1, 2, 3], 1, 1, blockHashOf(unknown));
  const b2 = { ...unknown, header: { ...unknown.header, height: 2, view: 2, parentHash: blockHashOf(unknown), justify: qc } } as Block;
  const step = deliver(cluster, 0, signProposal(cluster, 2, b2));
  assert.equal(step.rejection?.code, RejectCode.blockParentUnknown);
  const requests = sent(step.actions, "blockRequest");
  assert.equal(requests.length, 1);
  assert.equal(requests[0]?.to, 2, "asks the proposer first");
});

test("engine: a held proposal whose view a QC ended is inserted when its parent arrives, so the next proposal is voted on without fetching again", () => {
  // Five validators, so that node 0 leads none of views 1-3 and does not lead view 4 either
  // (its vote for view 3 is sent to validator 4, not kept).
  const cluster = createCluster(5, 12);
  startOne(cluster, 0);
  // Views 1-3, led by validators 1-3, each block built on the one before.
  const b1 = buildBlock(cluster, 1, 1, 1, null, 0);
  const b2 = buildBlock(cluster, 1, 2, 2, makeQc(cluster, [1, 2, 3, 4], 1, 1, blockHashOf(b1)), 1);
  const b3 = buildBlock(cluster, 1, 3, 3, makeQc(cluster, [1, 2, 3, 4], 2, 2, blockHashOf(b2)), 2);
  // Node 0 missed b1: b2 is held while b1 is fetched; b3's QC (of b2) then moves it to view 3.
  const held = deliver(cluster, 0, signProposal(cluster, 2, b2));
  assert.equal(held.rejection?.code, RejectCode.blockParentUnknown);
  const request = sent(held.actions, "blockRequest")[0];
  assert.ok(request !== undefined);
  const next = deliver(cluster, 0, signProposal(cluster, 3, b3));
  assert.equal(next.rejection?.code, RejectCode.blockParentUnknown);
  assert.equal(node(cluster, 0).engine.view, 3);
  // b1 arrives: b2 goes into the tree (no vote: its view is over), and b3 gets a vote at once.
  const answered = deliver(cluster, 0, { type: "blockResponse", epoch: 0, blocks: [b1], sender: 2 });
  assert.equal(sent(answered.actions, "blockRequest").length, 0, "b2 is not fetched again");
  const votes = sent(answered.actions, "vote").map((s) => s.message);
  assert.deepEqual(votes.map((v) => v.type === "vote" && v.view), [3], "one vote, for b3 only");
});

test("engine: a missed proposal is fetched, validated, and the node catches up and votes", () => {
  const cluster = createCluster(4, 9);
  // Node 3 never receives the proposal of view 1.
  const log = pump(cluster, startAll(cluster), (e, to) => !(to === 3 && e.message.type === "proposal" && e.message.block.header.view === 1) && (e.message.type !== "proposal" || e.message.block.header.view <= 6));
  assert.ok(sent(log[3] ?? [], "blockRequest").length >= 1, "node 3 fetched");
  assert.ok(node(cluster, 3).engine.committedRoot.height >= 3, `node 3 committed ${node(cluster, 3).engine.committedRoot.height}`);
});

test("engine: timeouts of f + 1 make a validator join, a quorum forms a TC and the next leader proposes with it", () => {
  const cluster = createCluster(4, 10);
  startOne(cluster, 2);
  deliver(cluster, 2, signTimeout(cluster, 0, 1, null));
  const joined = deliver(cluster, 2, signTimeout(cluster, 1, 1, null));
  const own = sent(joined.actions, "timeout");
  assert.equal(own.length, 1, "two timeouts (> 1/3 of the power) make node 2 time out too");
  const proposal = sent(joined.actions, "proposal")[0]?.message as ProposalMessage | undefined;
  assert.ok(proposal !== undefined, "its own timeout completes TC(1) and node 2 leads view 2");
  assert.equal(proposal.tc?.view, 1);
  assert.equal(proposal.block.header.justify, null, "extends genesis under TC(1)");
  assert.equal(node(cluster, 2).engine.view, 2);
});

/** Node 0's view timers from its start through five views that each end by a TC. */
function timerDelaysOverFailedViews(cluster: TestCluster): number[] {
  const delays = startOne(cluster, 0).flatMap((a) => (a.kind === "setTimer" ? [a.delayMs] : []));
  for (let view = 1; view <= 5; view++) {
    const tc = makeTc(cluster, [1, 2, 3], view, 0);
    const step = deliver(cluster, 0, signTimeout(cluster, 1, view + 1, null, tc));
    delays.push(...step.actions.flatMap((a) => (a.kind === "setTimer" ? [a.delayMs] : [])));
  }
  return delays;
}

test("engine: the view timer backs off exponentially while views fail, up to the cap", () => {
  const cluster = createCluster(4, 11);
  assert.deepEqual(timerDelaysOverFailedViews(cluster), [1000, 2000, 4000, 8000, 8000, 8000]);
  const refire = node(cluster, 0).engine.onLocalTimer(node(cluster, 0).engine.view);
  assert.equal(sent(refire.actions, "timeout").length, 1, "the timer times the view out");
  assert.equal(node(cluster, 0).engine.onLocalTimer(1).actions.length, 0, "a stale timer does nothing");
});

test("engine: a gentler backoff multiplies the timer by its percent per failed view, rounded down, up to its cap", () => {
  const cluster = createCluster(4, 13, { engine: { timing: { viewTimeoutBaseMs: 1000, backoffPercent: 150, backoffExponentMax: 4 } } });
  // 1000 * 1.5^4 = 5062.5: integer arithmetic rounds down, the same on every validator.
  assert.deepEqual(timerDelaysOverFailedViews(cluster), [1000, 1500, 2250, 3375, 5062, 5062]);
});

test("engine: a validator restarted from its store resumes in its view with its saved blocks", () => {
  const cluster = createCluster(4, 12);
  pump(cluster, startAll(cluster), (e) => e.message.type !== "proposal" || e.message.block.header.view <= 5);
  const before = node(cluster, 1).engine.stats();
  bootNode(cluster, 1);
  startOne(cluster, 1);
  const after = node(cluster, 1).engine.stats();
  assert.ok(after.view >= before.highQcView + 1, `resumed in view ${after.view} (high QC ${before.highQcView})`);
  assert.equal(after.highQcView, before.highQcView);
  assert.ok(after.treeBlocks >= 1, "uncommitted blocks were restored");
});

test("engine: when the application ends the epoch, the engine commits up to that block, hands over and halts", () => {
  const cluster = createCluster(4, 13, { provider: { nextValidatorSet: (block) => (block.header.height === 2 ? { validators: [] } : null) } });
  const log = pump(cluster, startAll(cluster), (e) => e.message.type !== "proposal" || e.message.block.header.view <= 8);
  const changes = (log[0] ?? []).flatMap((a) => (a.kind === "epochChange" ? [a] : []));
  assert.equal(changes.length, 1);
  assert.equal(changes[0]?.epoch, 1);
  assert.equal(changes[0]?.root.height, 2);
  assert.equal(node(cluster, 0).engine.committedRoot.height, 2, "nothing past the epoch's last block is committed");
  assert.equal(node(cluster, 0).engine.isHalted, true);
  assert.equal(node(cluster, 0).engine.onLocalTimer(node(cluster, 0).engine.view).rejection?.code, RejectCode.halted);
});

test("engine: a node whose clock is behind does not vote for proposals ahead of it, but follows the chain the others certify", () => {
  const behind = 3;
  const cluster = createCluster(4, 5, { clockOffsetMs: (i) => (i === behind ? -60_000 : 0) });
  cluster.nowMs = 100_000;
  const log = pump(cluster, startAll(cluster), (e) => e.message.type !== "proposal" || e.message.block.header.view <= 12);
  const committed = cluster.nodes.map((n) => n.engine.committedRoot);
  assert.ok(committed[behind]!.height >= 5, `the node behind committed ${committed[behind]!.height} blocks`);
  assert.ok(committed.every((root) => root.height >= committed[behind]!.height));
  const hashAt = (i: number, height: number): string | undefined => {
    for (const commit of commits(log[i]!)) for (const b of commit.blocks) if (b.block.header.height === height) return Buffer.from(b.hash).toString("hex");
    return undefined;
  };
  for (let height = 1; height <= committed[behind]!.height; height++) assert.equal(hashAt(behind, height), hashAt(0, height), `agreement at height ${height}`);
  // It votes only in its own proposals (which repeat their parent's time): everyone else's run a minute ahead of its clock.
  assert.equal(sent(log[behind]!, "vote").length, 0, "no vote for another leader's proposal");
  assert.ok(sent(log[behind]!, "proposal").length > 0, "its own proposals, each its vote, keep coming");
});

test("engine: an untimely proposal is refused for the vote only, not as the proposer's fault, and its block is kept", () => {
  const cluster = createCluster(4, 6);
  cluster.nowMs = 100_000;
  const proposal = startAll(cluster).find((e) => e.message.type === "proposal");
  assert.ok(proposal !== undefined && proposal.message.type === "proposal");
  const receiver = (proposal.from + 1) % 4;
  cluster.nowMs = 1_000; // every clock steps back: the proposal now runs 99 s ahead of the receiver's
  const step = node(cluster, receiver).engine.onMessage(proposal.message);
  host(node(cluster, receiver), step.actions);
  assert.equal(step.rejection?.code, RejectCode.blockUntimely);
  assert.equal(step.rejection?.peerFault, false, "a clock disagreement is not the proposer's provable fault");
  assert.equal(sent(step.actions, "vote").length, 0);
  assert.ok(!step.actions.some((a) => a.kind === "evidence"), "no invalid-proposal evidence");
  const hash = blockHashOf(proposal.message.block);
  assert.ok(node(cluster, receiver).saved.some((block) => Buffer.from(blockHashOf(block)).equals(Buffer.from(hash))), "the block is kept (saved) for when a quorum certifies it");
});

test("a leader that forms quorums alone and signs inline proposes a bounded run of views per step, never recursing without end", () => {
  // A committee of one, signing inside the engine, with an application that always has work:
  // each proposal's own vote certifies it and enters the next view. Before the bound this
  // recursed until the stack overflowed (found by a fuzz of the simulator's flags).
  const cluster = createCluster(1);
  const leader = node(cluster, 0);
  const first = startOne(cluster, 0);
  const proposed = (actions: readonly ConsensusAction[]) => sent(actions, "proposal").map((s) => (s.message as ProposalMessage).block.header.view);
  const views = proposed(first);
  assert.ok(views.length > 1 && views.length <= 17, `${views.length} proposals in the first step`);
  assert.deepEqual(views, views.map((_, i) => i + 1), `one proposal per view, in order: ${JSON.stringify(views)}`);
  assert.ok(commits(first).length > 0, "the chain commits as it goes");
  assert.equal(leader.engine.awaitsWork, true, "the next view's proposal waits for the next input");
  const next = host(leader, leader.engine.onWork().actions);
  assert.deepEqual(proposed(next)[0], views.length + 1, "the next input resumes where the step stopped");
});
