/**
 * The lag check's schedule (src/node/p2p/repeatingCheck.ts), on mocked timers: one check at a
 * time, every interval; `soon()` runs one now, or right after the one under way (the case a
 * soak found: a validator-set switch heard of during a check's probe waited a whole interval).
 */
import { strict as assert } from "node:assert";
import { mock, test } from "node:test";
import { RepeatingCheck } from "../../../src/node/p2p/repeatingCheck.ts";

const INTERVAL_MS = 10_000;

/** A check whose runs the test ends by hand, counting starts. */
function controlledCheck() {
  const ends: (() => void)[] = [];
  const state = { started: 0, errors: 0 };
  const check = new RepeatingCheck({ intervalMs: INTERVAL_MS }, {
    check: () => {
      state.started++;
      return new Promise<void>((resolve) => ends.push(resolve));
    },
    onError: () => state.errors++,
  });
  /** Ends the check under way, then lets its continuations run. */
  const endOne = async (): Promise<void> => {
    const end = ends.shift();
    assert.ok(end !== undefined, "a check is under way");
    end();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { check, state, endOne };
}

test("a check every interval, one at a time; soon() while idle runs one now", async (t) => {
  mock.timers.enable({ apis: ["setTimeout"] });
  t.after(() => mock.timers.reset());
  const { check, state, endOne } = controlledCheck();
  check.start();
  mock.timers.tick(INTERVAL_MS - 1);
  assert.equal(state.started, 0);
  mock.timers.tick(1);
  assert.equal(state.started, 1);
  // A long check: no second one starts beside it.
  mock.timers.tick(3 * INTERVAL_MS);
  assert.equal(state.started, 1);
  await endOne();
  mock.timers.tick(INTERVAL_MS - 1);
  assert.equal(state.started, 1, "the next check is an interval after the last one ended");
  check.soon();
  mock.timers.tick(0);
  assert.equal(state.started, 2, "soon() while waiting: at once");
  await endOne();
  const stopped = check.stop();
  mock.timers.tick(10 * INTERVAL_MS);
  await stopped;
  assert.equal(state.started, 2, "no check after stop()");
});

test("soon() during a check runs the next one right after it, not an interval later", async (t) => {
  mock.timers.enable({ apis: ["setTimeout"] });
  t.after(() => mock.timers.reset());
  const { check, state, endOne } = controlledCheck();
  check.start();
  mock.timers.tick(INTERVAL_MS);
  assert.equal(state.started, 1);
  check.soon();
  check.soon();
  assert.equal(state.started, 1, "not beside the check under way");
  await endOne();
  mock.timers.tick(0);
  assert.equal(state.started, 2, "right after it");
  await endOne();
  mock.timers.tick(INTERVAL_MS - 1);
  assert.equal(state.started, 2, "then back to the interval: one request, one extra check");
  mock.timers.tick(1);
  assert.equal(state.started, 3);
  await endOne();
  await check.stop();
});

test("a check that throws is reported, and the checks go on; stop() waits for the one under way", async (t) => {
  mock.timers.enable({ apis: ["setTimeout"] });
  t.after(() => mock.timers.reset());
  let runs = 0;
  const errors: unknown[] = [];
  let release = (): void => undefined;
  const check = new RepeatingCheck({ intervalMs: INTERVAL_MS }, {
    check: async () => {
      runs++;
      if (runs === 1) throw new Error("probe failed");
      await new Promise<void>((resolve) => (release = resolve));
    },
    onError: (err) => errors.push(err),
  });
  check.start();
  mock.timers.tick(INTERVAL_MS);
  for (let i = 0; i < 5; i++) await Promise.resolve();
  assert.equal(errors.length, 1);
  mock.timers.tick(INTERVAL_MS);
  assert.equal(runs, 2, "checked again after the failure");
  let stopped = false;
  const stopping = check.stop().then(() => (stopped = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  assert.equal(stopped, false, "stop() waits for the check under way");
  release();
  await stopping;
  assert.equal(stopped, true);
  assert.equal(check.stopped, true, "a check under way can tell it should end early");
  check.soon();
  mock.timers.tick(INTERVAL_MS);
  assert.equal(runs, 2, "soon() after stop() does nothing");
});

test("a check that stops the checks itself (a failed re-sync) ends them, a request made during it included", async (t) => {
  mock.timers.enable({ apis: ["setTimeout"] });
  t.after(() => mock.timers.reset());
  let runs = 0;
  let stoppedFromInside: Promise<void> | null = null;
  const check: RepeatingCheck = new RepeatingCheck({ intervalMs: INTERVAL_MS }, {
    check: async () => {
      runs++;
      check.soon();
      await Promise.resolve();
      // As ResyncingValidator.checkLag does when it cannot rejoin: not awaited, since stop() waits for this very check.
      stoppedFromInside = check.stop();
    },
    onError: (err) => assert.fail(String(err)),
  });
  check.start();
  mock.timers.tick(INTERVAL_MS);
  for (let i = 0; i < 5; i++) await Promise.resolve();
  assert.ok(stoppedFromInside !== null, "the check ran and stopped the checks");
  await stoppedFromInside;
  mock.timers.tick(10 * INTERVAL_MS);
  assert.equal(runs, 1, "neither the request made during the check nor the interval ran another");
  assert.equal(check.stopped, true);
  await check.stop();
});
