/**
 * A validator's key signing somewhere else (a second process with a copy of the home, or a
 * former self of a restored home), in a four-validator network in one process. The other
 * signer is played by an extra network slot that sends messages signed with validator 1's key.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { encodeConsensusMessage, voteMessage, type VoteMessage } from "../../../src/consensus/index.ts";
import { encodeAmount } from "../../../src/app/index.ts";
import { addressFromPublicKey, formatAddress, sign } from "../../../src/crypto/index.ts";
import { SIGNED_ELSEWHERE_QUARANTINE_VIEWS } from "../../../src/consensus/ownSignatures.ts";
import { NetworkTopic } from "../../../src/node/consensus/index.ts";
import { consensusRootOf } from "../../../src/node/consensus/committedBlocks.ts";
import { SIGNING_RESERVATION_FILE } from "../../../src/node/home.ts";
import { metricsText } from "../../../bench/lib/metrics.ts";
import { CHAIN_ID, commitNext, newAccount, posGenesisExtras, recordSignedFrom, startCluster, waitFor, type Account, type Cluster } from "./cluster.ts";

const OTHER_SIGNER_SLOT = 4;

/** A vote by validator 1's key that validator 1 did not make, sent to it from the extra slot: by default for a block it does not know. */
function sendVoteOfValidator1(cluster: Cluster, view: number, block?: { readonly hash: Uint8Array; readonly height: number }): void {
  const validator = cluster.validators[1]!;
  const blockHash = block?.hash ?? new Uint8Array(32).fill(0x5a);
  const height = block?.height ?? validator.chain.head.height + 1;
  const signature = sign(cluster.keys[1]!, voteMessage(CHAIN_ID, view, height, blockHash));
  const vote: VoteMessage = { type: "vote", epoch: validator.host.epoch!.label, view, height, blockHash, sender: 1, signature };
  const endpoint = cluster.network.attach(OTHER_SIGNER_SLOT, new Uint8Array(20).fill(0xee), () => {});
  endpoint.send(1, { topic: NetworkTopic.consensus, bytes: encodeConsensusMessage(vote) });
  endpoint.close();
}

/** Waits for a vote of validator 1, sends one of its key beside it, and waits for validator 1 to stop signing; returns that vote's view. */
async function stopValidator1(cluster: Cluster, signedBy1: ReturnType<typeof recordSignedFrom>): Promise<number> {
  const lastVote = await waitFor("a vote of validator 1", () => signedBy1.votes.at(-1), 10_000);
  sendVoteOfValidator1(cluster, lastVote.view);
  await waitFor("validator 1 to stop signing", () => (cluster.validators[1]!.host.stats()?.signingStopped === true ? true : undefined), 10_000);
  return lastVote.view;
}

/** Commits audit entries, sent to validators 0 and 2 in turn, until `done` holds. */
async function appendUntil(cluster: Cluster, account: Account, what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  let appends = 0;
  await waitFor(
    what,
    async () => {
      await commitNext(cluster, account, { type: "audit.append", record: { action: "step", data: { appends } } }, appends++ % 2 === 0 ? 0 : 2);
      return done() ? true : undefined;
    },
    timeoutMs,
  );
}

/** Waits until validator 1 (its running process) holds every block validator 0 holds now. */
async function validator1Follows(cluster: Cluster): Promise<void> {
  const height = cluster.validators[0]!.chain.head.height;
  await waitFor("validator 1 to follow the chain", () => (cluster.validators[1]!.chain.head.height >= height ? true : undefined), 10_000);
}

function metricsOf(cluster: Cluster, index: number): Promise<string> {
  return metricsText(cluster.validators[index]!.api.url);
}

