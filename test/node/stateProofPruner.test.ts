/**
 * A node pruning its state proofs (config state.proofHistoryBlocks, src/node/stateProofPruner.ts):
 * the last heights and each epoch's last height still prove over the API, older heights answer
 * 410 STATE_VERSION_PRUNED, every value stays readable, the metrics show it, and
 * `ghostmesh verify` still verifies the store.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Registry } from "prom-client";
import { balanceKey } from "../../src/app/index.ts";
import { buildTx, type TxIntent } from "../../src/client/index.ts";
import { addressFromPublicKey, generateSigningKey, type SigningKey } from "../../src/crypto/index.ts";
import type { Chain } from "../../src/node/chain.ts";
import { loadNodeConfig } from "../../src/node/config.ts";
import { createNodeMetrics } from "../../src/node/metrics.ts";
import { defaultStateProofPrunerTiming, nextPruneDelayMs, StateProofPruner, startStateProofPruner } from "../../src/node/stateProofPruner.ts";
import { verifyStore } from "../../src/node/verify.ts";
import { verifyStateProof, type StateProofResult } from "../../src/state/index.ts";
import { isGhostmeshError, toHex } from "../../src/util/index.ts";
import { makeGenesis, openTestChain, removeDir, silentLogger, type TestChain } from "../helpers/testChain.ts";
import { waitFor } from "../p2p/helpersHost.ts";

const RECEIVER = new Uint8Array(20).fill(0x77);
const EPOCH_BLOCKS = 4;
const HISTORY_BLOCKS = 3;
const TRANSFERS = 12;

describe("state proof pruning in a node", () => {
  let t: TestChain;
  let chain: Chain;
  let pruner: StateProofPruner | null = null;
  const register = new Registry();
  /** Per height: the receiver's balance row and its proof, before any pruning. */
  const recorded: { value: string | null; proof: string }[] = [];
  let head = 0;

  const proofOf = (result: StateProofResult) => JSON.stringify(result, (_, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v));
  const proveOverApi = (height: number) => t.api.inject({ method: "GET", url: `/v1/state/proof?key=${toHex(balanceKey(RECEIVER))}&height=${height}` });

  before(async () => {
    const key: SigningKey = generateSigningKey();
    const validator = addressFromPublicKey(key.alg, key.publicKey);
    const genesis = { ...makeGenesis(key), allocations: [{ address: validator, amount: "1000000" }], params: { chain: { epochBlocks: EPOCH_BLOCKS } } };
    t = openTestChain({ key, genesis });
    chain = t.chain;
    t.producer.start();
    let nonce = 0;
    const send = async (intent: TxIntent): Promise<void> => {
      const built = buildTx(key, genesis.chainId, nonce++, intent);
      const res = await t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(built.bytes) });
      assert.equal(res.statusCode, 200, res.body);
    };
    await send({ type: "account.register" });
    // One transfer a block: the receiver's balance leaf is rewritten at every height.
    for (let i = 1; i <= TRANSFERS; i++) await send({ type: "token.transfer", to: RECEIVER, amount: BigInt(i) });
    await t.producer.stop();
    head = chain.head.height;
    for (let height = 0; height <= head; height++) {
      const value = chain.state.get(balanceKey(RECEIVER), height);
      recorded.push({ value: value === null ? null : toHex(value), proof: proofOf(chain.state.prove(balanceKey(RECEIVER), height)) });
    }
  });

  after(async () => {
    pruner?.stop();
    await t.close();
    removeDir(t.dir);
  });

  it("prunes in steps until only the last heights and each epoch's last height prove", async () => {
    assert.ok(head >= TRANSFERS + 1, `one block per transaction (head ${head})`);
    const metrics = createNodeMetrics(register);
    pruner = startStateProofPruner(HISTORY_BLOCKS, { chain, logger: silentLogger, metrics });
    const bound = head - HISTORY_BLOCKS + 1;
    await waitFor(() => chain.state.proofsPrunedBefore === bound, `proofs pruned up to ${bound}`);
    const exposition = await register.metrics();
    assert.match(exposition, new RegExp(`^ghostmesh_state_proofs_pruned_before_height ${bound}$`, "m"));
    const nodesPruned = /^ghostmesh_state_nodes_pruned_total (\d+)$/m.exec(exposition);
    assert.ok(nodesPruned !== null && Number(nodesPruned[1]) > 0, "deleted nodes are counted");
  });

  it("answers proofs from the bound on and at each epoch's last height as before, and 410 STATE_VERSION_PRUNED below it elsewhere", async () => {
    const bound = chain.state.proofsPrunedBefore;
    for (let height = 0; height <= head; height++) {
      const response = await proveOverApi(height);
      const kept = height >= bound || (height + 1) % EPOCH_BLOCKS === 0;
      if (kept) {
        assert.equal(response.statusCode, 200, `height ${height}: ${response.body}`);
        assert.equal(proofOf(chain.state.prove(balanceKey(RECEIVER), height)), recorded[height]!.proof, `height ${height} proves as before`);
        const proven = chain.state.prove(balanceKey(RECEIVER), height);
        assert.ok(verifyStateProof(chain.state.root(height), balanceKey(RECEIVER), proven.value, proven.proof));
      } else if (height >= 2) {
        // From height 2 on the receiver's leaf changes at every height, so its old rows are gone.
        assert.equal(response.statusCode, 410, `height ${height}: ${response.body}`);
        assert.equal((JSON.parse(response.body) as { error: { code: string } }).error.code, "STATE_VERSION_PRUNED");
      }
    }
  });

  it("says in /v1/status from which height every state proof is answered", async () => {
    const response = await t.api.inject({ method: "GET", url: "/v1/status" });
    assert.equal((JSON.parse(response.body) as { stateProofsFromHeight: number }).stateProofsFromHeight, chain.state.proofsPrunedBefore);
    assert.ok(chain.state.proofsPrunedBefore > 0);
  });

  it("keeps every value: reads at any height are unchanged", () => {
    for (let height = 0; height <= head; height++) {
      const value = chain.state.get(balanceKey(RECEIVER), height);
      assert.equal(value === null ? null : toHex(value), recorded[height]!.value, `value at ${height}`);
    }
  });

  it("verify replays the pruned store: roots against headers, values where the proofs are gone", async () => {
    const report = await verifyStore(t.store, t.genesis);
    assert.equal(report.height, head);
  });

  it("catching up waits at least the catch-up interval and four times the last run, so pruning takes at most a fifth of the loop", () => {
    const timing = defaultStateProofPrunerTiming;
    assert.equal(nextPruneDelayMs(timing, false, 30), timing.idleIntervalMs, "caught up: the idle interval");
    assert.equal(nextPruneDelayMs(timing, true, 5), timing.catchUpIntervalMs, "a quick run: the catch-up interval");
    assert.equal(nextPruneDelayMs(timing, true, 100), 400, "a slow run (slow disk): four times its duration");
    assert.equal(nextPruneDelayMs(timing, true, 20.2), 81);
  });

  it("config: state.proofHistoryBlocks defaults to 0 (keep all), takes GHOSTMESH_STATE_PROOF_HISTORY_BLOCKS, and refuses a bad value naming it", () => {
    const home = mkdtempSync(join(tmpdir(), "gm-proof-config-"));
    try {
      assert.equal(loadNodeConfig(home, {}).state.proofHistoryBlocks, 0);
      assert.equal(startStateProofPruner(0, { chain, logger: silentLogger }), null, "0 starts no pruner");
      assert.equal(loadNodeConfig(home, { GHOSTMESH_STATE_PROOF_HISTORY_BLOCKS: "5000" }).state.proofHistoryBlocks, 5000);
      assert.throws(
        () => loadNodeConfig(home, { GHOSTMESH_STATE_PROOF_HISTORY_BLOCKS: "-3" }),
        (err: unknown) => isGhostmeshError(err) && err.code === "NODE_CONFIG_INVALID" && /^GHOSTMESH_STATE_PROOF_HISTORY_BLOCKS="-3": expected a decimal integer$/.test(err.message),
      );
    } finally {
      removeDir(home);
    }
  });
});
