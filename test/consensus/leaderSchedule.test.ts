/**
 * The leader schedule (committee.ts, decision 0101): slots in proportion to power, round-robin
 * when powers are equal, and a run of three honest leaders whenever Byzantine power is below a
 * third, whatever the number of Byzantine members.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import fc from "fast-check";
import { LEADER_SLOTS_MAX, leaderOf, leaderScheduleOf } from "../../src/consensus/index.ts";
import { SignatureAlgorithm } from "../../src/crypto/index.ts";
import type { Validator } from "../../src/ledger/index.ts";

function validatorsOf(powers: readonly number[]): Validator[] {
  return powers.map((power, i) => {
    const address = new Uint8Array(32);
    new DataView(address.buffer).setUint32(0, i);
    return { name: `v${i}`, address, alg: SignatureAlgorithm.mlDsa65, publicKey: new Uint8Array(0), power };
  });
}

function slotCounts(schedule: Uint16Array, n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (const index of schedule) counts[index] = (counts[index] as number) + 1;
  return counts;
}

const gcdOf = (values: readonly number[]): number => values.reduce((g, v) => {
  let [a, b] = [g, v];
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}, 0);

/** The longest run of consecutive slots, around the cycle, none of whose leaders is in `byzantine`. */
function longestHonestRun(schedule: Uint16Array, byzantine: ReadonlySet<number>): number {
  let longest = 0;
  let run = 0;
  // Twice around: a run may wrap from the period's end to its start.
  for (let i = 0; i < 2 * schedule.length; i++) {
    run = byzantine.has(schedule[i % schedule.length] as number) ? 0 : run + 1;
    longest = Math.max(longest, Math.min(run, schedule.length));
  }
  return longest;
}

describe("leader schedule", () => {
  it("is round-robin over the set order when powers are equal", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 2 ** 40 }), (n, power) => {
        const committee = { validators: validatorsOf(new Array<number>(n).fill(power)) };
        for (let view = 0; view < 3 * n; view++) assert.equal(leaderOf(committee, view), view % n);
      }),
    );
  });

  it("gives each validator exactly its power over the powers' gcd in slots, when those sum to at most LEADER_SLOTS_MAX", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 1000 }), (weights, factor) => {
        const schedule = leaderScheduleOf(validatorsOf(weights.map((w) => w * factor)));
        const divisor = gcdOf(weights);
        assert.deepEqual(slotCounts(schedule, weights.length), weights.map((w) => w / divisor));
      }),
    );
  });

  it("is proportional to within one slot per validator when the powers are large, every validator leading some view", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2 ** 40 }), { minLength: 1, maxLength: 200 }), (powers) => {
        const schedule = leaderScheduleOf(validatorsOf(powers));
        const counts = slotCounts(schedule, powers.length);
        const divisor = gcdOf(powers);
        const reduced = powers.map((p) => p / divisor);
        const total = reduced.reduce((a, b) => a + b, 0);
        if (total <= LEADER_SLOTS_MAX) {
          assert.deepEqual(counts, reduced);
          return;
        }
        assert.ok(schedule.length <= LEADER_SLOTS_MAX + powers.length);
        reduced.forEach((weight, i) => {
          const share = (weight * LEADER_SLOTS_MAX) / total;
          const count = counts[i] as number;
          assert.ok(count >= 1 && Math.abs(count - Math.max(1, share)) < 1, `validator ${i}: ${count} slots for a share of ${share}`);
        });
      }),
    );
  });

  it("holds a run of three honest leaders whenever Byzantine power is below a third, however many Byzantine members", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ power: fc.integer({ min: 1, max: 50 }), byzantine: fc.boolean() }), { minLength: 1, maxLength: 40 }),
        (members) => {
          const total = members.reduce((sum, m) => sum + m.power, 0);
          const byzantinePower = members.reduce((sum, m) => sum + (m.byzantine ? m.power : 0), 0);
          fc.pre(3 * byzantinePower < total);
          const schedule = leaderScheduleOf(validatorsOf(members.map((m) => m.power)));
          const byzantine = new Set(members.flatMap((m, i) => (m.byzantine ? [i] : [])));
          assert.ok(longestHonestRun(schedule, byzantine) >= Math.min(3, schedule.length));
        },
      ),
    );
  });

  it("gives Byzantine members a majority of round-robin's views but under a third of the weighted schedule's", () => {
    // Four members of power 1 beside three of power 3: 4 of 13, under a third of the power.
    const powers = [3, 1, 3, 1, 3, 1, 1];
    const byzantine = new Set([1, 3, 5, 6]);
    const schedule = leaderScheduleOf(validatorsOf(powers));
    assert.equal(schedule.length, 13);
    assert.equal([...schedule].filter((index) => byzantine.has(index)).length, 4);
    assert.ok(longestHonestRun(schedule, byzantine) >= 3);
    // Round-robin over the same order would give them 4 of every 7 views and no two honest ones in a row.
    const roundRobin = Uint16Array.from(powers, (_, i) => i);
    assert.equal(longestHonestRun(roundRobin, byzantine), 1);
  });

  it("is the same for equal lists, whichever array holds them", () => {
    const powers = [5, 2, 9, 9, 1];
    assert.deepEqual(leaderScheduleOf(validatorsOf(powers)), leaderScheduleOf(validatorsOf(powers)));
    const schedule = leaderScheduleOf(validatorsOf(powers));
    for (let view = 0; view < 100; view++) assert.equal(leaderOf({ validators: validatorsOf(powers) }, view), schedule[view % schedule.length]);
  });
});
