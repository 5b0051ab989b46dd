/**
 * When a running validator leaves consensus to sync by range (src/node/p2p/lagVerdict.ts,
 * decision 0504). The case a soak found (session 31): a validator that missed a set switch
 * committed an old-epoch block while its lag check probed the peers, and the commit made the
 * check stand down, so it stayed behind for another 10 s interval.
 */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import fc from "fast-check";
import { lagVerdict, type LagObservation } from "../../../src/node/p2p/lagVerdict.ts";

const THRESHOLDS = { lagBlocksMin: 1024, stalledBehindMs: 30_000 };
const AT_REST: LagObservation = { height: 100, heightNow: 100, peerHeight: 100, stalledMs: 0, behindAnEpoch: false };

test("no peer ahead, or too few answers: stay in consensus, whatever else holds", () => {
  for (const peerHeight of [undefined, 99, 100]) {
    assert.equal(lagVerdict({ ...AT_REST, peerHeight, stalledMs: 60_000, behindAnEpoch: true }, THRESHOLDS), null);
  }
});

test("far behind: sync from lagBlocksMin", () => {
  assert.deepEqual(lagVerdict({ ...AT_REST, peerHeight: 100 + 1024, heightNow: 110 }, THRESHOLDS), { kind: "farBehind", syncLagBlocksMin: 1024 });
  assert.equal(lagVerdict({ ...AT_REST, peerHeight: 100 + 1023 }, THRESHOLDS), null);
});

test("stalled: only after stalledBehindMs, and not when a block committed during the probe", () => {
  assert.deepEqual(lagVerdict({ ...AT_REST, peerHeight: 103, stalledMs: 30_000 }, THRESHOLDS), { kind: "stalled", syncLagBlocksMin: 1 });
  assert.equal(lagVerdict({ ...AT_REST, peerHeight: 103, stalledMs: 29_999 }, THRESHOLDS), null);
  assert.equal(lagVerdict({ ...AT_REST, peerHeight: 103, stalledMs: 30_000, heightNow: 101 }, THRESHOLDS), null);
});

test("behind an epoch: sync at once, even when an old-epoch block committed during the probe", () => {
  assert.deepEqual(lagVerdict({ ...AT_REST, peerHeight: 131, behindAnEpoch: true }, THRESHOLDS), { kind: "behindAnEpoch", syncLagBlocksMin: 1 });
  assert.deepEqual(lagVerdict({ ...AT_REST, peerHeight: 131, heightNow: 101, behindAnEpoch: true }, THRESHOLDS), { kind: "behindAnEpoch", syncLagBlocksMin: 1 });
});

test("property: a verdict needs a peer ahead; a stalled verdict needs the head unmoved", () => {
  const observation = fc.record({
    height: fc.nat({ max: 1_000_000 }),
    heightDelta: fc.nat({ max: 3 }),
    peerDelta: fc.option(fc.integer({ min: -5, max: 3000 }), { nil: undefined }),
    stalledMs: fc.nat({ max: 120_000 }),
    behindAnEpoch: fc.boolean(),
  });
  fc.assert(fc.property(observation, (o) => {
    const seen: LagObservation = { height: o.height, heightNow: o.height + o.heightDelta, peerHeight: o.peerDelta === undefined ? undefined : o.height + o.peerDelta, stalledMs: o.stalledMs, behindAnEpoch: o.behindAnEpoch };
    const verdict = lagVerdict(seen, THRESHOLDS);
    if (verdict === null) return;
    assert.ok(seen.peerHeight !== undefined && seen.peerHeight > seen.height);
    if (verdict.kind === "stalled") assert.ok(seen.heightNow === seen.height && seen.stalledMs >= THRESHOLDS.stalledBehindMs && !seen.behindAnEpoch);
    if (verdict.kind === "behindAnEpoch") assert.ok(seen.behindAnEpoch);
    assert.ok(verdict.syncLagBlocksMin >= 1);
  }));
});
