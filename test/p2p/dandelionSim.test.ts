import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DandelionRouter, type DandelionAction, type DandelionTx } from "../../src/p2p/dandelion/index.ts";
import { Rng } from "../../src/sim/index.ts";

/**
 * A small network of routers on one simulated clock: stem messages take 50..500 ms and are
 * dropped with probability dropPpm (a lossy link or a black-hole peer); a fluff reaches every
 * node by gossip 100 ms later. Each node ticks every 250 ms.
 */
type Scenario = { seed: number; nodeCount: number; extraEdges: [number, number][]; dropPpm: number; txs: { origin: number; atMs: number }[] };
type SimEvent = { atMs: number; order: number; run: () => void };

/** Short embargoes relative to hops (1-3 s vs 50-500 ms) so the fail-safe fires often. */
const FAST_EMBARGO = { epochMs: 4_000, embargoMsMin: 1_000, embargoMsMax: 3_000 } as const;
/** The defaults' proportions: embargoes far longer than a stem. */
const REALISTIC_EMBARGO = { epochMs: 600_000, embargoMsMin: 10_000, embargoMsMax: 30_000 } as const;
type EmbargoOptions = { epochMs: number; embargoMsMin: number; embargoMsMax: number };
const TICK_MS = 250;

function runScenario(scenario: Scenario, options: EmbargoOptions = FAST_EMBARGO): { fluffedBy: Map<string, number[]>; stemHops: number } {
  const rng = new Rng(scenario.seed);
  let timeMs = 0;
  let order = 0;
  const events: SimEvent[] = [];
  const schedule = (atMs: number, run: () => void): void => {
    events.push({ atMs, order: order++, run });
  };
  const clock = { nowMs: () => timeMs };
  const names = Array.from({ length: scenario.nodeCount }, (_, i) => `node-${i}`);
  const routers = names.map((_, i) => new DandelionRouter(options, { clock, random: new Rng((scenario.seed + 1_000 * (i + 1)) >>> 0) }));
  // A ring keeps the graph connected; extra edges make it irregular.
  const neighbours = names.map((_, i) => new Set([names[(i + 1) % names.length]!, names[(i + names.length - 1) % names.length]!]));
  for (const [a, b] of scenario.extraEdges) {
    if (a % names.length === b % names.length) continue;
    neighbours[a % names.length]!.add(names[b % names.length]!);
    neighbours[b % names.length]!.add(names[a % names.length]!);
  }
  routers.forEach((router, i) => router.setPeers([...neighbours[i]!].filter((peer) => peer !== names[i])));
  const fluffedBy = new Map<string, number[]>();
  let stemHops = 0;
  const perform = (from: number, actions: DandelionAction[]): void => {
    for (const action of actions) {
      if (action.type === "fluff") {
        fluffedBy.set(action.tx.hashHex, [...(fluffedBy.get(action.tx.hashHex) ?? []), from]);
        schedule(timeMs + 100, () => routers.forEach((router) => router.onFluffSeen(action.tx.hashHex)));
      } else {
        stemHops += 1;
        const to = names.indexOf(action.peer);
        assert.ok(to >= 0 && neighbours[from]!.has(action.peer), "stems go to a neighbour");
        if (rng.below(1_000_000) < scenario.dropPpm) continue;
        schedule(timeMs + rng.between(50, 500), () => perform(to, routers[to]!.onStemTx(names[from]!, action.tx)));
      }
    }
  };
  scenario.txs.forEach(({ origin, atMs }, i) => {
    const tx: DandelionTx = { hashHex: i.toString(16).padStart(64, "0"), bytes: new Uint8Array([i]) };
    schedule(atMs, () => perform(origin % names.length, routers[origin % names.length]!.onLocalTx(tx)));
  });
  const endMs = Math.max(...scenario.txs.map((t) => t.atMs)) + 20 * (options.embargoMsMax + 500);
  for (let atMs = TICK_MS; atMs <= endMs; atMs += TICK_MS) schedule(atMs, () => routers.forEach((router, i) => perform(i, router.onTick(timeMs))));
  while (events.length > 0) {
    events.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
    const next = events.shift()!;
    timeMs = next.atMs;
    next.run();
  }
  return { fluffedBy, stemHops };
}

const scenarioArbitrary = fc.record({
  seed: fc.integer({ min: 0, max: 0xffff_ffff }),
  nodeCount: fc.integer({ min: 3, max: 10 }),
  extraEdges: fc.array(fc.tuple(fc.nat(20), fc.nat(20)), { maxLength: 12 }),
  dropPpm: fc.oneof(fc.constant(0), fc.constant(1_000_000), fc.integer({ min: 0, max: 1_000_000 })),
  txs: fc.array(fc.record({ origin: fc.nat(20), atMs: fc.integer({ min: 0, max: 8_000 }) }), { minLength: 1, maxLength: 5 }),
});

describe("Dandelion++ in a simulated network", () => {
  it("every transaction is eventually fluffed by someone, whatever fraction of stem messages is dropped (fail-safe)", () => {
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        const { fluffedBy } = runScenario(scenario);
        for (let i = 0; i < scenario.txs.length; i++) {
          const hashHex = i.toString(16).padStart(64, "0");
          assert.ok((fluffedBy.get(hashHex)?.length ?? 0) >= 1, `tx ${i} was fluffed (seed ${scenario.seed})`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("without drops the stem carries a transaction away from its origin before it is fluffed", () => {
    let awayFromOrigin = 0;
    const runs = 40;
    for (let seed = 1; seed <= runs; seed++) {
      const { fluffedBy, stemHops } = runScenario({ seed, nodeCount: 8, extraEdges: [[0, 4], [1, 5], [2, 6], [3, 7]], dropPpm: 0, txs: [{ origin: 0, atMs: 0 }] }, REALISTIC_EMBARGO);
      const fluffers = fluffedBy.get("0".repeat(64)) ?? [];
      assert.ok(fluffers.length >= 1 && stemHops >= 1, `seed ${seed}: stemmed at least once, then fluffed`);
      if (fluffers[0] !== 0) awayFromOrigin += 1;
    }
    // With embargoes far longer than the stem, the first fluff is always some other node's.
    assert.equal(awayFromOrigin, runs, `first fluff away from the origin in ${awayFromOrigin}/${runs} runs`);
  });
});
