/**
 * Back to block sync while running: four validators over real libp2p on 127.0.0.1. One
 * validator's consensus stalls (its consensus host is stopped; its p2p host stays up) while
 * the three others commit well past the lag threshold (lagBlocksMin, lowered here from 1,024
 * to 32 so the test stays short). Without being restarted, it notices from its peers' heads
 * that it fell behind, leaves consensus, syncs the missing blocks by range, rejoins, and then
 * commits new transactions through consensus with the same block hashes as the others. Its API
 * answers throughout, and a client waiting on it for a transaction the others committed hears
 * of the commit when the block arrives by sync.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { GhostmeshClient } from "../../../src/client/index.ts";
import { blockHashes, signNext, waitFor } from "../consensus/cluster.ts";
import { stallAfterRegistering, startValidatorMesh, validatorMeshFixture } from "./validatorMesh.ts";

const TIMING = { viewTimeoutBaseMs: 1000, backoffPercent: 200, backoffExponentMax: 3 };
/** Generous: one view in four is the stalled validator's and times out, and the machine may be loaded. */
const COMMIT_WAIT_MS = 60_000;
const LAG_BLOCKS_MIN = 32;
const SYNC = { lagBlocksMin: LAG_BLOCKS_MIN, connectWaitMs: 5_000, lagCheckIntervalMs: 250 };

describe("a running validator that falls far behind goes back to block sync by itself", () => {
  const mesh = validatorMeshFixture("gm-p2p-sync-resume-");
  const { validators } = mesh;

  it("a validator whose consensus stalled while the others ran lagBlocksMin ahead syncs by range without a restart and agrees on every block", async () => {
    await startValidatorMesh(mesh, { timing: TIMING, sync: SYNC });
    const late = validators[3]!;
    const lateApiUrl = late.api.url;
    const client = (i: number) => new GhostmeshClient(validators[i]!.api.url);
    const { account, heightStalled } = await stallAfterRegistering(mesh, 3, COMMIT_WAIT_MS);
    const lateHost = late.host;
    // The stalled validator's API, asked every 50 ms until it is back in consensus.
    const apiFailures: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        await client(3).status().catch((err: Error) => apiFailures.push(err.message));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // Each committed transaction adds its block and the two that certify and commit it.
    let waitingOnLate: ReturnType<GhostmeshClient["submitTx"]> | null = null;
    let firstHeight = 0;
    for (let round = 0; late.resyncs === 0; round++) {
      assert.ok(round < 4 * LAG_BLOCKS_MIN, `the stalled validator noticed the lag within ${round} rounds (height ${validators[0]!.chain.head.height})`);
      const tx = signNext(account, { type: "audit.append", record: { action: "deploy", subject: "svc", data: { round } } });
      // The first also goes to the stalled validator, whose client waits: it commits elsewhere, and reaches it by sync.
      if (round === 0) {
        waitingOnLate = client(3).submitTx(tx.bytes, { wait: true, timeoutMs: 120_000 });
        waitingOnLate.catch(() => undefined); // awaited below; no unhandled rejection if the test fails before
      }
      const committed = await client(round % 3).submitTx(tx.bytes, { wait: true, timeoutMs: COMMIT_WAIT_MS });
      if (round === 0) firstHeight = committed.height ?? 0;
    }
    await waitFor("the stalled validator to rejoin after syncing by range", () => (!late.resyncing && late.host.isRunning ? true : undefined), COMMIT_WAIT_MS);
    polling = false;
    await poller;
    assert.deepEqual(apiFailures, [], "the API answered all along");
    assert.notEqual(late.host, lateHost, "consensus rejoined with a new host");
    const heard = await waitingOnLate!;
    assert.equal(heard.status, "committed");
    assert.equal(heard.height, firstHeight, "the waiting client heard of the commit the sync applied");
    assert.ok(late.sync.blocksSynced >= LAG_BLOCKS_MIN, `synced ${late.sync.blocksSynced} blocks by range (stalled at ${heightStalled})`);
    assert.equal(late.api.url, lateApiUrl, "the API came back on the same address");

    const final = signNext(account, { type: "audit.append", record: { action: "deploy", subject: "final" } });
    await client(3).submitTx(final.bytes, { wait: true, timeoutMs: COMMIT_WAIT_MS });
    for (const i of [0, 1, 2, 3]) await waitFor(`validator ${i} to commit the final transaction`, async () => ((await client(i).tx(final.hash)).status === "committed" ? true : undefined), COMMIT_WAIT_MS);
    const height = Math.min(...validators.map((v) => v.chain.head.height));
    assert.ok(height >= heightStalled + LAG_BLOCKS_MIN, `every validator is past the stall (height ${height})`);
    const reference = blockHashes(validators[0]!, height);
    for (const validator of validators) assert.deepEqual(blockHashes(validator, height), reference, `validator ${validator.index} agrees on every block`);
    assert.equal(late.resyncs, 1, "one re-sync was enough");
  });
});
