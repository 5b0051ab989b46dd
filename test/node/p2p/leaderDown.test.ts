/**
 * A stopped validator over libp2p: its connections close, the others know it is down
 * (P2pConsensusNetwork.isKnownDown) and time its views out at once. The view timer is two
 * minutes, so a view that waited for it would fail every commit below (each waits 30 s at most).
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { metricSample, metricsText } from "../../../bench/lib/metrics.ts";
import { GhostmeshClient } from "../../../src/client/index.ts";
import { newAccount, signNext, waitFor } from "../consensus/cluster.ts";
import { startValidatorMesh, validatorMeshFixture, type ValidatorMeshOptions } from "./validatorMesh.ts";

const OPTS: ValidatorMeshOptions = { timing: { viewTimeoutBaseMs: 120_000, backoffPercent: 200, backoffExponentMax: 2 }, sync: {} };
const STOPPED = 3;

describe("validators over libp2p: a stopped validator's views", () => {
  const mesh = validatorMeshFixture("gm-p2p-leader-down-");

  it("end at once at the others, which saw it connected and then its connections close", async () => {
    await startValidatorMesh(mesh, OPTS);
    const client = (index: number) => new GhostmeshClient(mesh.validators[index]!.api.url);
    const commit = async (index: number, bytes: Uint8Array) => assert.equal((await client(index).submitTx(bytes, { wait: true, timeoutMs: 30_000 })).status, "committed");
    const account = newAccount();
    await commit(0, signNext(account, { type: "account.register" }).bytes);
    const live = mesh.validators.filter((validator) => validator.index !== STOPPED);
    for (const validator of live) assert.equal(validator.network.isKnownDown(STOPPED), false, "connected: not down");

    await mesh.validators[STOPPED]!.stop();
    await waitFor("the stopped validator's connections to close", () => (live.every((validator) => validator.p2p.peers().length === 2) ? true : undefined), 20_000);
    for (const validator of live) assert.equal(validator.network.isKnownDown(STOPPED), true, `validator ${validator.index} knows it is down`);
    for (let i = 0; i < 8; i++) await commit(i % 3, signNext(account, { type: "audit.append", record: { action: "down", data: { i } } }).bytes);
    for (const validator of live) {
      const timedOut = metricSample(await metricsText(validator.api.url), "ghostmesh_consensus_absent_leader_timeouts_total", 'cause="disconnected"') ?? 0;
      assert.ok(timedOut >= 1, `validator ${validator.index} timed a view out at once (${timedOut})`);
    }
  });
});
