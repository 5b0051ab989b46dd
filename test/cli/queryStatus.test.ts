/** `ghostmesh query status`: the node's /v1/status as JSON; a node that does not answer is a clear error. */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import type { StatusResponse } from "../../src/client/index.ts";
import { cli, json } from "../helpers/cliInProcess.ts";
import { openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

describe("ghostmesh query status", () => {
  let t: TestChain;
  let url: string;

  before(async () => {
    t = openTestChain();
    t.producer.start();
    url = await t.api.listen({ host: "127.0.0.1", port: 0 });
  });

  after(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it("prints the node's head, chain and proof bound as the API gives them", async () => {
    const status = json<StatusResponse>(await cli("query", "status", "--node", url));
    const fromApi = JSON.parse((await t.api.inject({ method: "GET", url: "/v1/status" })).body) as StatusResponse;
    assert.equal(status.chainId, t.genesis.chainId);
    assert.equal(status.genesisHash, fromApi.genesisHash);
    assert.ok(status.height <= fromApi.height, "the head only moves on");
    assert.equal(status.stateProofsFromHeight, 0);
    assert.equal(typeof status.syncing, "boolean");
    assert.equal(status.signingStoppedAtView, null);
  });

  it("says which node did not answer, with exit 1", async () => {
    const closed = await cli("query", "status", "--node", "http://127.0.0.1:1");
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, /127\.0\.0\.1:1/);
  });
});