describe("consensus in the node: this validator's key signing elsewhere", () => {
  it("a signature beside its own stops the validator's signing; it follows the chain the others commit", async () => {
    const cluster = await startCluster(4, { extraNodes: 1, start: [0, 1, 2, 3] });
    const signedBy1 = recordSignedFrom(cluster.network, 1);
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      await commitNext(cluster, account, { type: "audit.append", record: { action: "before", data: {} } }, 1);
      await stopValidator1(cluster, signedBy1);
      const viewAtStop = cluster.validators[1]!.host.stats()!.view;

      for (let i = 0; i < 4; i++) await commitNext(cluster, account, { type: "audit.append", record: { action: "after", data: { i } } }, i % 2 === 0 ? 0 : 2);
      await validator1Follows(cluster);
      const signedLater = [...signedBy1.votes, ...signedBy1.proposals].filter((s) => s.view > viewAtStop);
      assert.deepEqual(signedLater, [], "nothing signed by validator 1 in a view after it stopped");
      const metrics = await metricsOf(cluster, 1);
      assert.match(metrics, /^ghostmesh_consensus_signing_stopped 1$/m);
      assert.match(metrics, /^ghostmesh_consensus_signed_elsewhere_total 1$/m);
    } finally {
      await cluster.close();
    }
  });

  it("the stop outlasts a re-sync and a restart; a start with resumeSigning clears it and the validator votes again", async () => {
    const cluster = await startCluster(4, { extraNodes: 1, start: [0, 1, 2, 3] });
    const signedBy1 = recordSignedFrom(cluster.network, 1);
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      const stoppedAtView = await stopValidator1(cluster, signedBy1);
      const recorded = () => (JSON.parse(readFileSync(join(cluster.homes.homes[1]!.home, SIGNING_RESERVATION_FILE), "utf8")) as { signingStoppedAtView?: number }).signingStoppedAtView;
      await waitFor("the stop to be recorded beside the key", () => (recorded() === stoppedAtView ? true : undefined), 10_000);
      await cluster.validators[1]!.resync(async () => {});
      assert.equal(cluster.validators[1]!.host.epoch!.selfIndex, null, "the host a re-sync starts observes too");

      await cluster.stop(1);
      const signedBeforeRestart = signedBy1.votes.length + signedBy1.proposals.length;
      const restarted = await cluster.start(1);
      assert.equal(restarted.host.epoch!.selfIndex, null, "a member of the set, it observes after the restart");
      for (let i = 0; i < 3; i++) await commitNext(cluster, account, { type: "audit.append", record: { action: "stopped", data: { i } } }, i % 2 === 0 ? 0 : 2);
      await validator1Follows(cluster);
      assert.equal(signedBy1.votes.length + signedBy1.proposals.length, signedBeforeRestart, "nothing signed after the restart");
      assert.match(await metricsOf(cluster, 1), /^ghostmesh_consensus_signing_stopped 1$/m);
      assert.equal((await cluster.client(1).status()).signingStoppedAtView, stoppedAtView, "GET /v1/status shows the stop");

      await cluster.stop(1);
      let rootView = -1;
      const [votesBefore, proposalsBefore] = [signedBy1.votes.length, signedBy1.proposals.length];
      const resumed = await cluster.start(1, { resumeSigning: true, beforeConsensus: async ({ chain }) => void (rootView = consensusRootOf(chain).view) });
      assert.equal(resumed.host.epoch!.selfIndex, 1);
      assert.equal(recorded(), undefined, "the record is cleared");
      await appendUntil(cluster, account, "validator 1 to vote again", () => signedBy1.votes.length > votesBefore, 30_000);
      // In case the other signer still ran, it first kept out of a few views, where that signer would have shown itself.
      const signedAfterResume = [...signedBy1.votes.slice(votesBefore), ...signedBy1.proposals.slice(proposalsBefore)];
      assert.ok(signedAfterResume.every((s) => s.view > rootView + SIGNED_ELSEWHERE_QUARANTINE_VIEWS), `nothing signed within ${SIGNED_ELSEWHERE_QUARANTINE_VIEWS} views of its root (view ${rootView}): ${signedAfterResume.map((s) => s.view)}`);
      assert.match(await metricsOf(cluster, 1), /^ghostmesh_consensus_signing_stopped 0$/m);
      assert.equal((await cluster.client(1).status()).signingStoppedAtView, null);
    } finally {
      await cluster.close();
    }
  });

  it("resumed while the other signer still runs, it keeps out of the views after its root, meets that signer there on a block made since, and stops again without signing", async () => {
    const cluster = await startCluster(4, { extraNodes: 1, start: [0, 2, 3] });
    const signedBy1 = recordSignedFrom(cluster.network, 1);
    const logged: string[] = [];
    const messages = () => logged.map((line) => (JSON.parse(line) as { msg: string }).msg);
    try {
      await cluster.start(1, { logged });
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      const stoppedAtView = await stopValidator1(cluster, signedBy1);
      assert.ok(messages().some((m) => m.startsWith("This validator's key signs elsewhere, in a view this node signed in too: signing stopped")), messages().join("\n"));
      await cluster.stop(1);

      const resumed = await cluster.start(1, { resumeSigning: true, logged });
      // Its first view is its root's next; the others' certificates, asked for at start, then bring it to theirs.
      const inNetworkView = async (): Promise<number> => {
        const networkView = cluster.validators[0]!.host.stats()!.view;
        return waitFor("validator 1 in the others' view", () => (resumed.host.stats()!.view >= networkView ? resumed.host.stats()!.view : undefined), 10_000);
      };
      const quarantined = () => messages().filter((m) => m.startsWith("This validator's key signed elsewhere, in a view this node did not sign")).length;

      // The chain is idle: its head was certified before this start, maybe by a process stopped since. Its key's vote on that head only keeps this node out.
      const idleView = await inNetworkView();
      sendVoteOfValidator1(cluster, idleView, resumed.chain.head);
      await waitFor("validator 1 to keep out of the views after it", () => (quarantined() >= 1 ? true : undefined), 10_000);
      assert.equal(resumed.host.stats()!.signingStopped, false, "a vote on a block older than this process proves no signer running now");

      // The other signer was never stopped: it votes on a block made since, in the view this node is in.
      await commitNext(cluster, account, { type: "audit.append", record: { action: "after resume", data: {} } }, 0);
      await validator1Follows(cluster);
      const view = await inNetworkView();
      // A loaded machine may have timed out of the views kept out of meanwhile: a vote on a block it does not know keeps it out of this one again.
      sendVoteOfValidator1(cluster, view);
      sendVoteOfValidator1(cluster, view, resumed.chain.head);
      await waitFor("validator 1 to stop signing again", () => (resumed.host.stats()?.signingStopped === true ? true : undefined), 10_000);
      // Had it voted in that view already (views timed out on a loaded machine), the stop is "beside" instead.
      const where = signedBy1.votes.some((vote) => vote.view === view) ? "in a view this node signed in too" : "now, in a recent view this node kept out of";
      assert.ok(messages().some((m) => m.startsWith(`This validator's key signs elsewhere, ${where}: signing stopped`)), messages().join("\n"));
      const signedBeforeStop = signedBy1.votes.length + signedBy1.proposals.length;
      await commitNext(cluster, account, { type: "audit.append", record: { action: "stopped again", data: {} } }, 2);
      await validator1Follows(cluster);
      assert.equal(signedBy1.votes.length + signedBy1.proposals.length, signedBeforeStop, `nothing signed after the new stop (the first in view ${stoppedAtView}, kept out from view ${idleView})`);
      assert.equal((await cluster.client(1).status()).signingStoppedAtView, view, "the new stop is recorded");
    } finally {
      await cluster.close();
    }
  });

  it("once stopped, the validator observes in the epochs that follow", async () => {
    const cluster = await startCluster(4, { extraNodes: 1, start: [0, 1, 2, 3], genesisExtras: posGenesisExtras(1000n, 4), emptyIntervalMs: 100 });
    const signedBy1 = recordSignedFrom(cluster.network, 1);
    try {
      await stopValidator1(cluster, signedBy1);
      const host1 = cluster.validators[1]!.host;
      const viewAtStop = host1.stats()!.view;
      const labelAtStop = host1.epoch!.label;
      // Validator 0 bonds more: the end of the epoch chooses a new set (other powers), and every node switches.
      const key0 = cluster.keys[0]!;
      const account0 = { key: key0, address: formatAddress(addressFromPublicKey(key0.alg, key0.publicKey)), nonce: 0 };
      await commitNext(cluster, account0, { type: "account.register" });
      await commitNext(cluster, account0, { type: "staking.bond", body: { amount: encodeAmount(1000n) } });
      await waitFor("a later epoch at validator 1", () => (host1.epoch!.label > labelAtStop ? true : undefined), 20_000);
      assert.equal(host1.epoch!.selfIndex, null, "a member of the set, it runs the new epoch as an observer");
      assert.equal(host1.stats()!.signingStopped, false, "the observer's engine has nothing to stop");
      assert.deepEqual([...signedBy1.votes, ...signedBy1.proposals].filter((s) => s.view > viewAtStop), [], "nothing signed since");
    } finally {
      await cluster.close();
    }
  });

  it("a signature above every view it signed keeps the validator out of those views, then it signs again", async () => {
    const cluster = await startCluster(4, { extraNodes: 1, start: [0, 1, 2, 3] });
    const signedBy1 = recordSignedFrom(cluster.network, 1);
    try {
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      const host1 = cluster.validators[1]!.host;
      const floorView = host1.stats()!.view + 6;
      const signedBefore = signedBy1.votes.length + signedBy1.proposals.length;

      sendVoteOfValidator1(cluster, floorView);
      await waitFor("the sighting to be counted", async () => ((await metricsOf(cluster, 1)).match(/^ghostmesh_consensus_signed_elsewhere_total 1$/m) === null ? undefined : true), 10_000);
      await appendUntil(cluster, account, "validator 1 to vote again past the other signer's view", () => signedBy1.votes.some((vote) => vote.view > floorView), 60_000);
      const signedAfter = [...signedBy1.votes, ...signedBy1.proposals].slice(signedBefore);
      const inFloor = signedAfter.filter((s) => s.view <= floorView && s.view > floorView - 6);
      assert.deepEqual(inFloor, [], `no vote or proposal of validator 1 in views up to ${floorView} after the sighting`);
      assert.equal(host1.stats()!.signingStopped, false);
    } finally {
      await cluster.close();
    }
  });
});
