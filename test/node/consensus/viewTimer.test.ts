/**
 * The view timer's pacing rules (viewTimer.ts) and the empty-block pacer they read: a view's
 * clock starts when there is work. Cluster tests (commit.test.ts "paces blocks", clockStep.test.ts)
 * cover the timer in running nodes; these pin each rule, including the one for a node whose newest
 * block was stale when it entered the view.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { viewTimerOutcome } from "../../../src/node/consensus/viewTimer.ts";
import { EmptyBlockPacer } from "../../../src/node/emptyBlockPacer.ts";

const DELAY_MS = 1_000;

describe("viewTimerOutcome", () => {
  it("postpones while idle, then gives one more full run once work appears", () => {
    assert.deepEqual(viewTimerOutcome({ idle: true, postponed: false, emptyBlockOnlyDueForMs: null, delayMs: DELAY_MS }), { kind: "rearm", postponed: true, runMs: DELAY_MS });
    assert.deepEqual(viewTimerOutcome({ idle: false, postponed: true, emptyBlockOnlyDueForMs: 5, delayMs: DELAY_MS }), { kind: "rearm", postponed: false, runMs: DELAY_MS });
  });

  it("fires when there is other work, or the empty block has been due for a whole run", () => {
    assert.deepEqual(viewTimerOutcome({ idle: false, postponed: false, emptyBlockOnlyDueForMs: null, delayMs: DELAY_MS }), { kind: "fire" });
    assert.deepEqual(viewTimerOutcome({ idle: false, postponed: false, emptyBlockOnlyDueForMs: DELAY_MS, delayMs: DELAY_MS }), { kind: "fire" });
    assert.deepEqual(viewTimerOutcome({ idle: false, postponed: false, emptyBlockOnlyDueForMs: 60_000, delayMs: DELAY_MS }), { kind: "fire" });
  });

  it("counts the run from when the empty block fell due when that is the only work and it fell due during the run", () => {
    // Entered the view with a stale newest block: not postponed, and the empty block that is
    // the leader's to propose fell due 40 ms before this run ended.
    assert.deepEqual(viewTimerOutcome({ idle: false, postponed: false, emptyBlockOnlyDueForMs: 40, delayMs: DELAY_MS }), { kind: "rearm", postponed: false, runMs: DELAY_MS - 40 });
    assert.deepEqual(viewTimerOutcome({ idle: false, postponed: false, emptyBlockOnlyDueForMs: 0, delayMs: 4 * DELAY_MS }), { kind: "rearm", postponed: false, runMs: 4 * DELAY_MS });
  });
});

describe("EmptyBlockPacer.dueForMs", () => {
  const clock = (nowMs: number) => ({ nowMs: () => nowMs });

  it("is null until the interval after the newest block, then how long it has been due", () => {
    const newest = { height: 7, timestampMs: 10_000 };
    assert.equal(new EmptyBlockPacer(1_000, { wall: clock(10_999), monotonic: clock(0) }).dueForMs(newest), null);
    assert.equal(new EmptyBlockPacer(1_000, { wall: clock(11_000), monotonic: clock(0) }).dueForMs(newest), 0);
    assert.equal(new EmptyBlockPacer(1_000, { wall: clock(11_250), monotonic: clock(0) }).dueForMs(newest), 250);
    assert.equal(new EmptyBlockPacer(1_000, { wall: clock(11_250), monotonic: clock(0) }).due(newest), true);
    assert.equal(new EmptyBlockPacer(0, { wall: clock(99_000), monotonic: clock(0) }).dueForMs(newest), null, "no empty blocks");
  });

  it("measures on the monotonic clock while the wall clock stands behind the newest block", () => {
    let monotonicMs = 500;
    const pacer = new EmptyBlockPacer(1_000, { wall: clock(9_000), monotonic: { nowMs: () => monotonicMs } });
    const newest = { height: 7, timestampMs: 10_000 };
    assert.equal(pacer.dueForMs(newest), null, "first seen now");
    monotonicMs = 1_499;
    assert.equal(pacer.dueForMs(newest), null);
    monotonicMs = 1_800;
    assert.equal(pacer.dueForMs(newest), 300);
  });
});
