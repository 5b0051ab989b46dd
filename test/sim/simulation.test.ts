import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Rng,
  SimBehavior,
  ViolationKind,
  createSimKeyring,
  defaultSimFaultOptions,
  defaultSimOptions,
  genesisSimState,
  runSimulation,
  runSweep,
  type SimOptions,
} from "../../src/sim/index.ts";
import { SimChecker } from "../../src/sim/checkers.ts";
import { createCommittee } from "../../src/consensus/index.ts";

function options(validators: number, byzantine: number, behavior: SimOptions["behavior"], extra: Partial<SimOptions> = {}): Omit<SimOptions, "seed"> {
  return defaultSimOptions({
    validators,
    byzantine,
    behavior,
    seed: 0,
    views: 30,
    faults: { ...defaultSimFaultOptions, dropPpm: 100_000, partitions: true },
    ...extra,
  });
}

test("sim: a run replays event for event from its seed", () => {
  const opts = { ...options(4, 1, SimBehavior.mixed), seed: 77 };
  const first = runSimulation(opts);
  const second = runSimulation(opts);
  assert.deepEqual(second, first);
  assert.ok(first.events > 100 && first.committedBlocks > 0);
});

for (const [validators, byzantine] of [
  [4, 1],
  [7, 2],
] as const) {
  for (const behavior of [SimBehavior.twins, SimBehavior.silent, SimBehavior.withhold, SimBehavior.invalid, SimBehavior.forgedQc, SimBehavior.mixed]) {
    test(`sim: n=${validators} with ${byzantine} ${behavior} keeps agreement, validity and liveness under loss, partitions and crashes`, () => {
      const summary = runSweep(options(validators, byzantine, behavior), 2, 1000 + validators);
      assert.deepEqual(summary.failures, [], "no violation in any run");
      assert.ok(summary.committedBlocks > 0, "blocks were committed");
    });
  }
}

for (const validators of [4, 7]) {
  test(`sim: n=${validators} with votes broadcast to all keeps agreement, validity and liveness under mixed Byzantine behaviour`, () => {
    const summary = runSweep(options(validators, (validators - 1) / 3, SimBehavior.mixed, { voteDelivery: "all" }), 3, 3000 + validators);
    assert.deepEqual(summary.failures, [], "no violation in any run");
    assert.ok(summary.committedBlocks > 0, "blocks were committed");
  });
}

// The host's rule (decision 0200, "Session 36"): a view whose leader is crashed, or silent for 2n
// views with votes to all, is timed out at once. Safety never depends on timers; these show it
// keeps liveness too, and that silent leaders' views end sooner.
for (const [validators, voteDelivery] of [
  [4, "nextLeader"],
  [4, "all"],
  [7, "all"],
] as const) {
  test(`sim: n=${validators}, votes to ${voteDelivery}, absent leaders' views timed out at once: agreement, validity and liveness under mixed Byzantine behaviour`, () => {
    const summary = runSweep(options(validators, (validators - 1) / 3, SimBehavior.mixed, { voteDelivery, absentLeaders: true }), 3, 3600 + validators);
    assert.deepEqual(summary.failures, [], "no violation in any run");
    assert.ok(summary.committedBlocks > 0, "blocks were committed");
    assert.ok(summary.absentLeaderTimeouts > 0, "some views were timed out at once");
  });
}

test("sim: a silent Byzantine leader's views are timed out at once with absentLeaders, and not by default", () => {
  const base = { ...options(4, 1, SimBehavior.silent, { voteDelivery: "all", views: 80 }), seed: 3605 };
  const timer = runSimulation(base);
  const absent = runSimulation({ ...base, absentLeaders: true });
  assert.equal(timer.absentLeaderTimeouts, 0);
  assert.ok(absent.absentLeaderTimeouts > 0);
  for (const result of [timer, absent]) assert.deepEqual(result.violations, []);
  assert.deepEqual(runSimulation({ ...base, absentLeaders: false }), timer, "off is the default");
});

// Byzantine keys of power 1 beside honest keys of power 3: 4 of 7 keys but 4 of 13 power. Leaders
// follow power (decision 0101); by turn, 4 of every 7 views would be theirs and commits could stall.
for (const behavior of [SimBehavior.silent, SimBehavior.mixed]) {
  test(`sim: weighted, 4 ${behavior} keys of 7 holding under a third of the power keep agreement, validity and liveness`, () => {
    const summary = runSweep(options(7, 4, behavior, { weighted: true }), 3, 4100);
    assert.deepEqual(summary.failures, [], "no violation in any run");
    assert.ok(summary.committedBlocks > 0, "blocks were committed");
  });
}

test("sim: twins' equivocations are detected and end up committed as evidence", () => {
  const summary = runSweep(options(4, 1, SimBehavior.twins), 3, 21);
  assert.deepEqual(summary.failures, []);
  assert.ok(summary.evidenceCommitted > 0, "evidence was committed");
  assert.equal(summary.evidenceMissing, 0);
});

test("sim: with votes broadcast to all, twins' equivocations are detected and end up committed as evidence", () => {
  const summary = runSweep(options(4, 1, SimBehavior.twins, { voteDelivery: "all" }), 3, 22);
  assert.deepEqual(summary.failures, []);
  assert.ok(summary.evidenceCommitted > 0, "evidence was committed");
  assert.equal(summary.evidenceMissing, 0);
});

