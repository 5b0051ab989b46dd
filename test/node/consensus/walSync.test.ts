/**
 * Consensus steps and the WAL sync thread: a validator writes its vote's safety state, and the
 * vote leaves only once the sync after that write has returned. Validator 2's syncs are held
 * back (the real sync runs once released): the other three commit without it, its store holds
 * the safety state of a vote nobody has seen, and once the syncs return it votes and commits.
 * A lone validator does not use the thread.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { ConsensusStore } from "../../../src/node/consensus/index.ts";
import { commitNext, newAccount, recordVotesFrom, startCluster, waitFor } from "./cluster.ts";

describe("consensus in the node: WAL syncs off the event loop", () => {
  it("a vote leaves only once the sync after its safety state has returned", async () => {
    const cluster = await startCluster(4);
    try {
      const held = cluster.validators[2]!;
      const walSync = held.walSync;
      assert.ok(walSync !== null, "validator 2 syncs its WAL on a thread");
      const sync = walSync.sync.bind(walSync);
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      let syncsHeld = 0;
      walSync.sync = () => {
        syncsHeld++;
        return released.then(sync);
      };
      const votesOf2 = recordVotesFrom(cluster.network, 2);
      const safetyOf2 = new ConsensusStore(held.chain.store);
      const votedViewBefore = safetyOf2.loadSafety()?.lastVotedView ?? 0;

      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      const votedView = await waitFor("validator 2 to write a vote's safety state", () => {
        const view = safetyOf2.loadSafety()?.lastVotedView ?? 0;
        return view > votedViewBefore ? view : undefined;
      }, 20_000);
      assert.ok(syncsHeld >= 1, "its steps asked for syncs");
      assert.equal(votesOf2.length, 0, `validator 2 wrote its vote for view ${votedView} but sent no vote while its sync was held`);
      assert.equal(held.chain.head.height, 0, "nor did it commit");

      release();
      await waitFor("validator 2 to vote and commit once its syncs return", () => (votesOf2.some((vote) => vote.view === votedView) && held.chain.head.height >= 1 ? true : undefined), 20_000);
      assert.ok(walSync.threadSyncs >= 1);
    } finally {
      await cluster.close();
    }
  });

  it("a lone validator fsyncs inside COMMIT: its blocks carry only its own QC", async () => {
    const cluster = await startCluster(1);
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      const { walSync } = cluster.validators[0]!;
      assert.ok(walSync !== null);
      assert.equal(walSync.threadSyncs, 0);
    } finally {
      await cluster.close();
    }
  });
});
