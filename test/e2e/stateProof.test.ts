/**
 * End to end: `ghostmesh query state --prove` against a running single-validator node. The CLI
 * checks the block's certificate against the genesis validators, then the state proof against
 * that block's stateRoot; `ghostmesh verify` then recomputes every state root offline.
 */
import { strict as assert } from "node:assert";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { accountKey } from "../../src/app/index.ts";
import { addressFromPublicKey, generateSigningKey } from "../../src/crypto/index.ts";
import { buildTx, GhostmeshClient } from "../../src/client/index.ts";
import { toHex } from "../../src/util/index.ts";
import { killAllChildren, makeTempDir, parseJsonOutput, removeDir, runCli, startNode, type RunningNode } from "./helpers.ts";

type ProvedState = { verified: boolean; height: number; stateRoot: string; key: string; value: string | null };

let dir = "";
let home = "";
let node: RunningNode | undefined;
let keyHex = "";
let registeredAt = 0;

before(async () => {
  dir = makeTempDir("state-proof");
  home = join(dir, "node");
  const init = await runCli(["init", "--home", home, "--plain-key", "--chain-id", "e2e-state"]);
  assert.equal(init.code, 0, init.stderr);
  node = await startNode(home, ["--block-interval-ms", "20"]);
  const client = new GhostmeshClient(node.api);
  const key = generateSigningKey();
  keyHex = toHex(accountKey(addressFromPublicKey(key.alg, key.publicKey)));
  const registered = await client.submitTx(buildTx(key, "e2e-state", 0, { type: "account.register" }).bytes, { wait: true });
  registeredAt = registered.height as number;
  await client.submitTx(buildTx(key, "e2e-state", 1, { type: "audit.append", record: { action: "login" } }).bytes, { wait: true });
});
after(async () => {
  await node?.stop();
  killAllChildren();
  removeDir(dir);
});

describe("ghostmesh query state", () => {
  it("--prove verifies an account's value at the head against the certified header", async () => {
    const result = await runCli(["query", "state", "--node", node!.api, "--key", keyHex, "--prove", "--genesis", join(home, "genesis.json")]);
    assert.equal(result.code, 0, result.stderr);
    const proved = parseJsonOutput<ProvedState>(result);
    assert.equal(proved.verified, true);
    assert.equal(proved.key, keyHex);
    assert.match(proved.value ?? "", /^[0-9a-f]+$/);
    assert.ok(proved.height > registeredAt);
  });

  it("--prove verifies absence at a height before the registration, and of a key never written", async () => {
    const earlier = await runCli(["query", "state", "--node", node!.api, "--key", keyHex, "--height", String(registeredAt - 1), "--prove"]);
    if (registeredAt - 1 === 0) {
      assert.equal(earlier.code, 2, "no signed header at height 0");
      assert.match(earlier.stderr, /no block is committed yet/);
    } else {
      assert.equal(earlier.code, 0, earlier.stderr);
      assert.equal(parseJsonOutput<ProvedState>(earlier).value, null);
    }
    const never = await runCli(["query", "state", "--node", node!.api, "--key", `01${"ee".repeat(20)}`, "--prove"]);
    assert.equal(never.code, 0, never.stderr);
    const proved = parseJsonOutput<ProvedState>(never);
    assert.equal(proved.verified, true);
    assert.equal(proved.value, null);
  });

  it("without --prove prints the proof; bad input exits non-zero naming the problem", async () => {
    const plain = await runCli(["query", "state", "--node", node!.api, "--key", keyHex, "--height", String(registeredAt)]);
    assert.equal(plain.code, 0, plain.stderr);
    const body = parseJsonOutput<ProvedState & { proof: { depth: number } }>(plain);
    assert.equal(body.height, registeredAt);
    assert.equal(typeof body.proof.depth, "number");
    const badHex = await runCli(["query", "state", "--node", node!.api, "--key", "xyz"]);
    assert.equal(badHex.code, 2);
    assert.match(badHex.stderr, /--key: expected a state key as hex/);
    const pastHead = await runCli(["query", "state", "--node", node!.api, "--key", keyHex, "--height", "999999"]);
    assert.equal(pastHead.code, 1);
    assert.match(pastHead.stderr, /no block at height 999999/);
  });

  it("/metrics shows the store on disk and its free pages (what ghostmesh compact would give back)", async () => {
    const text = await (await fetch(`${node!.api}/metrics`)).text();
    const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? Number.NaN);
    assert.ok(gauge("ghostmesh_store_file_bytes") > 0, "chain.db has a size");
    assert.ok(gauge("ghostmesh_store_free_page_bytes") >= 0, "free pages are reported");
  });

  it("after the node stops, verify recomputes every state root and passes", async () => {
    await node!.stop();
    const result = await runCli(["verify", "--home", home, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parseJsonOutput<{ ok: boolean }>(result).ok, true);
  });
});
