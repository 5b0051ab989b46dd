import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DandelionRouter, type DandelionAction, type DandelionOptions, type DandelionTx } from "../../src/p2p/dandelion/index.ts";
import { Rng } from "../../src/sim/index.ts";
import { isGhostmeshError } from "../../src/util/index.ts";

class TestClock {
  timeMs = 0;
  nowMs(): number {
    return this.timeMs;
  }
}

function tx(n: number): DandelionTx {
  return { hashHex: n.toString(16).padStart(64, "0"), bytes: new Uint8Array([n & 0xff]) };
}

const PEERS = ["peer-a", "peer-b", "peer-c", "peer-d", "peer-e", "peer-f", "peer-g", "peer-h", "peer-i", "peer-j"];

function createRouter(seed: number, opts: Partial<DandelionOptions> = {}, peers: readonly string[] = PEERS): { router: DandelionRouter; clock: TestClock } {
  const clock = new TestClock();
  const router = new DandelionRouter(opts, { clock, random: new Rng(seed) });
  router.setPeers(peers);
  return { router, clock };
}

/** Forces the mode: 0 bps = always relayer, 10,000 bps = always diffuser. */
const RELAYER = { fluffProbabilityBps: 0 } as const;
const DIFFUSER = { fluffProbabilityBps: 10_000 } as const;

