/**
 * Faults in a four-validator network in one process: a validator stopped and restarted from
 * its home (store and persisted safety state) catches up and never votes twice in a view;
 * a transaction only one validator held, even inside its own proposal, commits once its peers
 * are back; with one validator silent the other three still commit.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { decodeConsensusMessage, leaderOf } from "../../../src/consensus/index.ts";
import { decodeStoredHeader } from "../../../src/ledger/index.ts";
import { NetworkTopic } from "../../../src/node/consensus/index.ts";
import { wipeChainData } from "../../e2e/cluster.ts";
import { toHex } from "../../../src/util/index.ts";
import { blockHashes, commitNext, newAccount, recordSignedFrom, recordVotesFrom, settledValue, signNext, startCluster, waitFor, waitForCommitAt, type Account, type Cluster } from "./cluster.ts";

/** `bursts` rounds; each submits one transaction through every validator in `via` at once and waits for all to commit. */
async function commitAppends(cluster: Cluster, account: Account, via: readonly number[], bursts: number): Promise<void> {
  for (let burst = 0; burst < bursts; burst++) {
    const txs = via.map((index) => ({ index, tx: signNext(account, { type: "audit.append", record: { action: "step", data: { burst, index } } }) }));
    const responses = await Promise.all(txs.map(({ index, tx }) => cluster.client(index).submitTx(tx.bytes, { wait: true, timeoutMs: 20_000 })));
    for (const response of responses) assert.equal(response.status, "committed");
  }
}

/** Validator `index`'s view once it has not moved for `quietMs` (the chain is idle). */
function settledView(cluster: Cluster, index: number, quietMs: number): Promise<number> {
  return settledValue(`validator ${index}'s view`, () => cluster.validators[index]!.host.stats()?.view ?? -1, quietMs);
}

async function waitForSameChain(cluster: Cluster, indices: readonly number[]): Promise<number> {
  return waitFor("the validators to hold the same chain", () => {
    const validators = indices.map((i) => cluster.validators[i]!);
    const height = validators[0]!.chain.head.height;
    if (!validators.every((v) => v.chain.head.height === height)) return undefined;
    const reference = blockHashes(validators[0]!, height).join();
    return validators.every((v) => blockHashes(v, height).join() === reference) ? height : undefined;
  }, 20_000);
}

