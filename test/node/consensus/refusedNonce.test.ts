/**
 * Four validators in one process: a transaction execution refuses frees its nonce. The client
 * waiting for it hears why, a later transaction of the same sender waiting in the pool is refused
 * with it (its nonce assumed the refused one), and a corrected transaction with the refused nonce
 * is taken at once and commits on every validator.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { ClientError } from "../../../src/client/index.ts";
import { commitNext, newAccount, signNext, startCluster, waitForCommitAt, type Cluster } from "./cluster.ts";

describe("consensus in the node: a refused transaction's nonce", () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster(4);
  });

  after(async () => {
    await cluster.close();
  });

  it("is refused with the application's reason, takes its sender's later transaction with it, and is free for a corrected one", async () => {
    const account = newAccount();
    await commitNext(cluster, account, { type: "account.register" });
    const client = cluster.client(0);
    // The account holds no tokens: admission takes the transfer, every leader's execution refuses it.
    const transfer = signNext(account, { type: "token.transfer", to: new Uint8Array(20).fill(3), amount: 5n });
    account.nonce += 1;
    // Nonce 3 while 2 was never sent: it waits in every pool, never selected with the transfer.
    const later = signNext(account, { type: "audit.append", record: { action: "after a gap" } });
    await client.submitTx(later.bytes);
    const waited = client.submitTx(transfer.bytes, { wait: true, timeoutMs: 30_000 });
    // The wait answers once validator 0's own proposal left the transfer out.
    await assert.rejects(waited, (err: unknown) => err instanceof ClientError && err.code === "API_TX_REFUSED" && /APP_INSUFFICIENT_BALANCE/.test(err.message));
    const shown = await client.tx(later.hash);
    assert.deepEqual([shown.status, shown.code], ["refused", "MEMPOOL_PREDECESSOR_REFUSED"], "the waiting later transaction left with it");
    account.nonce = 1;
    const corrected = signNext(account, { type: "audit.append", record: { action: "corrected" } });
    const committed = await client.submitTx(corrected.bytes, { wait: true, timeoutMs: 30_000 });
    assert.equal(committed.status, "committed");
    await waitForCommitAt(cluster, corrected.hash, [0, 1, 2, 3]);
  });
});