test("sim: invalid leaders' structurally invalid proposals are detected and end up committed as invalid-proposal evidence", () => {
  const summary = runSweep(options(4, 1, SimBehavior.invalid), 3, 31);
  assert.deepEqual(summary.failures, [], "no violation, no false evidence against honest validators");
  assert.ok(summary.invalidProposalEvidenceCommitted > 0, "invalid-proposal evidence was committed");
  assert.equal(summary.evidenceMissing, 0);
});

test("sim: the checker reports evidence that accuses an honest validator", () => {
  const keyring = createSimKeyring(new Rng(1), 4, "ed25519");
  const committee = createCommittee({ validators: keyring.validators });
  const checker = new SimChecker(committee, new Set([0, 1, 2]), new Uint8Array(32), genesisSimState(new Uint8Array(32)));
  const accusing = (index: number) => ({ kind: "invalid-proposal" as const, validator: keyring.validators[index]?.address as Uint8Array, view: 3, first: new Uint8Array(1), second: new Uint8Array(1) });
  checker.onEvidenceDetected(accusing(3), 10);
  assert.equal(checker.countOf(ViolationKind.falseEvidence), 0, "evidence against the Byzantine key is fine");
  checker.onEvidenceDetected(accusing(1), 11);
  assert.equal(checker.countOf(ViolationKind.falseEvidence), 1);
});

test("sim: beyond the bound (n=4 with 2 twins) the checker reports forks", () => {
  for (const seed of [3, 4, 5]) {
    const result = runSimulation({ ...options(4, 2, SimBehavior.twins, { faults: { ...defaultSimFaultOptions } }), seed });
    assert.ok(result.violations.some((v) => v.kind === ViolationKind.agreement), `seed ${seed}: an agreement violation is reported`);
    assert.ok(result.safetyViolations > 0);
  }
});

test("sim: beyond the bound (n=4 with 2 silent) the checker reports a liveness failure", () => {
  const result = runSimulation({ ...options(4, 2, SimBehavior.silent, { views: 5 }), seed: 5 });
  assert.equal(result.livenessFailures, 1);
  assert.ok(result.violations.some((v) => v.kind === ViolationKind.liveness));
});

test("sim: validators crashing between the safety write and the send never sign twice in a view", () => {
  let crashes = 0;
  const heavy = { ...defaultSimFaultOptions, crashAfterPersistPpm: 300_000, dropPpm: 50_000 };
  const summary = runSweep(options(4, 1, SimBehavior.twins, { faults: heavy }), 3, 99, (_i, result) => {
    crashes += result.crashes;
  });
  assert.ok(crashes >= 10, `crashes happened (${crashes})`);
  assert.deepEqual(summary.failures, [], "no honest equivocation, fork or stall");
});

test("sim: the checker reports an honest validator signing two votes in one view", () => {
  const keyring = createSimKeyring(new Rng(1), 4, "ed25519");
  const committee = createCommittee({ validators: keyring.validators });
  const checker = new SimChecker(committee, new Set([0, 1, 2, 3]), new Uint8Array(32), genesisSimState(new Uint8Array(32)));
  checker.onVoteSeen(2, 7, "aa", 10);
  checker.onVoteSeen(2, 7, "aa", 11);
  assert.equal(checker.countOf(ViolationKind.honestEquivocation), 0, "the same vote twice is fine");
  checker.onVoteSeen(2, 7, "bb", 12);
  assert.equal(checker.countOf(ViolationKind.honestEquivocation), 1);
});

test("sim: validators whose store is wiped at a crash sign nothing twice, thanks to their signing reservation; without it the checker catches them", () => {
  const wipeEveryCrash = { ...defaultSimFaultOptions, wipePpm: 1_000_000, dropPpm: 100_000, partitions: true };
  let wipes = 0;
  const reserved = runSweep(options(7, 1, SimBehavior.mixed, { faults: wipeEveryCrash }), 6, 900, (_i, result) => {
    wipes += result.wipes;
  });
  assert.ok(wipes >= 5, `wipes happened (${wipes})`);
  assert.deepEqual(reserved.failures, [], "no honest equivocation, fork or stall");
  assert.equal(reserved.signedElsewhere, 0, "a reservation covers every view the former self signed: the key is never seen signing above it");
  const unreserved = runSweep(options(7, 1, SimBehavior.mixed, { faults: wipeEveryCrash, signingReservationViews: 0 }), 6, 900);
  assert.ok(unreserved.failures.some((f) => f.violations.some((v) => v.kind === ViolationKind.honestEquivocation)), "a wiped validator without a reservation signs twice in a view");
  assert.ok(unreserved.signedElsewhere > 0, "without one, the wiped validators see their former selves' signatures in certificates");
});

test("sim: wipes stay within the fault bound: none when the Byzantine validators already take it", () => {
  const wipeEveryCrash = { ...defaultSimFaultOptions, wipePpm: 1_000_000 };
  const result = runSimulation({ ...options(4, 1, SimBehavior.silent, { faults: wipeEveryCrash }), seed: 3 });
  assert.ok(result.crashes > 0, "honest validators crashed");
  assert.equal(result.wipes, 0);
  assert.equal(runSimulation({ ...options(4, 0, SimBehavior.none, { faults: wipeEveryCrash }), seed: 3 }).wipes, 1, "one wipe in a committee of four, for the rest of the run");
});