describe("Dandelion++ router", () => {
  it("is deterministic: the same seed and inputs give the same actions; another seed gives other successors", () => {
    const script = (seed: number): { actions: DandelionAction[]; successors: string[][] } => {
      const { router, clock } = createRouter(seed, { epochMs: 1_000 });
      const actions: DandelionAction[] = [];
      const successors: string[][] = [];
      for (let step = 0; step < 40; step++) {
        clock.timeMs = step * 700;
        actions.push(...router.onTick(clock.timeMs));
        actions.push(...router.onLocalTx(tx(step)));
        actions.push(...router.onStemTx(PEERS[step % PEERS.length]!, tx(1_000 + step)));
        successors.push([...router.stats().successors]);
      }
      return { actions, successors };
    };
    assert.deepEqual(script(7), script(7));
    assert.notDeepEqual(script(7).successors, script(8).successors);
  });

  it("never fluffs its own transaction directly, even as a diffuser: it goes on the stem to a successor", () => {
    for (let seed = 0; seed < 100; seed++) {
      for (const mode of [RELAYER, DIFFUSER, {}]) {
        const { router } = createRouter(seed, mode);
        const actions = router.onLocalTx(tx(seed));
        assert.equal(actions.length, 1);
        const [action] = actions;
        assert.ok(action?.type === "sendStem", `seed ${seed}: own tx stemmed, got ${action?.type}`);
        assert.ok(router.stats().successors.includes(action.peer), "to a successor");
      }
    }
  });

  it("sends all of an epoch's own transactions to the same successor", () => {
    const { router } = createRouter(3);
    const peers = new Set([1, 2, 3, 4, 5].flatMap((n) => router.onLocalTx(tx(n)).map((a) => (a.type === "sendStem" ? a.peer : "fluff"))));
    assert.equal(peers.size, 1);
  });

  it("a diffuser fluffs a relayed stem transaction; a relayer forwards it to a successor other than the sender", () => {
    const diffuser = createRouter(1, DIFFUSER).router;
    assert.deepEqual(diffuser.onStemTx("peer-a", tx(1)), [{ type: "fluff", tx: tx(1) }]);
    assert.equal(diffuser.stats().fluffed.mode, 1);
    for (let seed = 0; seed < 50; seed++) {
      const { router } = createRouter(seed, RELAYER);
      const sender = router.stats().successors[0]!;
      const [action] = router.onStemTx(sender, tx(2));
      assert.ok(action?.type === "sendStem" && action.peer !== sender && router.stats().successors.includes(action.peer), `seed ${seed}`);
    }
  });

  it("routes per inbound edge: one inbound peer always maps to one successor, two inbound peers to two different successors", () => {
    for (let seed = 0; seed < 50; seed++) {
      const { router } = createRouter(seed, RELAYER);
      const successors = router.stats().successors;
      const inbound = PEERS.filter((peer) => !successors.includes(peer)).slice(0, 2);
      const targets = inbound.map((from) => new Set([1, 2, 3].map((n) => router.onStemTx(from, tx(100 * n + from.length + inbound.indexOf(from))))
        .map((actions) => (actions[0]?.type === "sendStem" ? actions[0].peer : "fluff"))));
      assert.ok(targets.every((set) => set.size === 1), `seed ${seed}: a fixed route per inbound edge`);
      assert.notEqual([...targets[0]!][0], [...targets[1]!][0], `seed ${seed}: one-to-one`);
    }
  });

  it("fires the embargo: a stem transaction not seen diffused is fluffed by the holder between embargoMsMin and embargoMsMax", () => {
    const deadlines = new Set<number>();
    for (let seed = 0; seed < 30; seed++) {
      const { router, clock } = createRouter(seed, { embargoMsMin: 10_000, embargoMsMax: 30_000 });
      clock.timeMs = 1_000;
      router.onLocalTx(tx(1));
      const deadline = router.nextDeadlineMs();
      assert.ok(deadline >= 11_000 && deadline <= 31_000, `seed ${seed}: deadline ${deadline}`);
      deadlines.add(deadline);
      assert.deepEqual(router.onTick(deadline - 1), []);
      assert.deepEqual(router.onTick(deadline), [{ type: "fluff", tx: tx(1) }]);
      assert.equal(router.stats().fluffed.embargo, 1);
      assert.equal(router.stats().stemTxsHeld, 0);
      assert.deepEqual(router.onTick(40_000), [], "fluffed once");
    }
    assert.ok(deadlines.size > 10, "embargo deadlines are randomised");
  });

  it("seeing the transaction diffused cancels the embargo and later stem copies are ignored", () => {
    const { router } = createRouter(5, RELAYER);
    router.onStemTx("peer-a", tx(9));
    router.onFluffSeen(tx(9).hashHex);
    assert.deepEqual(router.onTick(60_000), []);
    assert.deepEqual(router.onStemTx("peer-b", tx(9)), []);
    assert.deepEqual(router.onLocalTx(tx(9)), []);
  });

  it("fluffs a stem transaction that comes back to it (a loop)", () => {
    const { router } = createRouter(5, RELAYER);
    assert.equal(router.onStemTx("peer-a", tx(4))[0]?.type, "sendStem");
    assert.deepEqual(router.onStemTx("peer-b", tx(4)), [{ type: "fluff", tx: tx(4) }]);
    assert.equal(router.stats().fluffed.loop, 1);
  });

  it("the origin relays its own transaction on when it comes back on the stem, instead of fluffing it", () => {
    const { router } = createRouter(6, DIFFUSER);
    const [first] = router.onLocalTx(tx(5));
    assert.ok(first?.type === "sendStem");
    const [again] = router.onStemTx("peer-z", tx(5));
    assert.ok(again?.type === "sendStem", `re-relayed, got ${again?.type}`);
    assert.equal(router.stats().fluffed.loop, 0);
  });

  it("re-picks mode and successors every epoch, with about q diffuser epochs", () => {
    const { router, clock } = createRouter(11, { epochMs: 1_000 });
    const successorSets = new Set<string>();
    let diffuserEpochs = 0;
    const epochs = 2_000;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      clock.timeMs = epoch * 1_000;
      router.onTick(clock.timeMs);
      const stats = router.stats();
      assert.equal(stats.epoch, epoch + 1);
      assert.equal(stats.successors.length, 2);
      successorSets.add([...stats.successors].sort().join(","));
      if (stats.mode === "fluff") diffuserEpochs += 1;
    }
    assert.ok(successorSets.size >= 40, `successor pairs vary: ${successorSets.size} of 45`);
    assert.ok(diffuserEpochs > 140 && diffuserEpochs < 260, `~10% diffuser epochs: ${diffuserEpochs}/${epochs}`);
  });

  it("draws successors again once twice as many peers are connected as they were picked from (a start), so the first peers up do not relay every stem", () => {
    const { router } = createRouter(3, RELAYER, ["peer-a"]);
    assert.deepEqual([router.stats().epoch, router.stats().successors], [1, ["peer-a"]]);
    router.setPeers(["peer-a", "peer-b"]);
    assert.equal(router.stats().epoch, 2, "twice the peers: a new epoch");
    router.setPeers(["peer-a", "peer-b", "peer-c"]);
    assert.equal(router.stats().epoch, 2, "fewer than twice: successors stay for the epoch");
    router.setPeers(PEERS);
    assert.equal(router.stats().epoch, 3);
    // Many nodes starting while their peers connect one by one: every peer ends up a successor about equally often.
    const timesSuccessor = new Map<string, number>();
    const NODES = 300;
    for (let seed = 0; seed < NODES; seed++) {
      const { router: node } = createRouter(seed, RELAYER, []);
      for (let connected = 1; connected <= PEERS.length; connected++) node.setPeers(PEERS.slice(0, connected));
      for (const peer of node.stats().successors) timesSuccessor.set(peer, (timesSuccessor.get(peer) ?? 0) + 1);
    }
    // Two successors of ten peers: 60 times each on average; the peers connected first were every node's before.
    for (const peer of PEERS) assert.ok((timesSuccessor.get(peer) ?? 0) < 100, `${peer} is a successor of ${timesSuccessor.get(peer)} of ${NODES} nodes`);
  });

  it("replaces a successor that disconnects and reroutes its inbound edges", () => {
    const { router } = createRouter(2, RELAYER);
    const [gone, kept] = router.stats().successors;
    assert.ok(gone !== undefined && kept !== undefined);
    const first = router.onStemTx("peer-x", tx(1))[0];
    assert.ok(first?.type === "sendStem");
    router.setPeers(PEERS.filter((peer) => peer !== gone && peer !== first.peer));
    const successors = router.stats().successors;
    assert.equal(successors.length, 2);
    assert.ok(!successors.includes(gone) && !successors.includes(first.peer));
    const second = router.onStemTx("peer-x", tx(2))[0];
    assert.ok(second?.type === "sendStem" && successors.includes(second.peer));
  });

  it("with no peers holds its own transaction and fluffs it at the embargo", () => {
    const { router } = createRouter(1, {}, []);
    assert.deepEqual(router.onLocalTx(tx(1)), []);
    assert.deepEqual(router.onTick(30_000), [{ type: "fluff", tx: tx(1) }]);
  });

  it("fluffs at once when disabled or when the stem pool is full", () => {
    const disabled = createRouter(1, { enabled: false }).router;
    assert.deepEqual(disabled.onLocalTx(tx(1)), [{ type: "fluff", tx: tx(1) }]);
    const small = createRouter(1, { ...RELAYER, stemTxsMax: 2 }).router;
    small.onLocalTx(tx(1));
    small.onStemTx("peer-a", tx(2));
    assert.deepEqual(small.onStemTx("peer-a", tx(3)), [{ type: "fluff", tx: tx(3) }]);
    assert.equal(small.stats().fluffed.overflow, 1);
  });

  it("refuses options that are not integers in range", () => {
    for (const bad of [{ fluffProbabilityBps: 10_001 }, { fluffProbabilityBps: 0.1 }, { embargoMsMin: 20_000, embargoMsMax: 10_000 }, { epochMs: 0 }]) {
      assert.throws(() => createRouter(1, bad), (err) => isGhostmeshError(err) && err.code === "P2P_DANDELION_INVALID_OPTIONS");
    }
  });
});
