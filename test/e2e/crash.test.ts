/**
 * End to end: kill -9 of a node during a load of single transactions. Every transaction the
 * node acknowledged as committed must survive the crash at the same height, the store the
 * crash left must pass `ghostmesh verify`, and the restarted node must go on producing blocks.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { addressFromPublicKey, formatAddress, generateSigningKey, type SigningKey } from "../../src/crypto/index.ts";
import { buildTx, GhostmeshClient } from "../../src/client/index.ts";
import { killAllChildren, makeTempDir, mapLimit, parseJsonOutput, removeDir, runCli, startNode, type RunningNode } from "./helpers.ts";

const KEYS = 4;
const IN_FLIGHT_PER_KEY = 6;
const ROUNDS = 2;
/** Kill once this many transactions were acknowledged in the round (the load is still running then). */
const ACKS_BEFORE_KILL = 60;
const NODE_ARGS = ["--block-interval-ms", "20"] as const;

type Ack = { hash: string; height: number; round: number };
type VerifyJson = { ok: boolean; height: number; txs: number; logSize: number };

function addressOf(key: SigningKey): string {
  return formatAddress(addressFromPublicKey(key.alg, key.publicKey));
}

/**
 * Sends audit.append transactions from every key, several in flight per key, recording the
 * ones the node answers as committed, and kills the node with SIGKILL once `ACKS_BEFORE_KILL`
 * were acknowledged while requests are still in flight.
 */
async function loadThenKill(node: RunningNode, keys: readonly SigningKey[], chainId: string, round: number): Promise<{ acks: Ack[]; inFlightAtKill: number }> {
  const client = new GhostmeshClient(node.api);
  const acks: Ack[] = [];
  const errorsBeforeKill: string[] = [];
  let killed = false;
  let inFlight = 0;
  let inFlightAtKill = 0;
  const nextNonces = await Promise.all(keys.map(async (key) => (await client.account(addressOf(key))).nextNonce));
  const worker = async (keyIndex: number) => {
    const key = keys[keyIndex] as SigningKey;
    while (!killed) {
      const nonce = nextNonces[keyIndex]!;
      nextNonces[keyIndex] = nonce + 1;
      const built = buildTx(key, chainId, nonce, { type: "audit.append", record: { action: "load", subject: `k${keyIndex}`, data: { round, nonce } } });
      inFlight += 1;
      try {
        const response = await client.submitTx(built.bytes, { wait: true, timeoutMs: 20_000 });
        if (response.status === "committed" && response.height !== undefined) acks.push({ hash: response.hash, height: response.height, round });
        else if (!killed) errorsBeforeKill.push(`tx ${response.hash}: status ${response.status}`);
      } catch (err) {
        if (!killed) errorsBeforeKill.push((err as Error).message);
        return;
      } finally {
        inFlight -= 1;
      }
      if (!killed && acks.filter((a) => a.round === round).length >= ACKS_BEFORE_KILL) {
        killed = true;
        inFlightAtKill = inFlight;
        node.child.kill("SIGKILL");
      }
    }
  };
  const workers = keys.flatMap((_, keyIndex) => Array.from({ length: IN_FLIGHT_PER_KEY }, () => worker(keyIndex)));
  await Promise.all(workers);
  // Every worker stopped on an error before the threshold: kill anyway so the test reports it instead of hanging.
  if (!killed) node.child.kill("SIGKILL");
  const exit = await node.exited;
  assert.deepEqual(errorsBeforeKill, [], "requests failed before the kill");
  assert.equal(exit.signal, "SIGKILL", `the node was not killed by the test: ${JSON.stringify(exit)}\n${node.output()}`);
  return { acks, inFlightAtKill };
}

