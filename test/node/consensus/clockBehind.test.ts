/**
 * One validator of four whose wall clock runs a minute behind the others' (broken NTP): it
 * finds every other leader's proposal too far ahead of its clock and does not vote for it, but
 * the other three certify and commit those blocks, and it must follow them. Before, it refused
 * the certified blocks too (the clock bound was part of block validity), fetched them, refused
 * them again, and stood still at its height for as long as its clock was behind.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { commitNext, blockHashes, newAccount, signNext, startCluster, waitFor, type Cluster } from "./cluster.ts";

const BEHIND_MS = 60_000;
const LATE_INDEX = 3;

describe("consensus in the node: one validator's clock a minute behind the others'", () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster(4, { clock: (index) => ({ nowMs: () => Date.now() - (index === LATE_INDEX ? BEHIND_MS : 0) }) });
  });

  after(async () => {
    await cluster?.close();
  });

  it("follows the chain the others commit, and transactions sent to it commit", async () => {
    const account = newAccount();
    const late = cluster.validators[LATE_INDEX]!;
    // Committed as seen by the validator whose clock is behind.
    await commitNext(cluster, account, { type: "account.register" }, LATE_INDEX);
    for (let i = 0; i < 3; i++) {
      const tx = signNext(account, { type: "audit.append", record: { action: "deploy", subject: "svc", data: { i } } });
      const response = await cluster.client(i).submitTx(tx.bytes, { wait: true, timeoutMs: 20_000 });
      assert.equal(response.status, "committed");
      await waitFor(`validator ${LATE_INDEX} to commit append ${i}`, async () => ((await cluster.client(LATE_INDEX).tx(tx.hash)).status === "committed" ? true : undefined), 20_000);
    }
    const head = cluster.validators[0]!.chain.head;
    await waitFor(`validator ${LATE_INDEX} to reach height ${head.height}`, () => (late.chain.head.height >= head.height ? true : undefined), 20_000);
    assert.deepEqual(blockHashes(late, head.height), blockHashes(cluster.validators[0]!, head.height), "the same block at every height");
    assert.ok(head.timestamp > Date.now() - BEHIND_MS + 5_000, "blocks carry the others' time, well ahead of the late validator's clock");
  });
});
