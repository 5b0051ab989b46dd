/**
 * A validator stuck a few blocks behind on an idle chain: four validators over real libp2p on
 * 127.0.0.1, without empty blocks (block.emptyIntervalMs 0), so once the last transaction is
 * committed nothing more is sent. One validator's consensus stalls while the others commit a
 * few blocks, far fewer than lagBlocksMin. Consensus would fetch them only when a message named
 * them, and none comes; the lag check sees its head standing still while the others are ahead,
 * syncs the missing blocks by range, and rejoins.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { GhostmeshClient } from "../../../src/client/index.ts";
import { defaultBlockSyncOptions } from "../../../src/node/p2p/index.ts";
import { blockHashes, signNext, waitFor } from "../consensus/cluster.ts";
import { stallAfterRegistering, startValidatorMesh, validatorMeshFixture } from "./validatorMesh.ts";

const TIMING = { viewTimeoutBaseMs: 1000, backoffPercent: 200, backoffExponentMax: 3 };
const COMMIT_WAIT_MS = 60_000;
/** The default lagBlocksMin (1,024): the few blocks missed here are far below it. */
const SYNC = { lagBlocksMin: defaultBlockSyncOptions.lagBlocksMin, connectWaitMs: 5_000, lagCheckIntervalMs: 250, stalledBehindMs: 2_000 };

describe("a validator stuck a few blocks behind on an idle chain", () => {
  const mesh = validatorMeshFixture("gm-p2p-sync-stalled-");
  const { validators } = mesh;

  it("syncs the blocks it missed by range once its head stood still for stalledBehindMs, and agrees on every block", async () => {
    await startValidatorMesh(mesh, { timing: TIMING, sync: SYNC, emptyIntervalMs: 0 });
    const late = validators[3]!;
    const client = (i: number) => new GhostmeshClient(validators[i]!.api.url);
    const { account, heightStalled } = await stallAfterRegistering(mesh, 3, COMMIT_WAIT_MS);
    for (let round = 0; round < 2; round++) {
      const tx = signNext(account, { type: "audit.append", record: { action: "deploy", subject: "svc", data: { round } } });
      await client(round).submitTx(tx.bytes, { wait: true, timeoutMs: COMMIT_WAIT_MS });
    }
    // The chain goes idle once the last block is committed everywhere but at the stalled validator.
    const target = Math.max(validators[0]!.chain.head.height, validators[1]!.chain.head.height, validators[2]!.chain.head.height);
    assert.ok(target - heightStalled < SYNC.lagBlocksMin, `a few blocks behind (${heightStalled} → ${target}), not lagBlocksMin`);
    await waitFor("the stalled validator to sync what it missed and rejoin", () => (late.chain.head.height >= target && late.host.isRunning && !late.resyncing ? true : undefined), COMMIT_WAIT_MS);
    assert.ok(late.resyncs >= 1, "it went back to sync by itself");
    // The range ends at the serving peer's head; consensus fetches any block committed after it.
    assert.ok(late.sync.blocksSynced > 0, `synced blocks by range (stalled at ${heightStalled}, others at ${target})`);

    // Back in consensus: a transaction sent to it commits everywhere.
    const final = signNext(account, { type: "audit.append", record: { action: "deploy", subject: "final" } });
    await client(3).submitTx(final.bytes, { wait: true, timeoutMs: COMMIT_WAIT_MS });
    for (const i of [0, 1, 2, 3]) await waitFor(`validator ${i} to commit the final transaction`, async () => ((await client(i).tx(final.hash)).status === "committed" ? true : undefined), COMMIT_WAIT_MS);
    const height = Math.min(...validators.map((v) => v.chain.head.height));
    const reference = blockHashes(validators[0]!, height);
    for (const validator of validators) assert.deepEqual(blockHashes(validator, height), reference, `validator ${validator.index} agrees on every block`);
  });
});
