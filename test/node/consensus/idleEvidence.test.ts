/**
 * Evidence on an idle chain: a validator that alone saw another equivocate, and does not lead
 * the view, holds the only work there is, while its idle peers postpone their view timers
 * (decision 0200, "Pacing"). The evidence must still reach a block.
 */
import { describe, it } from "node:test";
import { encodeConsensusMessage, evidenceKey, leaderOf, voteMessage, type VoteMessage } from "../../../src/consensus/index.ts";
import { addressFromPublicKey, sign } from "../../../src/crypto/index.ts";
import { NetworkTopic } from "../../../src/node/consensus/index.ts";
import { commitNext, newAccount, settledValue, startCluster, waitFor, CHAIN_ID } from "./cluster.ts";

const SPEAKER_SLOT = 4;
const EQUIVOCATOR = 3;

describe("consensus in the node: evidence on an idle chain", () => {
  it("an equivocation only one validator saw is committed although no transaction follows", async () => {
    // Slot 4 exists in the network but runs no node: the test speaks for it.
    const cluster = await startCluster(4, { extraNodes: 1 });
    try {
      await commitNext(cluster, newAccount(), { type: "account.register" });
      const endpoint = cluster.network.attach(SPEAKER_SLOT, new Uint8Array(20).fill(0xcd), () => {});
      // Let the chain go idle: no view moves for a while.
      const view = await settledValue("validator 0's view", () => cluster.validators[0]!.host.stats()?.view ?? -1, 400);
      // Two votes of validator 3 in the idle view, for two different blocks.
      const key = cluster.keys[EQUIVOCATOR]!;
      const height = cluster.validators[0]!.chain.head.height + 1;
      const voteFor = (fill: number): VoteMessage => {
        const blockHash = new Uint8Array(32).fill(fill);
        return { type: "vote", epoch: 0, view, height, blockHash, sender: EQUIVOCATOR, signature: sign(key, voteMessage(CHAIN_ID, view, height, blockHash)) };
      };
      // To a validator that does not lead the view: it cannot propose the evidence itself.
      const target = [0, 1, 2].find((index) => index !== leaderOf(cluster.homes.genesis, view)) as number;
      for (const vote of [voteFor(1), voteFor(2)]) endpoint.send(target, { topic: NetworkTopic.consensus, bytes: encodeConsensusMessage(vote) });
      const keyCommitted = evidenceKey({ kind: "vote", validator: addressFromPublicKey(key.alg, key.publicKey), view });
      for (const index of [0, 1, 2, 3]) {
        await waitFor(`validator ${index} to commit the evidence`, () => (cluster.validators[index]!.chain.store.isEvidenceCommitted(keyCommitted) ? true : undefined), 20_000);
      }
    } finally {
      await cluster.close();
    }
  });
});
