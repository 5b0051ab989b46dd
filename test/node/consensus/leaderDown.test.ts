/**
 * A leader that will not propose: the others time its views out at once instead of waiting for
 * the view timer (host.ts leaderAbsence). Stopped, its link is down (InMemoryNetwork.isKnownDown);
 * attached but silent (a hung process), nothing in its name arrives for many views.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { leaderOf, silentLeaderViews, type ConsensusTiming } from "../../../src/consensus/index.ts";
import { InMemoryNetwork, type AbsentLeaderCause } from "../../../src/node/consensus/index.ts";
import { metricSum, metricsText } from "../../../bench/lib/metrics.ts";
import { commitNext, newAccount, startCluster, waitFor, type Account, type Cluster } from "./cluster.ts";

/** Two minutes: a view that waited for it would fail the commit waiting in it (30 s at most). */
const LONG_TIMING: ConsensusTiming = { viewTimeoutBaseMs: 120_000, backoffPercent: 200, backoffExponentMax: 2 };
const ABSENT = 3;
const LIVE = [0, 1, 2];

/** 0 until the first such view: a labelled counter has no series before it counts. */
async function absentLeaderTimeouts(cluster: Cluster, index: number, cause: AbsentLeaderCause): Promise<number> {
  return metricSum(await metricsText(cluster.validators[index]!.api.url), "ghostmesh_consensus_absent_leader_timeouts_total", `cause="${cause}"`);
}

function countsOf(cluster: Cluster, cause: AbsentLeaderCause): Promise<number[]> {
  return Promise.all(LIVE.map((index) => absentLeaderTimeouts(cluster, index, cause)));
}

/** Views in (from, to] that validator `index` of the genesis set leads. */
function viewsLedBy(cluster: Cluster, index: number, from: number, to: number): number {
  const { validators } = cluster.homes.genesis;
  let led = 0;
  for (let view = from + 1; view <= to; view++) if (leaderOf({ validators }, view) === index) led++;
  return led;
}

const viewOf = (cluster: Cluster): number => cluster.validators[0]!.host.stats()!.view;

/** Commits `count` audit entries one at a time, through the live validators in turn; returns the views they spanned. */
async function commitOneByOne(cluster: Cluster, account: Account, action: string, count: number): Promise<{ from: number; to: number }> {
  const from = viewOf(cluster);
  for (let i = 0; i < count; i++) await commitNext(cluster, account, { type: "audit.append", record: { action, data: { i } } }, LIVE[i % LIVE.length]);
  return { from, to: viewOf(cluster) };
}

/** Starts the absent validator again, waits until it has caught up, and shows that its views are no longer timed out at once. */
async function showBack(cluster: Cluster, account: Account): Promise<void> {
  await cluster.start(ABSENT);
  const height = cluster.validators[0]!.chain.head.height;
  await waitFor("the restarted validator to catch up", () => (cluster.validators[ABSENT]!.chain.head.height >= height ? true : undefined), 20_000);
  const counted = await Promise.all([countsOf(cluster, "disconnected"), countsOf(cluster, "silent")]);
  const back = await commitOneByOne(cluster, account, "back", 12);
  assert.ok(viewsLedBy(cluster, ABSENT, back.from, back.to) >= 2, `views ${back.from}..${back.to} include the restarted validator's`);
  assert.deepEqual(await Promise.all([countsOf(cluster, "disconnected"), countsOf(cluster, "silent")]), counted, "no view timed out at once while it runs");
}

describe("consensus in the node: a leader that will not propose", () => {
  it("stopped: its views end without the view timer, whether the chain was busy or idle when they began, and get their proposals again once it is back", async () => {
    const cluster = await startCluster(4, { timing: LONG_TIMING, start: [1, 2, 3] });
    const logged: string[] = [];
    await cluster.start(0, { logged, loggedLevel: "info" });
    // What validator 0 said about the absent validator, in order: each change once, not each view.
    const changes = () =>
      logged
        .map((line) => JSON.parse(line) as { leader?: number; msg: string })
        .filter((line) => line.leader === ABSENT)
        .map((line) => (line.msg.startsWith("A leader is down") ? "down" : line.msg.startsWith("A leader is back") ? "back" : line.msg.startsWith("A leader is silent") ? "silent" : line.msg));
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      await cluster.stop(ABSENT);
      // One at a time: between commits the chain is idle, so some of the stopped validator's views
      // begin idle and end when the next transaction arrives (by the API or by gossip).
      const down = await commitOneByOne(cluster, account, "down", 12);
      assert.ok(viewsLedBy(cluster, ABSENT, down.from, down.to) >= 2, `views ${down.from}..${down.to} include the stopped validator's`);
      for (const [i, count] of (await countsOf(cluster, "disconnected")).entries()) assert.ok(count >= 1, `validator ${LIVE[i]} timed a view out at once`);
      assert.deepEqual(changes(), ["down"], "one warning for the change, not one per view");
      await showBack(cluster, account);
      // Present again since its restart, so stopping it again is a change again.
      await cluster.stop(ABSENT);
      await commitOneByOne(cluster, account, "down again", 6);
      // Restarted, it may lead a view before its first message arrives (silent until heard).
      const said = changes().filter((change) => change !== "silent");
      assert.deepEqual(said, ["down", "back", "down"], JSON.stringify(changes()));
    } finally {
      await cluster.close();
    }
  });

  it(`silent though attached: after ${silentLeaderViews(4)} views without a word from it, its views end at once; once it speaks again they wait for its proposals`, async () => {
    const cluster = await startCluster(4);
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      await cluster.stop(ABSENT);
      // Its slot comes back at once, taking every frame and sending none: never known down.
      const hung = cluster.network.attach(ABSENT, cluster.network.addressOf(ABSENT)!, () => {});
      assert.equal(cluster.network.isKnownDown(ABSENT), false);
      const silent = await commitOneByOne(cluster, account, "silent", 16);
      assert.ok(viewsLedBy(cluster, ABSENT, silent.from + silentLeaderViews(4), silent.to) >= 2, `views ${silent.from}..${silent.to} include the silent validator's, well after it fell silent`);
      for (const [i, count] of (await countsOf(cluster, "silent")).entries()) assert.ok(count >= 1, `validator ${LIVE[i]} timed a silent leader's view out at once`);
      assert.deepEqual(await countsOf(cluster, "disconnected"), [0, 0, 0], "never known down");
      hung.close();
      await showBack(cluster, account);
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
