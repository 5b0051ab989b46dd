/**
 * A stopped validator's views: the others know its link is down, so they time those views out
 * at once instead of waiting for the view timer (host.ts leaderKnownDown). The timer here is two
 * minutes: a view that waited for it would fail every commit below (each waits 30 s at most).
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { leaderOf, type ConsensusTiming } from "../../../src/consensus/index.ts";
import { InMemoryNetwork } from "../../../src/node/consensus/index.ts";
import { commitNext, newAccount, startCluster, waitFor, type Cluster } from "./cluster.ts";

const LONG_TIMING: ConsensusTiming = { viewTimeoutBaseMs: 120_000, backoffPercent: 200, backoffExponentMax: 2 };
const STOPPED = 3;

async function leaderDownTimeouts(cluster: Cluster, index: number): Promise<number> {
  const metrics = await (await fetch(`${cluster.validators[index]!.api.url}/metrics`)).text();
  const match = /^ghostmesh_consensus_leader_down_timeouts_total (\d+)$/m.exec(metrics);
  assert.ok(match !== null, "the counter is on /metrics");
  return Number(match[1]);
}

/** Views in (from, to] that validator `index` of the genesis set leads. */
function viewsLedBy(cluster: Cluster, index: number, from: number, to: number): number {
  const { validators } = cluster.homes.genesis;
  let led = 0;
  for (let view = from + 1; view <= to; view++) if (leaderOf({ validators }, view) === index) led++;
  return led;
}

describe("consensus in the node: a stopped leader's views", () => {
  it("end without the view timer, whether the chain was busy or idle when they began, and get their proposals again once it is back", async () => {
    const cluster = await startCluster(4, { timing: LONG_TIMING });
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      await cluster.stop(STOPPED);
      const viewBefore = cluster.validators[0]!.host.stats()!.view;
      // One at a time: between commits the chain is idle, so some of the stopped validator's views
      // begin idle and end when the next transaction arrives (by the API or by gossip).
      for (let i = 0; i < 12; i++) await commitNext(cluster, account, { type: "audit.append", record: { action: "down", data: { i } } }, i % 3);
      const viewAfter = cluster.validators[0]!.host.stats()!.view;
      assert.ok(viewsLedBy(cluster, STOPPED, viewBefore, viewAfter) >= 2, `views ${viewBefore}..${viewAfter} include the stopped validator's`);
      for (const index of [0, 1, 2]) assert.ok((await leaderDownTimeouts(cluster, index)) >= 1, `validator ${index} timed a view out at once`);

      await cluster.start(STOPPED);
      const height = cluster.validators[0]!.chain.head.height;
      await waitFor("the restarted validator to catch up", () => (cluster.validators[STOPPED]!.chain.head.height >= height ? true : undefined), 20_000);
      const counted = await Promise.all([0, 1, 2].map((index) => leaderDownTimeouts(cluster, index)));
      const viewBack = cluster.validators[0]!.host.stats()!.view;
      for (let i = 0; i < 12; i++) await commitNext(cluster, account, { type: "audit.append", record: { action: "back", data: { i } } }, i % 4);
      const viewLater = cluster.validators[0]!.host.stats()!.view;
      assert.ok(viewsLedBy(cluster, STOPPED, viewBack, viewLater) >= 2, `views ${viewBack}..${viewLater} include the restarted validator's`);
      assert.deepEqual(await Promise.all([0, 1, 2].map((index) => leaderDownTimeouts(cluster, index))), counted, "no view timed out at once while it runs");
    } finally {
      await cluster.close();
    }
  });
});

describe("InMemoryNetwork.isKnownDown", () => {
  it("holds only for a slot attached once and detached since", () => {
    const network = new InMemoryNetwork(3);
    assert.equal(network.isKnownDown(1), false, "never attached: unknown, not down");
    const endpoint = network.attach(1, new Uint8Array(20).fill(1), () => {});
    assert.equal(network.isKnownDown(1), false);
    endpoint.close();
    assert.equal(network.isKnownDown(1), true);
    network.attach(1, new Uint8Array(20).fill(1), () => {});
    assert.equal(network.isKnownDown(1), false, "back");
  });
});
