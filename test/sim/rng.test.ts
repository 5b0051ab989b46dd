import { test } from "node:test";
import assert from "node:assert/strict";
import { EventQueue, PPM, Rng } from "../../src/sim/index.ts";

function take(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.nextUint32());
}

test("rng: one seed gives one sequence; another seed another", () => {
  assert.deepEqual(take(new Rng(42), 100), take(new Rng(42), 100));
  assert.notDeepEqual(take(new Rng(42), 100), take(new Rng(43), 100));
  assert.ok(take(new Rng(0), 100).every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff), "uint32 outputs, even for seed 0");
});

test("rng: below(n) stays in [0, n) and reaches every value", () => {
  const rng = new Rng(7);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const x = rng.below(10);
    assert.ok(x >= 0 && x < 10);
    seen.add(x);
  }
  assert.equal(seen.size, 10);
  assert.throws(() => rng.below(0), /bound/);
});

test("rng: chance is never for 0 ppm, always for 1,000,000 ppm, and near its rate between", () => {
  const rng = new Rng(9);
  let hits = 0;
  for (let i = 0; i < 10_000; i++) {
    assert.equal(rng.chance(0), false);
    assert.equal(rng.chance(PPM), true);
    if (rng.chance(100_000)) hits++;
  }
  assert.ok(hits > 800 && hits < 1200, `10% of 10,000 draws, got ${hits}`);
});

test("rng: shuffle returns a permutation", () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const shuffled = new Rng(3).shuffle(items);
  assert.notDeepEqual(shuffled, items);
  assert.deepEqual([...shuffled].sort((a, b) => a - b), items);
});

test("event queue: events pop by time, simultaneous events in insertion order", () => {
  const queue = new EventQueue<string>();
  const rng = new Rng(11);
  const pushed: { t: number; e: string }[] = [];
  for (let i = 0; i < 500; i++) {
    const t = rng.below(50);
    queue.push(t, `e${i}`);
    pushed.push({ t, e: `e${i}` });
  }
  const expected = pushed.map((p, i) => ({ ...p, i })).sort((a, b) => a.t - b.t || a.i - b.i).map((p) => p.e);
  const popped: string[] = [];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) popped.push(next.event);
  assert.deepEqual(popped, expected);
});
