/**
 * Environments end to end against a real one-validator node in this process (decision 0604):
 * `ghostmesh env ...` commands over HTTP, a promotion refused with one of the two required
 * signatures and committed with two, then `env green --prove` verifying the promotion against
 * a QC-signed checkpoint; a node that tampers with the proofs is caught.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addressFromPublicKey, generateSigningKey, saveKeyFile, type SigningKey } from "../../src/crypto/index.ts";
import type { Genesis } from "../../src/ledger/index.ts";
import { makeGenesis, openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";
import { cli, json } from "../helpers/cliInProcess.ts";

type Node = { api: TestChain["api"]; url: string; close(): Promise<void> };

let dir = "";
let node: Node | undefined;
const files: Record<"alice" | "bob" | "carol", string> = { alice: "", bob: "", carol: "" };
const HASH_1 = "11".repeat(32);
const HASH_2 = "22".repeat(32);

/** A proxy to the node that rewrites the JSON of responses whose path starts with `prefix`. */
async function tamperingProxy(target: string, prefix: string, rewrite: (body: Record<string, unknown>) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(async (request, response) => {
    const upstream = await fetch(`${target}${request.url ?? "/"}`);
    const body = (await upstream.json()) as Record<string, unknown>;
    if ((request.url ?? "").startsWith(prefix)) rewrite(body);
    response.writeHead(upstream.status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, server };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "gm-env-"));
  const keys = { alice: generateSigningKey(), bob: generateSigningKey(), carol: generateSigningKey() };
  const address = (key: SigningKey) => addressFromPublicKey(key.alg, key.publicKey);
  for (const name of ["alice", "bob", "carol"] as const) {
    files[name] = join(dir, `${name}.key.json`);
    saveKeyFile(files[name], keys[name], { plain: true });
  }
  const validatorKey = generateSigningKey();
  const genesis: Genesis = {
    ...makeGenesis(validatorKey, "env-e2e"),
    roles: [
      { address: address(keys.alice), roles: ["admin", "write_blue_state", "promote_to_green"] },
      { address: address(keys.bob), roles: ["promote_to_green"] },
    ],
    policies: [{ operation: "env.promote", threshold: 2, signers: [address(keys.alice), address(keys.bob), address(keys.carol)] }],
  };
  // A producer on a genesis where alice writes Blue state, alice and bob promote, and env.promote needs 2 of {alice, bob, carol}.
  const chain = openTestChain({ dir, key: validatorKey, genesis });
  chain.producer.start();
  node = { api: chain.api, url: await chain.api.listen({ host: "127.0.0.1", port: 0 }), close: () => chain.close() };
});

after(async () => {
  await node?.close();
  removeDir(dir);
});

