import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REGOSSIP_ALL_INTERVAL_MS, RegossipSchedule } from "../../../src/node/consensus/regossip.ts";

describe("what a validator resends at view timeouts of a stalled chain", () => {
  it("nothing at the first timeout after a commit, own transactions at each further one, the whole pool once per interval of the stall", () => {
    const schedule = new RegossipSchedule();
    assert.equal(schedule.onViewTimeout(5, 1_000), "none", "the chain committed since the last timeout");
    assert.equal(schedule.onViewTimeout(5, 2_000), "own");
    assert.equal(schedule.onViewTimeout(5, 4_000), "own");
    assert.equal(schedule.onViewTimeout(5, 1_000 + REGOSSIP_ALL_INTERVAL_MS - 1), "own");
    assert.equal(schedule.onViewTimeout(5, 1_000 + REGOSSIP_ALL_INTERVAL_MS), "all", "an interval into the stall");
    assert.equal(schedule.onViewTimeout(5, 1_000 + REGOSSIP_ALL_INTERVAL_MS + 64_000), "all", "a timeout an interval after the last resend of the whole pool sends it again");
    assert.equal(schedule.onViewTimeout(5, 1_000 + REGOSSIP_ALL_INTERVAL_MS + 70_000), "own");
  });

  it("a commit ends the stall: the next timeout sends nothing, and the whole pool waits a full interval again", () => {
    const schedule = new RegossipSchedule();
    schedule.onViewTimeout(5, 0);
    assert.equal(schedule.onViewTimeout(5, REGOSSIP_ALL_INTERVAL_MS), "all");
    assert.equal(schedule.onViewTimeout(6, REGOSSIP_ALL_INTERVAL_MS + 1_000), "none");
    assert.equal(schedule.onViewTimeout(6, REGOSSIP_ALL_INTERVAL_MS + 2_000), "own");
    assert.equal(schedule.onViewTimeout(6, 2 * REGOSSIP_ALL_INTERVAL_MS), "own");
    assert.equal(schedule.onViewTimeout(6, 2 * REGOSSIP_ALL_INTERVAL_MS + 1_000), "all");
  });
});
