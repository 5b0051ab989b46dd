/**
 * End to end against a running single-validator node (decision 0600): a genesis with balances,
 * roles and a 2-of-3 policy on admin grants; `ghostmesh tx transfer` and `query balance`; then
 * `ghostmesh roles grant ... admin` refused without a cosignature and committed with one, shown by
 * `roles show`; finally `ghostmesh verify` replays it all offline.
 */
import { strict as assert } from "node:assert";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { killAllChildren, makeTempDir, parseJsonOutput, removeDir, runCli, startNode, type RunningNode } from "./helpers.ts";

let dir = "";
let home = "";
let node: RunningNode | undefined;
const keys: { file: string; address: string }[] = [];

before(async () => {
  dir = makeTempDir("balances-roles");
  home = join(dir, "node");
  const init = await runCli(["init", "--home", home, "--plain-key", "--chain-id", "e2e-roles"]);
  assert.equal(init.code, 0, init.stderr);
  for (const name of ["alice", "bob", "carol"]) {
    const file = join(dir, `${name}.key.json`);
    const created = await runCli(["keys", "new", "--out", file, "--plain", "--alg", "ml-dsa-44", "--json"]);
    assert.equal(created.code, 0, created.stderr);
    keys.push({ file, address: parseJsonOutput<{ address: string }>(created).address });
  }
  const [alice, bob, carol] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0]];
  const genesisFile = join(home, "genesis.json");
  const genesis = JSON.parse(readFileSync(genesisFile, "utf8")) as Record<string, unknown>;
  genesis.allocations = [{ address: alice.address, amount: "1000000000000000000000" }];
  genesis.roles = [{ address: alice.address, roles: ["admin"] }, { address: bob.address, roles: ["admin"] }];
  genesis.policies = [{ operation: "roles.grant.admin", threshold: 2, signers: [alice.address, bob.address, carol.address] }];
  writeFileSync(genesisFile, JSON.stringify(genesis, null, 2));
  node = await startNode(home, ["--block-interval-ms", "20"]);
});
after(async () => {
  await node?.stop();
  killAllChildren();
  removeDir(dir);
});

describe("balances and roles over the CLI and API", () => {
  it("transfers tokens with tx transfer and shows both balances with query balance", async () => {
    const [alice, , carol] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0]];
    const sent = await runCli(["tx", "transfer", "--node", node!.api, "--key", alice.file, "--to", carol.address, "--amount", "250", "--wait", "--json"]);
    assert.equal(sent.code, 0, sent.stderr);
    const { hash, height } = parseJsonOutput<{ hash: string; height: number }>(sent);
    assert.equal(typeof height, "number");
    const stored = (await (await fetch(`${node!.api}/v1/txs/${hash}`)).json()) as { type: string; body: { to: string; amount: string } };
    assert.deepEqual([stored.type, stored.body], ["token.transfer", { to: carol.address, amount: "250" }]);
    const balance = async (address: string) => {
      const result = await runCli(["query", "balance", "--node", node!.api, address, "--json"]);
      assert.equal(result.code, 0, result.stderr);
      return parseJsonOutput<{ balance: string }>(result).balance;
    };
    assert.equal(await balance(carol.address), "250");
    assert.equal(await balance(alice.address), "999999999999999999750");
    const tooMuch = await runCli(["tx", "transfer", "--node", node!.api, "--key", carol.file, "--to", alice.address, "--amount", "251"]);
    assert.equal(tooMuch.code, 1);
    assert.match(tooMuch.stderr, /holds 250, cannot send 251/);
    const refused = await runCli(["tx", "transfer", "--node", node!.api, "--key", alice.file, "--to", carol.address, "--amount", "1.5"]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--amount/);
  });

  it("grants admin only with the policy's 2 of 3 signatures, and roles show reports it", async () => {
    const [alice, bob, carol] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0]];
    // Alone, alice's grant is refused at execution: the node drops it and the wait times out.
    const alone = await runCli(["roles", "grant", carol.address, "admin", "--node", node!.api, "--key", alice.file, "--wait", "--timeout-ms", "1500", "--json"]);
    assert.notEqual(alone.code, 0);
    const shownBefore = parseJsonOutput<{ roles: string[] }>(await runCli(["roles", "show", carol.address, "--node", node!.api, "--json"]));
    assert.deepEqual(shownBefore.roles, []);
    const granted = await runCli(["roles", "grant", carol.address, "admin", "--node", node!.api, "--key", alice.file, "--cosign", bob.file, "--wait", "--json"]);
    assert.equal(granted.code, 0, granted.stderr);
    const shown = await runCli(["roles", "show", carol.address, "--node", node!.api, "--json"]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(parseJsonOutput<{ roles: string[] }>(shown).roles, ["admin"]);
    const response = await fetch(`${node!.api}/v1/roles/${alice.address}`);
    assert.deepEqual(((await response.json()) as { roles: string[] }).roles, ["admin"]);
  });

  it("ghostmesh verify replays the balances and roles to the same state roots", async () => {
    await node!.stop();
    const verified = await runCli(["verify", "--home", home, "--json"]);
    assert.equal(verified.code, 0, verified.stderr);
  });
});
