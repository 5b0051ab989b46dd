/**
 * RunningValidator.resync: consensus stops while the work runs and starts again with a new
 * host; the API answers throughout and reports `syncing`; blocks the work commits reach the
 * API's waiting clients; a work that throws stops the validator. At start, the API answers
 * (syncing) while block sync runs, before consensus.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { ClientError, GhostmeshClient } from "../../../src/client/index.ts";
import { sendTx } from "../../../src/cli/cmds/tx.ts";
import { txBuild } from "../../../src/cli/cmds/txOffline.ts";
import { findFreePorts } from "../../../src/node/p2p/index.ts";
import { GhostmeshError } from "../../../src/util/index.ts";
import { newAccount, signNext, startCluster, waitFor, type Cluster } from "./cluster.ts";

describe("a validator leaving consensus to sync and rejoining (resync)", () => {
  let cluster: Cluster;

  before(async () => {
    // Empty blocks keep an idle chain moving, so the rejoined validator hears of the head it missed.
    cluster = await startCluster(4, { emptyIntervalMs: 200 });
  });

  after(async () => {
    await cluster?.close();
  });

  it("answers on its API and reports syncing while out of consensus, then commits through a new consensus host", async () => {
    const validator = cluster.validators[3]!;
    const client = cluster.client(3);
    assert.equal((await client.status()).syncing, false);
    const hostBefore = validator.host;
    let seenInside: { syncing: boolean; hostRunning: boolean; resyncing: boolean } | null = null;
    const account = newAccount();
    const registration = signNext(account, { type: "account.register" });
    const append = signNext(account, { type: "audit.append", record: { action: "deploy", subject: "svc" } });
    let refusedWhileSyncing: unknown = null;
    await validator.resync(async () => {
      seenInside = { syncing: (await client.status()).syncing, hostRunning: hostBefore.isRunning, resyncing: validator.resyncing };
      // Meanwhile the others commit; this validator is out of consensus and falls behind.
      await cluster.client(0).submitTx(registration.bytes, { wait: true, timeoutMs: 20_000 });
      // Its state does not hold the registration yet: an unknown account is no final verdict.
      refusedWhileSyncing = await client.submitTx(append.bytes).then(() => null, (err: unknown) => err);
      // The CLI picks no nonce from a node whose state may be behind.
      const quiet = { stdout: () => undefined, stderr: () => undefined, env: {} };
      await assert.rejects(sendTx(client, account.key, { type: "audit.append", record: { action: "cli" } }, { wait: false }, quiet), (err: unknown) => err instanceof GhostmeshError && err.code === "CLI_NODE_SYNCING" && /syncing blocks \(at height \d+\).*pass --nonce N/.test(err.message));
      await assert.rejects(txBuild({ node: client.baseUrl, type: "audit.append", from: account.address }, quiet), (err: unknown) => err instanceof GhostmeshError && err.code === "CLI_NODE_SYNCING");
      // Other clients see it on the account itself: read at a stale head, while syncing.
      const accountWhileSyncing = await client.account(account.address);
      assert.deepEqual([accountWhileSyncing.syncing, accountWhileSyncing.registered, accountWhileSyncing.nextNonce], [true, false, 0]);
      assert.ok(accountWhileSyncing.height < (await cluster.client(0).status()).height);
      await assert.rejects(client.tx(registration.hash), (err: unknown) => err instanceof ClientError && err.status === 404 && /syncing blocks, at height \d+: the transaction may be in a block it has yet to sync/.test(err.message));
    });
    assert.ok(refusedWhileSyncing instanceof ClientError, String(refusedWhileSyncing));
    assert.deepEqual([refusedWhileSyncing.status, refusedWhileSyncing.code], [503, "NODE_SYNCING"]);
    assert.match(refusedWhileSyncing.message, /syncing blocks \(at height \d+\).*MEMPOOL_UNKNOWN_ACCOUNT.*"syncing": false/);
    assert.deepEqual(seenInside, { syncing: true, hostRunning: false, resyncing: true });
    assert.notEqual(validator.host, hostBefore);
    assert.ok(validator.host.isRunning && !validator.resyncing);
    assert.equal((await client.status()).syncing, false);
    // Back in consensus: it fetches what it missed and commits a transaction sent to it.
    await waitFor("the block committed meanwhile", async () => ((await client.tx(registration.hash).catch(() => null))?.status === "committed" ? true : undefined), 20_000);
    const accountAfter = await client.account(account.address);
    assert.deepEqual([accountAfter.syncing, accountAfter.registered, accountAfter.nonce], [false, true, 1]);
    const committed = await client.submitTx(append.bytes, { wait: true, timeoutMs: 20_000 });
    assert.equal(committed.status, "committed");
  });

  it("tells waiting clients about the blocks its work commits", async () => {
    const validator = cluster.validators[2]!;
    const height = validator.chain.head.height;
    const tx = signNext(newAccount(), { type: "account.register" });
    let waiting: Promise<unknown> | null = null;
    await validator.resync(async ({ onCommitted }) => {
      waiting = cluster.client(2).submitTx(tx.bytes, { wait: true, timeoutMs: 20_000 });
      await waitFor("the transaction in the pool", () => (validator.mempool.has(tx.hash) ? true : undefined), 10_000);
      onCommitted([{ height: height + 1, txHashes: [tx.hash] }]);
    });
    assert.deepEqual(await waiting, { hash: tx.hash, status: "committed", height: height + 1 });
  });

  it("stops the validator when its work throws", async () => {
    const validator = cluster.validators[1]!;
    const exitCode = process.exitCode;
    try {
      await assert.rejects(validator.resync(async () => Promise.reject(new Error("store failed"))), /store failed/);
      await waitFor("the validator to stop", async () => ((await fetch(`${validator.api.url}/v1/status`).then(() => false, () => true)) ? true : undefined), 10_000);
      assert.equal(process.exitCode, 1);
    } finally {
      process.exitCode = exitCode;
    }
  });
});

describe("a validator's API during its catch-up at start", () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster(4, { start: [0, 1, 2], emptyIntervalMs: 200 });
  });

  after(async () => {
    await cluster?.close();
  });

  it("answers, reporting syncing, before consensus starts, and stops syncing once it runs", async () => {
    const [apiPort] = await findFreePorts(1);
    let seen: { syncing: boolean } | null = null;
    const validator = await cluster.start(3, {
      apiPort,
      beforeConsensus: async () => {
        seen = await new GhostmeshClient(`http://127.0.0.1:${apiPort}`).status();
      },
    });
    assert.equal(seen!.syncing, true, "the API answered before consensus, and said syncing");
    assert.equal((await cluster.client(3).status()).syncing, false);
    assert.ok(validator.host.isRunning);
  });
});

describe("transactions a validator admits while out of consensus", () => {
  let cluster: Cluster;

  before(async () => {
    // No empty blocks and views that time out only after a minute: an idle chain sends nothing,
    // so the only way the others hear of the transaction is the rejoining host's gossip.
    cluster = await startCluster(4, { timing: { viewTimeoutBaseMs: 60_000, backoffPercent: 200, backoffExponentMax: 0 } });
  });

  after(async () => {
    await cluster?.close();
  });

  it("are gossiped when its new consensus host starts, and the leader commits them", async () => {
    const view = cluster.validators[0]!.host.stats()?.view ?? 0;
    // Not the leader of the view the idle chain waits in (leader: view mod n), so it does not propose the transaction itself.
    const index = (view + 2) % 4;
    const validator = cluster.validators[index]!;
    const tx = signNext(newAccount(), { type: "account.register" });
    await validator.resync(async () => {
      await cluster.client(index).submitTx(tx.bytes);
      await waitFor("the transaction in the pool", () => (validator.mempool.has(tx.hash) ? true : undefined), 10_000);
    });
    assert.equal(cluster.validators[0]!.host.stats()?.view, view, "the chain stayed in its view meanwhile");
    await waitFor("the transaction committed at another validator", async () => ((await cluster.client((index + 1) % 4).tx(tx.hash).catch(() => null))?.status === "committed" ? true : undefined), 10_000);
  });
});