describe("kill -9 of a node during a load of single transactions", () => {
  let dir = "";
  let home = "";
  let chainId = "";
  let node: RunningNode | undefined;
  const keys = Array.from({ length: KEYS }, () => generateSigningKey());
  const acks: Ack[] = [];

  before(async () => {
    dir = makeTempDir("crash");
    home = `${dir}/node`;
    const init = await runCli(["init", "--home", home, "--plain-key", "--chain-id", "e2e-crash", "--json"]);
    assert.equal(init.code, 0, init.stderr);
    chainId = parseJsonOutput<{ chainId: string }>(init).chainId;
    assert.equal(chainId, "e2e-crash");
  });

  after(async () => {
    await node?.stop();
    killAllChildren();
    removeDir(dir);
  });

  it("every round of load is killed mid-flight and the killed store passes ghostmesh verify", async (t) => {
    for (let round = 1; round <= ROUNDS; round++) {
      const running = await startNode(home, NODE_ARGS);
      node = running;
      if (round === 1) {
        const client = new GhostmeshClient(running.api);
        const registrations = await Promise.all(keys.map((key) => client.submitTx(buildTx(key, chainId, 0, { type: "account.register" }).bytes, { wait: true })));
        assert.ok(registrations.every((r) => r.status === "committed"));
      }
      const startedMs = Date.now();
      const result = await loadThenKill(running, keys, chainId, round);
      t.diagnostic(`round ${round}: ${result.acks.length} acknowledged in ${Date.now() - startedMs} ms, ${result.inFlightAtKill} in flight at the kill`);
      assert.ok(result.acks.length >= ACKS_BEFORE_KILL, `round ${round}: only ${result.acks.length} acknowledged`);
      assert.ok(result.inFlightAtKill > 0, `round ${round}: no request was in flight when the node was killed`);
      acks.push(...result.acks);
      node = undefined;
      const verify = await runCli(["verify", "--home", home, "--json"]);
      assert.equal(verify.code, 0, `verify after kill -9 in round ${round}: ${verify.stdout}${verify.stderr}`);
      const report = parseJsonOutput<VerifyJson>(verify);
      assert.equal(report.ok, true);
      const highest = Math.max(...result.acks.map((a) => a.height));
      assert.ok(report.height >= highest, `round ${round}: store head ${report.height} is below acknowledged height ${highest}`);
    }
  });

  it("after a restart, every acknowledged transaction is committed at the height it was acknowledged with", async () => {
    assert.ok(acks.length >= ROUNDS * ACKS_BEFORE_KILL, `only ${acks.length} acknowledged transactions recorded`);
    node = await startNode(home, NODE_ARGS);
    const client = new GhostmeshClient(node.api);
    const lost: string[] = [];
    await mapLimit(acks, 8, async (ack) => {
      try {
        const tx = await client.tx(ack.hash);
        if (tx.status !== "committed" || tx.height !== ack.height) lost.push(`${ack.hash}: ${tx.status} at ${tx.height}, acknowledged at ${ack.height}`);
      } catch (err) {
        lost.push(`${ack.hash}: ${(err as Error).message}`);
      }
    });
    assert.deepEqual(lost, [], `${lost.length} of ${acks.length} acknowledged transactions are missing or moved`);
  });

  it("the restarted node resumes producing blocks for new transactions from every key", async () => {
    assert.ok(node, "no running node");
    const client = new GhostmeshClient(node.api);
    const headBefore = (await client.status()).height;
    const results = await Promise.all(
      keys.map(async (key, i) => {
        const nonce = (await client.account(addressOf(key))).nextNonce;
        return client.submitTx(buildTx(key, chainId, nonce, { type: "audit.append", record: { action: "after-restart", subject: `k${i}` } }).bytes, { wait: true });
      }),
    );
    for (const result of results) {
      assert.equal(result.status, "committed");
      assert.ok((result.height ?? 0) > headBefore, `committed at ${result.height}, head before was ${headBefore}`);
    }
    const exit = await node.stop();
    node = undefined;
    assert.equal(exit.code, 0, "the node did not stop cleanly on SIGTERM");
    const verify = await runCli(["verify", "--home", home, "--json"]);
    assert.equal(verify.code, 0, `${verify.stdout}${verify.stderr}`);
    const report = parseJsonOutput<VerifyJson>(verify);
    // Registrations + acknowledged + the ones just sent, at least: more may have committed unacknowledged before each kill.
    assert.ok(report.txs >= KEYS + acks.length + KEYS, `verify counted ${report.txs} transactions`);
  });
});
