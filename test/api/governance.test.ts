/**
 * Governance over the CLI and API against a real one-validator node in this process (decision
 * 0603): `ghostmesh gov propose|vote|show|list`, the emergency fast path halting a transaction
 * type at once, and the /v1/gov routes.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addressFromPublicKey, formatAddress, generateSigningKey, saveKeyFile } from "../../src/crypto/index.ts";
import type { Genesis } from "../../src/ledger/index.ts";
import { makeGenesis, openTestChain, removeDir } from "../helpers/testChain.ts";
import { cli, json } from "../helpers/cliInProcess.ts";

let dir = "";
let url = "";
let keyFile = "";
let validator = "";
let close: () => Promise<void> = async () => {};

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${url}${path}`);
  assert.equal(response.status, 200, path);
  return (await response.json()) as T;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "gm-gov-"));
  const validatorKey = generateSigningKey();
  keyFile = join(dir, "validator.key.json");
  saveKeyFile(keyFile, validatorKey, { plain: true });
  validator = formatAddress(addressFromPublicKey(validatorKey.alg, validatorKey.publicKey));
  // The one validator holds all the voting power; voting periods are long so nothing is tallied mid-test.
  const genesis: Genesis = {
    ...makeGenesis(validatorKey, "gov-e2e"),
    allocations: [{ address: addressFromPublicKey(validatorKey.alg, validatorKey.publicKey), amount: "100000" }],
    params: { chain: { epochBlocks: 5 }, governance: { votingPeriodEpochs: 10_000, minDeposit: 500 } },
  };
  const node = openTestChain({ dir, key: validatorKey, genesis, intervalMs: 20 });
  node.producer.start();
  url = await node.api.listen({ host: "127.0.0.1", port: 0 });
  close = () => node.close();
});

after(async () => {
  await close();
  removeDir(dir);
});

type Shown = { id: number; status: string; type: string; title: string; proposer: string; deposit: string; content: unknown; votingEndsEpoch: number; votes: { voter: string; option: string }[]; runningTally: { yes: string; outcomeIfTalliedNow: string } | null };

describe("governance over the CLI and API", () => {
  it("proposes a param change with the exact command, prints {proposalId, hash, height}, and shows the vote in the running tally", async () => {
    const proposed = json<{ proposalId: number; hash: string; height: number }>(
      await cli("gov", "propose", "--node", url, "--key", keyFile, "--type", "param-change", "--param", "staking.rewardRateBps", "--value", "200", "--json"),
    );
    assert.equal(proposed.proposalId, 1);
    assert.match(proposed.hash, /^[0-9a-f]{64}$/);
    assert.ok(proposed.height >= 1);
    const before = json<Shown>(await cli("gov", "show", "1", "--node", url, "--json"));
    assert.deepEqual([before.status, before.type, before.title, before.proposer, before.deposit], ["voting", "param-change", "Set staking.rewardRateBps = 200", validator, "500"]);
    assert.deepEqual(before.content, { type: "param-change", changes: [{ module: "staking", param: "rewardRateBps", value: 200 }] });
    assert.equal(before.runningTally?.yes, "0");
    const voted = json<{ proposalId: number; option: string; height: number }>(await cli("gov", "vote", "1", "yes", "--node", url, "--key", keyFile, "--json"));
    assert.deepEqual([voted.proposalId, voted.option], [1, "yes"]);
    const after = json<Shown>(await cli("gov", "show", "1", "--node", url, "--json"));
    assert.deepEqual(after.votes, [{ voter: validator, option: "yes" }]);
    assert.deepEqual([after.runningTally?.yes, after.runningTally?.outcomeIfTalliedNow], ["1", "passed"]);
  });

  it("halts token.transfer at once through the emergency fast path, and lists it as executed", async () => {
    const { proposalId } = json<{ proposalId: number }>(
      await cli("gov", "propose", "--node", url, "--key", keyFile, "--type", "emergency", "--action", "halt", "--tx-type", "token.transfer", "--deposit", "700", "--json"),
    );
    json(await cli("gov", "vote", String(proposalId), "yes", "--node", url, "--key", keyFile, "--json"));
    const shown = json<Shown>(await cli("gov", "show", String(proposalId), "--node", url, "--json"));
    assert.deepEqual([shown.status, shown.deposit, shown.runningTally], ["executed", "700", null]);
    const halted = await getJson<{ halted: string[]; haltable: string[] }>("/v1/gov/halted");
    assert.deepEqual(halted.halted, ["token.transfer"]);
    assert.ok(!halted.haltable.some((t) => t.startsWith("gov.")));
    const listed = json<{ proposals: { id: number; status: string }[] }>(await cli("gov", "list", "--node", url, "--status", "executed", "--json"));
    assert.deepEqual(listed.proposals.map((p) => p.id), [proposalId]);
    const all = json<{ proposals: { id: number }[] }>(await cli("gov", "list", "--node", url, "--json"));
    assert.deepEqual(all.proposals.map((p) => p.id), [proposalId, 1]);
    assert.deepEqual((await getJson<{ plan: unknown }>("/v1/gov/upgrade")).plan, null);
  });

  it("reports usage errors clearly and a missing proposal as not found", async () => {
    const cases: [string[], RegExp][] = [
      [["gov", "propose", "--node", url, "--key", keyFile], /--type/],
      [["gov", "propose", "--node", url, "--key", keyFile, "--type", "poll"], /--type: one of param-change/],
      [["gov", "propose", "--node", url, "--key", keyFile, "--type", "param-change", "--param", "staking.rewardRateBps"], /one --value per --param/],
      [["gov", "propose", "--node", url, "--key", keyFile, "--type", "emergency", "--action", "halt"], /--tx-type/],
      [["gov", "vote", "1", "maybe", "--node", url, "--key", keyFile], /OPTION: one of yes, no, abstain, veto/],
      [["gov", "vote", "1", "yes", "--node", url], /--home DIR|--key FILE/],
      [["gov", "show", "--node", url], /usage: ghostmesh gov show ID/],
      [["gov", "list", "--node", url, "--status", "done"], /--status: one of/],
      [["gov", "elect"], /unknown subcommand "gov elect"/],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(...argv);
      assert.equal(result.code, 2, argv.join(" "));
      assert.match(result.stderr, message);
    }
    const missing = await cli("gov", "show", "99", "--node", url, "--json");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no proposal 99/);
    const help = await cli("gov", "--help");
    for (const sub of ["propose", "vote", "show", "list"]) assert.match(help.stdout, new RegExp(`ghostmesh gov ${sub} `));
  });
});
