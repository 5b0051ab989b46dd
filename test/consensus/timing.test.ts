import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultConsensusTiming, viewTimeoutMaxMs, viewTimeoutsMs } from "../../src/consensus/index.ts";
import { checkConsensusTiming } from "../../src/consensus/options.ts";

test("timing: the timers per failed view grow by the percent, exactly in integers, up to the ceiling", () => {
  assert.deepEqual(viewTimeoutsMs({ viewTimeoutBaseMs: 1000, backoffPercent: 200, backoffExponentMax: 4 }), [1000, 2000, 4000, 8000, 16000]);
  // 333 * 1.2^k: 399.6, 479.52, 575.424 round down; no float drift from repeated multiplication.
  assert.deepEqual(viewTimeoutsMs({ viewTimeoutBaseMs: 333, backoffPercent: 120, backoffExponentMax: 3 }), [333, 399, 479, 575]);
  assert.deepEqual(viewTimeoutsMs({ viewTimeoutBaseMs: 700, backoffPercent: 100, backoffExponentMax: 2 }), [700, 700, 700], "100 % is a fixed timer");
  assert.equal(viewTimeoutMaxMs({ viewTimeoutBaseMs: 500, backoffPercent: 150, backoffExponentMax: 0 }), 500);
  assert.equal(viewTimeoutMaxMs(defaultConsensusTiming), 16_000, "the node's ceiling (0100 Pacemaker backoff)");
});

test("timing: out-of-range timings are refused", () => {
  const base = { viewTimeoutBaseMs: 1000, backoffPercent: 200, backoffExponentMax: 4 };
  for (const timing of [
    { ...base, backoffPercent: 99 },
    { ...base, backoffPercent: 401 },
    { ...base, backoffPercent: 150.5 },
    { ...base, backoffExponentMax: 21 },
    { ...base, viewTimeoutBaseMs: 0 },
    { viewTimeoutBaseMs: 600_000, backoffPercent: 400, backoffExponentMax: 20 },
  ]) {
    assert.throws(() => checkConsensusTiming(timing), /timing:/, JSON.stringify(timing));
  }
  checkConsensusTiming(base);
});
