/**
 * Forged votes from a peer, whatever they claim, change nothing and stop nothing: votes "from"
 * validators outside the set, and votes with bad signatures in the name of validators inside
 * it, sent for every block as soon as it is proposed, ahead of the real votes. The host counts
 * votes on their way when it decides which votes need no check ahead (surplus votes); these
 * must neither crash it nor make it accept anything unchecked.
 */
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { blockHashOf, decodeConsensusMessage, encodeConsensusMessage, type VoteMessage } from "../../../src/consensus/index.ts";
import { NetworkTopic } from "../../../src/node/consensus/index.ts";
import { commitNext, newAccount, startCluster } from "./cluster.ts";

const HOSTILE_SLOT = 4;
const ML_DSA_65_SIGNATURE_BYTES = 3309;

describe("consensus host: forged votes", () => {
  it("votes claiming senders outside the set, or forged for validators in it, change nothing", async () => {
    const cluster = await startCluster(4, { extraNodes: 1 });
    try {
      let forgedSent = 0;
      const endpoint = cluster.network.attach(HOSTILE_SLOT, new Uint8Array(20).fill(0xcd), (_from, frame) => {
        if (frame.topic !== NetworkTopic.consensus) return;
        const message = decodeConsensusMessage(frame.bytes);
        if (message.type !== "proposal") return;
        const { view, height } = message.block.header;
        const blockHash = blockHashOf(message.block);
        for (const sender of [5, 6, 7, 0, 1, 2, 3]) {
          const vote: VoteMessage = { type: "vote", epoch: message.epoch, view, height, blockHash, sender, signature: new Uint8Array(randomBytes(ML_DSA_65_SIGNATURE_BYTES)) };
          endpoint.send("all", { topic: NetworkTopic.consensus, bytes: encodeConsensusMessage(vote) });
          forgedSent++;
        }
      });
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      for (let i = 0; i < 3; i++) await commitNext(cluster, account, { type: "audit.append", record: { action: "deploy", data: { i } } }, i % 4);
      assert.ok(forgedSent > 0, "forged votes were sent");
      assert.ok(cluster.validators.slice(0, 4).every((v) => v !== null && v.host.isRunning), "every validator still runs");
      const heads = cluster.validators.slice(0, 4).map((v) => v!.chain.head);
      const lowest = Math.min(...heads.map((h) => h.height));
      const atLowest = cluster.validators.slice(0, 4).map((v) => Buffer.from(v!.chain.store.getBlock(lowest)!.hash).toString("hex"));
      assert.ok(lowest >= 4 && atLowest.every((hash) => hash === atLowest[0]), `all four agree at height ${lowest}`);
      endpoint.close();
    } finally {
      await cluster.close();
    }
  });
});
