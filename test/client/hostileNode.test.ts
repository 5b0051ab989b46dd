/**
 * A node is a peer like any other: the client and the CLI read its answers through a proxy that
 * damages them (test/helpers/jsonMutation.ts). Every client call returns a checked answer or
 * throws ClientError; every CLI command exits 0, 1 or 2 with a message, never an unexpected
 * error. Undamaged, the node's real answers pass the client's checks.
 */
import { strict as assert } from "node:assert";
import { createServer, type Server } from "node:http";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { buildTx, ClientError, GhostmeshClient } from "../../src/client/index.ts";
import { runCli } from "../../src/cli/main.ts";
import { encodeKeyFile, formatAddress } from "../../src/crypto/index.ts";
import { genesisToJson } from "../../src/node/home.ts";
import { toHex } from "../../src/util/index.ts";
import { jsonMutations, mutateJson } from "../helpers/jsonMutation.ts";
import { openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

/** The damage to apply, to the `nth` JSON answer the proxy relays (0: the first) after it is set. */
type Damage = { readonly nth: number; readonly mutations: Parameters<typeof mutateJson>[1] };

describe("a hostile node: damaged API answers", () => {
  let t: TestChain;
  let proxy: Server;
  let proxyUrl = "";
  let damage: Damage | null = null;
  let relayed = 0;
  let txHash = "";
  let address = "";
  let stateKey = "";
  let genesisFile = "";
  let keyFile = "";

  before(async () => {
    t = openTestChain();
    t.producer.start();
    const nodeUrl = await t.api.listen({ host: "127.0.0.1", port: 0 });
    const post = (bytes: Uint8Array) => t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(bytes) });
    const registration = buildTx(t.validatorKey, t.genesis.chainId, 0, { type: "account.register" });
    assert.equal((await post(registration.bytes)).statusCode, 200);
    const appended = buildTx(t.validatorKey, t.genesis.chainId, 1, { type: "audit.append", record: { action: "deploy", subject: "api" } });
    assert.equal((await post(appended.bytes)).statusCode, 200);
    txHash = toHex(appended.hash);
    address = formatAddress(registration.signedTx.tx.from);
    stateKey = `01${toHex(registration.signedTx.tx.from)}`;
    genesisFile = join(t.dir, "genesis.json");
    writeFileSync(genesisFile, genesisToJson(t.genesis));
    keyFile = join(t.dir, "key.json");
    writeFileSync(keyFile, encodeKeyFile(t.validatorKey, { plain: true }));
    proxy = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", async () => {
        const body = chunks.length === 0 ? undefined : Buffer.concat(chunks);
        const answer = await fetch(`${nodeUrl}${request.url}`, { method: request.method, headers: body ? { "content-type": String(request.headers["content-type"]) } : {}, body });
        let text = await answer.text();
        const nth = relayed++;
        if (damage !== null && damage.nth === nth) text = JSON.stringify(mutateJson(JSON.parse(text), damage.mutations)) ?? "null";
        response.writeHead(answer.status, { "content-type": "application/json" }).end(text);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => proxy.close(resolve));
    await t.close();
    removeDir(t.dir);
  });

  const calls: readonly [string, (client: GhostmeshClient) => Promise<unknown>][] = [
    ["status", (c) => c.status()],
    ["tx", (c) => c.tx(txHash)],
    ["tx (not found)", (c) => c.tx("00".repeat(32))],
    ["block", (c) => c.block(1)],
    ["checkpoint", (c) => c.checkpoint()],
    ["audit", (c) => c.audit({ limit: 5 })],
    ["inclusionProof", (c) => c.inclusionProof(txHash)],
    ["consistencyProof", (c) => c.consistencyProof(1)],
    ["stateProof", (c) => c.stateProof(stateKey)],
    ["validatorSets", (c) => c.validatorSets(0)],
    ["validatorSet", (c) => c.validatorSet(0)],
    ["account", (c) => c.account(address)],
    ["roles", (c) => c.roles(address)],
    ["policies", (c) => c.policies()],
    ["genesis", (c) => c.genesis()],
  ];

  it("every client call takes the node's real answers", async () => {
    const client = new GhostmeshClient(proxyUrl);
    for (const [name, call] of calls) {
      if (name === "tx (not found)") await assert.rejects(call(client), (err: unknown) => err instanceof ClientError && err.code === "API_NOT_FOUND");
      else await call(client);
    }
  });

  it("every client call returns a checked answer or throws ClientError, whatever the damage (property)", async () => {
    const client = new GhostmeshClient(proxyUrl);
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...calls), jsonMutations, async ([name, call], mutations) => {
        damage = { nth: relayed, mutations };
        try {
          await call(client);
        } catch (err) {
          assert.ok(err instanceof ClientError, `${name}: ${String(err)}`);
          codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
        } finally {
          damage = null;
        }
      }),
      { numRuns: 600 },
    );
    assert.ok((codes.get("CLIENT_BAD_RESPONSE") ?? 0) >= 100, `damage is caught as CLIENT_BAD_RESPONSE (${JSON.stringify([...codes])})`);
  });

  it("every CLI command that reads a node exits 0, 1 or 2 with a message, whatever the damage to any of its answers (property)", async () => {
    const commands: readonly string[][] = [
      ["query", "status"],
      ["query", "tx", txHash],
      ["query", "block", "1"],
      ["query", "checkpoint"],
      ["query", "account", address],
      ["query", "balance", address],
      ["query", "audit", "--limit", "3"],
      ["query", "consistency", "--from", "1"],
      ["query", "params"],
      ["query", "proof", txHash, "--verify", "--genesis", genesisFile, "--no-trust-cache"],
      ["query", "proof", txHash, "--verify", "--no-trust-cache"],
      ["query", "state", "--key", stateKey, "--prove", "--genesis", genesisFile, "--no-trust-cache"],
      ["roles", "show", address],
      ["roles", "policies"],
      ["stake", "validators"],
      ["stake", "show", address],
      ["gov", "list"],
      ["gov", "show", "1"],
      ["env", "green"],
      ["env", "green", "--prove", "--genesis", genesisFile, "--no-trust-cache"],
      ["tx", "send", "--key", keyFile, "--type", "audit.append", "--data", '{"action":"through a hostile node"}', "--wait", "--timeout-ms", "2000"],
      ["tx", "transfer", "--key", keyFile, "--to", address, "--amount", "1"],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...commands), fc.nat(3), jsonMutations, async (argv, nth, mutations) => {
        let stderr = "";
        damage = { nth: relayed + nth, mutations };
        try {
          const code = await runCli([...argv, "--node", proxyUrl], { stdout: () => {}, stderr: (text) => void (stderr += text), env: {} });
          assert.ok([0, 1, 2].includes(code), `ghostmesh ${argv.join(" ")}: exit ${code}`);
          assert.doesNotMatch(stderr, /unexpected error|\n\s+at /, `ghostmesh ${argv.join(" ")}`);
        } finally {
          damage = null;
        }
      }),
      { numRuns: 300 },
    );
  });
});