describe("consensus in the node: faults", () => {
  it("a validator stopped and restarted from its store catches up and never votes twice in one view", async () => {
    const cluster = await startCluster(4);
    const votesOf3 = recordVotesFrom(cluster.network, 3);
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      await commitAppends(cluster, account, [0, 1, 2, 3], 1);
      await waitForSameChain(cluster, [0, 1, 2, 3]);
      const votesBefore = votesOf3.length;
      assert.ok(votesBefore > 0, "validator 3 voted before it stopped");
      // Its view may run ahead of its last vote (QCs it formed from broadcast votes are not
      // persisted); the safety state it restarts from holds its last vote's view.
      const lastVotedBefore = votesOf3[votesBefore - 1]!.view;

      await cluster.stop(3);
      await commitAppends(cluster, account, [0, 1, 2], 2);
      const heightWhileDown = cluster.validators[0]!.chain.head.height;

      const restarted = await cluster.start(3);
      assert.ok(restarted.host.stats()!.view >= lastVotedBefore, "the restarted engine resumes at or after its persisted view");
      // Until validator 3 has caught up, the other three certify without it: give it rounds to vote in.
      let rounds = 0;
      do {
        await commitAppends(cluster, account, [3, 0, 1, 2], 1);
        rounds++;
      } while (votesOf3.length === votesBefore && rounds < 5);
      const height = await waitForSameChain(cluster, [0, 1, 2, 3]);
      assert.ok(height > heightWhileDown, `validator 3 reached ${height}, beyond ${heightWhileDown}`);
      assert.equal(restarted.chain.head.logSize, 1 + 4 + 2 * 3 + 4 * rounds);

      // Safety across the restart: each vote is for a later view than every vote before it.
      assert.ok(votesOf3.length > votesBefore, "validator 3 voted again after its restart");
      for (let i = 1; i < votesOf3.length; i++) {
        assert.ok(votesOf3[i]!.view > votesOf3[i - 1]!.view, `vote ${i} for view ${votesOf3[i]!.view} after a vote for view ${votesOf3[i - 1]!.view}`);
      }
    } finally {
      await cluster.close();
    }
  });

  it("a validator whose data was wiped signs no second proposal or vote in a view it signed in before", async () => {
    // Empty blocks make a validator restarted at genesis propose at once in view 1 if it leads
    // it (as under load); inline signing sends that proposal before any peer's view reaches it.
    const cluster = await startCluster(4, { emptyIntervalMs: 200, signing: "inline", signingReservationViews: 8 });
    const leader = leaderOf(cluster.homes.genesis, 1);
    const signed = recordSignedFrom(cluster.network, leader);
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      await commitAppends(cluster, account, [0, 1, 2, 3], 1);
      assert.equal(signed.proposals[0]?.view, 1, `validator ${leader} proposed block 1 in view 1`);
      const signedBefore = { votes: signed.votes.length, proposals: signed.proposals.length };

      await cluster.stop(leader);
      wipeChainData(cluster.homes.homes[leader]!);
      const restarted = await cluster.start(leader);
      const others = [0, 1, 2, 3].filter((i) => i !== leader);
      // Commits go on (with it or without it) until its views pass the reservation and it votes again.
      let rounds = 0;
      do {
        await commitAppends(cluster, account, others, 1);
        rounds++;
      } while (signed.votes.length === signedBefore.votes && rounds < 40);
      assert.ok(signed.votes.length > signedBefore.votes, `validator ${leader} voted again after its wipe`);
      await waitForSameChain(cluster, [0, 1, 2, 3]);
      assert.ok(restarted.chain.head.height > 4, "the wiped validator caught up");

      for (const [kind, records] of Object.entries(signed)) {
        for (let i = 1; i < records.length; i++) {
          assert.ok(records[i]!.view > records[i - 1]!.view, `${kind} ${i} for view ${records[i]!.view} after one for view ${records[i - 1]!.view}`);
        }
      }
    } finally {
      await cluster.close();
    }
  });

  it("a committee whose data was all wiped (their signing reservations kept) starts its chain again", async () => {
    const cluster = await startCluster(4, { signingReservationViews: 16 });
    try {
      const first = newAccount();
      await commitNext(cluster, first, { type: "account.register" });
      await commitAppends(cluster, first, [0, 1, 2, 3], 2);
      const reservedBefore = cluster.validators.map((v) => v!.host.stats()!.view);
      for (const index of [0, 1, 2, 3]) await cluster.stop(index);
      for (const home of cluster.homes.homes) wipeChainData(home);
      for (const index of [0, 1, 2, 3]) await cluster.start(index);
      // Every validator refuses to vote or propose up to its reservation; their timeouts carry
      // the views past it, and the chain grows from genesis again.
      const second = newAccount();
      await commitNext(cluster, second, { type: "account.register" });
      await waitForSameChain(cluster, [0, 1, 2, 3]);
      for (const [index, validator] of cluster.validators.entries()) {
        assert.ok(validator!.host.stats()!.view > reservedBefore[index]!, `validator ${index} now signs past the views it reached before the wipe`);
        assert.ok(validator!.chain.head.height >= 1 && validator!.chain.head.logSize <= 2, "a new chain: the second account's registration, not the first chain's entries");
      }
    } finally {
      await cluster.close();
    }
  });

  it("a transaction only one validator received (its peers were down) still commits once they are back", async () => {
    const cluster = await startCluster(4);
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      for (const index of [1, 2, 3]) await cluster.stop(index);
      // Admitted by validator 0 alone: the gossip to its stopped peers is lost.
      const lonely = signNext(account, { type: "audit.append", record: { action: "lonely" } });
      assert.equal((await cluster.client(0).submitTx(lonely.bytes)).status, "pending");
      for (const index of [1, 2, 3]) await cluster.start(index);
      await waitForCommitAt(cluster, lonely.hash, [0, 1, 2, 3]);
    } finally {
      await cluster.close();
    }
  });

  it("a transaction whose origin went down after it reached one validator alone still commits: a stall resends the whole pool", async () => {
    const cluster = await startCluster(4, { regossipAllIntervalMs: 1_000 });
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      for (const index of [2, 3]) await cluster.stop(index);
      // Admitted by validator 0, gossiped to validator 1 alone; then validator 0 goes down.
      const orphan = signNext(account, { type: "audit.append", record: { action: "orphan" } });
      assert.equal((await cluster.client(0).submitTx(orphan.bytes)).status, "pending");
      await waitFor("validator 1 to hold the transaction", async () => ((await cluster.client(1).tx(orphan.hash).catch(() => null))?.status === "pending" ? true : undefined), 10_000);
      await cluster.stop(0);
      // Validators 1-3 form a quorum; only 1 holds the transaction, and none of them submitted it.
      for (const index of [2, 3]) await cluster.start(index);
      await waitForCommitAt(cluster, orphan.hash, [1, 2, 3]);
    } finally {
      await cluster.close();
    }
  });

  it("a transaction its leader proposed while its peers were down still commits once they are back", async () => {
    const cluster = await startCluster(4);
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      // Commit until the idle chain rests in a view validator 0 leads: it then proposes as
      // soon as it admits a transaction.
      let view = await settledView(cluster, 0, 400);
      for (let round = 0; leaderOf(cluster.homes.genesis, view) !== 0; round++) {
        assert.ok(round < 20, "the idle chain came to rest in a view validator 0 leads");
        await commitNext(cluster, account, { type: "audit.append", record: { action: "step", data: { round } } });
        view = await settledView(cluster, 0, 400);
      }
      for (const index of [1, 2, 3]) await cluster.stop(index);
      const proposedViews: number[] = [];
      cluster.network.observe((from, _to, frame) => {
        if (from !== 0 || frame.topic !== NetworkTopic.consensus) return;
        const message = decodeConsensusMessage(frame.bytes);
        if (message.type === "proposal") proposedViews.push(message.block.header.view);
      });
      // Admitted by validator 0 alone, and proposed by it in a view no peer takes part in.
      const lonely = signNext(account, { type: "audit.append", record: { action: "lonely" } });
      assert.equal((await cluster.client(0).submitTx(lonely.bytes)).status, "pending");
      await waitFor("validator 0 to propose the transaction", () => (proposedViews.includes(view) ? true : undefined), 10_000);
      for (const index of [1, 2, 3]) await cluster.start(index);
      await waitForCommitAt(cluster, lonely.hash, [0, 1, 2, 3]);
    } finally {
      await cluster.close();
    }
  });

  it("with one of four validators silent, the other three still commit and agree", async () => {
    const cluster = await startCluster(4, { start: [0, 1, 2] });
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" }, 1);
      // Enough rounds that the silent validator's turns as leader come up (views rotate over 4).
      await commitAppends(cluster, account, [0, 1, 2], 3);
      const height = await waitForSameChain(cluster, [0, 1, 2]);
      assert.equal(cluster.validators[0]!.chain.head.logSize, 1 + 3 * 3);
      // Every committed block was proposed by a live validator, and the views passed the silent one's turns.
      const live = new Set([0, 1, 2].map((i) => toHex(cluster.homes.genesis.validators[i]!.address)));
      const views: number[] = [];
      for (let h = 1; h <= height; h++) {
        const header = decodeStoredHeader(cluster.validators[0]!.chain.store.getBlock(h)!.header, h);
        assert.ok(live.has(toHex(header.proposer)), `block ${h} proposed by the silent validator`);
        views.push(header.view);
      }
      const silentTurns = Array.from({ length: views[views.length - 1]! }, (_, i) => i + 1).filter((view) => view % 4 === 3);
      assert.ok(silentTurns.length >= 2, `views reached ${views[views.length - 1]}, passing the silent leader's turns ${silentTurns.join(", ")}`);
    } finally {
      await cluster.close();
    }
  });
});
