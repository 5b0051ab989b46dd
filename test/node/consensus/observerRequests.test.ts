/**
 * A node outside the validator set (an observer) may ask the set for blocks it missed, but a
 * validator answers each observer at most OBSERVER_REQUESTS_PER_HEIGHT_MAX times while its
 * committed head stays at one height: asking faster gets nothing more.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { decodeConsensusMessage, encodeConsensusMessage } from "../../../src/consensus/index.ts";
import { NetworkTopic } from "../../../src/node/consensus/index.ts";
import { OBSERVER_REQUESTS_PER_HEIGHT_MAX } from "../../../src/node/consensus/host.ts";
import { commitNext, newAccount, settledValue, startCluster, waitFor, type Cluster } from "./cluster.ts";

const OBSERVER_SLOT = 4;
const REQUESTS_PER_BURST = 10;

/** Validator 0's head once it has not moved for `quietMs`. */
function settledHead(cluster: Cluster, quietMs: number): Promise<number> {
  return settledValue("validator 0's head", () => cluster.validators[0]!.chain.head.height, quietMs);
}

describe("consensus host: block requests from observers", () => {
  it(`answers an observer at most ${OBSERVER_REQUESTS_PER_HEIGHT_MAX} times per committed height`, async () => {
    // Slot 4 exists in the network but runs no node: the test speaks for it.
    const cluster = await startCluster(4, { extraNodes: 1 });
    try {
      const responses: number[] = [];
      const observerAddress = new Uint8Array(20).fill(0xab);
      const endpoint = cluster.network.attach(OBSERVER_SLOT, observerAddress, (from, frame) => {
        if (from !== 0 || frame.topic !== NetworkTopic.consensus) return;
        const message = decodeConsensusMessage(frame.bytes);
        if (message.type === "blockResponse") responses.push(message.blocks.length);
      });
      const burst = (): void => {
        const head = cluster.validators[0]!.chain.head;
        const request = encodeConsensusMessage({ type: "blockRequest", epoch: 0, blockHash: head.hash, countMax: 32, heightMin: 0, sender: OBSERVER_SLOT });
        for (let i = 0; i < REQUESTS_PER_BURST; i++) endpoint.send(0, { topic: NetworkTopic.consensus, bytes: request });
      };
      const account = newAccount();
      await commitNext(cluster, account, { type: "account.register" });
      const firstHeight = await settledHead(cluster, 1_000);

      burst();
      await waitFor("the first answers", () => (responses.length >= OBSERVER_REQUESTS_PER_HEIGHT_MAX ? true : undefined), 15_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(cluster.validators[0]!.chain.head.height, firstHeight, "the head did not move during the burst");
      assert.equal(responses.length, OBSERVER_REQUESTS_PER_HEIGHT_MAX, `${REQUESTS_PER_BURST} requests at one height, ${responses.length} answered`);
      assert.ok(responses.every((blocks) => blocks === firstHeight), "each answer holds the whole chain asked for");

      // A new committed height renews the budget.
      await commitNext(cluster, account, { type: "audit.append", record: { action: "next", data: {} } });
      await settledHead(cluster, 1_000);
      burst();
      await waitFor("the answers at the new height", () => (responses.length >= 2 * OBSERVER_REQUESTS_PER_HEIGHT_MAX ? true : undefined), 15_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(responses.length, 2 * OBSERVER_REQUESTS_PER_HEIGHT_MAX);
    } finally {
      await cluster.close();
    }
  });
});