describe("environments over the CLI and API", () => {
  it("creates, checkpoints and shows a Blue environment; refuses a bad state hash as a usage error", async () => {
    const url = node!.url;
    json(await cli("env", "create", "staging", "--state-hash", HASH_1, "--version", "1", "--description", "release candidate", "--node", url, "--key", files.alice, "--wait", "--json"));
    json(await cli("env", "checkpoint", "staging", "--state-hash", HASH_1, "--version", "1", "--node", url, "--key", files.alice, "--wait", "--json"));
    const shown = json<{ environment: { name: string; stateHash: string; version: number; description: string }; checkpoints: { total: number; recent: { version: number }[] } }>(
      await cli("env", "show", "staging", "--node", url, "--json"),
    );
    assert.deepEqual([shown.environment.name, shown.environment.stateHash, shown.environment.version, shown.environment.description], ["staging", HASH_1, 1, "release candidate"]);
    assert.deepEqual(shown.checkpoints.recent.map((c) => c.version), [1]);
    const badHash = await cli("env", "create", "other", "--state-hash", "abcd", "--version", "1", "--node", url, "--key", files.alice);
    assert.equal(badHash.code, 2);
    assert.match(badHash.stderr, /--state-hash: expected 64 hex characters/);
    const help = await cli("env", "--help");
    assert.equal(help.code, 0);
    for (const sub of ["create", "promote", "checkpoint", "merge", "show"]) assert.match(help.stdout, new RegExp(`ghostmesh env ${sub} `));
    const noSource = await cli("env", "merge", "staging", "--strategy", "ours", "--state-hash", HASH_2, "--version", "2", "--node", url, "--key", files.alice);
    assert.deepEqual([noSource.code, /--source/.test(noSource.stderr)], [2, true]);
    const missing = await cli("env", "show", "nowhere", "--node", url, "--json");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no environment named "nowhere"/);
  });

  it("refuses a promotion with one of the two required signatures, commits it with two, and Green and its history show it", async () => {
    const url = node!.url;
    const alone = await cli("env", "promote", "staging", "--node", url, "--key", files.alice, "--wait", "--timeout-ms", "1000", "--json");
    assert.notEqual(alone.code, 0);
    assert.match(alone.stderr, /refused at execution.*APP_POLICY_THRESHOLD_NOT_MET/, "the node refuses the promotion and says why");
    const before = json<{ green: unknown; history: { total: number } }>(await cli("env", "green", "--node", url, "--json"));
    assert.deepEqual([before.green, before.history.total], [null, 0]);
    const promoted = json<{ hash: string; height: number }>(await cli("env", "promote", "staging", "--node", url, "--key", files.alice, "--cosign", files.bob, "--wait", "--json"));
    const green = json<{ green: { name: string; stateHash: string; version: number; txHash: string; height: number }; history: { total: number; entries: { index: number; txHash: string }[] } }>(
      await cli("env", "show-green", "--node", url, "--json"),
    );
    assert.deepEqual([green.green.name, green.green.stateHash, green.green.version, green.green.txHash, green.green.height], ["staging", HASH_1, 1, promoted.hash, promoted.height]);
    assert.deepEqual(green.history.entries.map((e) => [e.index, e.txHash]), [[0, promoted.hash]]);
    json(await cli("env", "update", "staging", "--state-hash", HASH_2, "--version", "2", "--node", url, "--key", files.alice, "--wait", "--json"));
    const second = json<{ hash: string }>(await cli("env", "promote", "staging", "--node", url, "--key", files.bob, "--cosign", files.carol, "--wait", "--json"));
    const history = json<{ green: { txHash: string; stateHash: string }; history: { total: number } }>(await cli("env", "history", "--node", url, "--json"));
    assert.deepEqual([history.history.total, history.green.txHash, history.green.stateHash], [2, second.hash, HASH_2]);
  });

  it("green --prove verifies the Green record and the promotion's inclusion against a QC-verified checkpoint", async () => {
    const proven = json<{ verified: boolean; green: { name: string; version: number; txHash: string }; checkpoint: { treeSize: number; rootHash: string }; inclusion: { leafIndex: number } }>(
      await cli("env", "show-green", "--node", node!.url, "--prove", "--json"),
    );
    const current = (await (await fetch(`${node!.url}/v1/env-green`)).json()) as { green: { txHash: string } };
    assert.equal(proven.verified, true);
    assert.deepEqual([proven.green.name, proven.green.version, proven.green.txHash], ["staging", 2, current.green.txHash]);
    const tx = (await (await fetch(`${node!.url}/v1/txs/${current.green.txHash}`)).json()) as { firstLeaf: number };
    assert.equal(proven.inclusion.leafIndex, tx.firstLeaf);
    assert.ok(proven.inclusion.leafIndex < proven.checkpoint.treeSize);
  });

  it("green --prove fails against a node that tampers with the log entry, the state proof or the checkpoint", async () => {
    const flipBase64 = (text: string) => {
      const bytes = Buffer.from(text, "base64");
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
      return bytes.toString("base64");
    };
    const flipHex = (text: string) => `${text.slice(0, -1)}${text.endsWith("0") ? "1" : "0"}`;
    const cases: [string, (body: Record<string, unknown>) => void, RegExp][] = [
      ["/v1/proofs/inclusion/", (body) => void (body.entry = flipBase64(body.entry as string)), /inclusion proof for leaf \d+ does not verify/],
      ["/v1/state/proof", (body) => void (body.value = flipHex(body.value as string)), /state proof of value .* does not verify/],
      ["/v1/checkpoint", (body) => void ((body.certificate as { signatures: string[] }).signatures[0] = flipHex((body.certificate as { signatures: string[] }).signatures[0] as string)), /signature|certificate|quorum/i],
    ];
    for (const [prefix, rewrite, expected] of cases) {
      const proxy = await tamperingProxy(node!.url, prefix, rewrite);
      try {
        const result = await cli("env", "green", "--node", proxy.url, "--prove", "--json");
        assert.equal(result.code, 1, `${prefix}: ${result.stdout}`);
        assert.match(result.stderr, expected, prefix);
        assert.equal(result.stdout, "");
      } finally {
        await new Promise((resolve) => proxy.server.close(resolve));
      }
    }
  });

  it("serves 400 for a malformed environment name", async () => {
    const res = await node!.api.inject({ method: "GET", url: "/v1/env/Bad_Name" });
    assert.equal(res.statusCode, 400);
    assert.match((res.json() as { error: { message: string } }).error.message, /not an environment name/);
  });
});
