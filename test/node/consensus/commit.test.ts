/**
 * Four validators in one process on the in-memory network, each with its own store and
 * API: transactions submitted to different validators commit, every validator holds the same
 * chain, and a client verifies inclusion against a checkpoint signed by a quorum.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import { ValidatorSetWalk, verifyCheckpointFromGenesis, verifyInclusionResponse } from "../../../src/client/index.ts";
import { signerIndices } from "../../../src/ledger/index.ts";
import { verifyStore } from "../../../src/node/verify.ts";
import { ChainStore } from "../../../src/ledger/index.ts";
import { homePaths } from "../../../src/node/home.ts";
import { blockHashes, newAccount, signNext, startCluster, waitFor, type Cluster } from "./cluster.ts";

describe("consensus in the node: four validators in one process", () => {
  let cluster: Cluster;
  const sent: { hash: string; via: number }[] = [];

  before(async () => {
    cluster = await startCluster(4);
  });

  after(async () => {
    await cluster?.close();
  });

  it("commits transactions submitted to different validators, and every validator sees each commit", async () => {
    const accounts = [newAccount(), newAccount(), newAccount(), newAccount()];
    // Register through different validators, waiting for each commit at the submitting node.
    await Promise.all(
      accounts.map(async (account, i) => {
        const tx = signNext(account, { type: "account.register" });
        const response = await cluster.client(i).submitTx(tx.bytes, { wait: true, timeoutMs: 20_000 });
        assert.equal(response.status, "committed");
        sent.push({ hash: tx.hash, via: i });
      }),
    );
    // Then a stream of appends, each account through another validator than it registered at.
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        accounts.map(async (account, i) => {
          const via = (i + round + 1) % 4;
          const tx = signNext(account, { type: "audit.append", record: { action: "deploy", subject: `svc-${i}`, data: { round } } });
          const response = await cluster.client(via).submitTx(tx.bytes, { wait: true, timeoutMs: 20_000 });
          assert.equal(response.status, "committed", `round ${round} account ${i}`);
          sent.push({ hash: tx.hash, via });
        }),
      );
    }
    // Every validator eventually holds every transaction.
    for (let v = 0; v < 4; v++) {
      const client = cluster.client(v);
      await waitFor(`validator ${v} to commit all transactions`, async () => {
        for (const { hash } of sent) if ((await client.tx(hash).catch(() => null))?.status !== "committed") return undefined;
        return true;
      }, 20_000);
    }
  });

  it("leaves every validator with the same block hash at every height and the same log root", async () => {
    const validators = cluster.validators.map((v) => v!);
    // Idle validators stop at the same committed height: wait for that, then compare.
    const height = await waitFor("validators to agree on the committed height", () => {
      const heights = validators.map((v) => v.chain.head.height);
      return heights.every((h) => h === heights[0]) ? heights[0] : undefined;
    }, 10_000);
    assert.ok(height !== undefined && height >= 6, `height ${height}`);
    const reference = blockHashes(validators[0]!, height);
    for (const validator of validators.slice(1)) assert.deepEqual(blockHashes(validator, height), reference, `validator ${validator.index} diverges`);
    const roots = validators.map((v) => Buffer.from(v.chain.head.logRoot).toString("hex"));
    assert.ok(roots.every((root) => root === roots[0]), `log roots differ: ${roots.join(", ")}`);
    assert.equal(validators[0]!.chain.head.logSize, sent.length);
  });

  it("paces blocks: about two empty blocks finalise each block with transactions, and an idle network neither proposes nor times out", async () => {
    const validators = cluster.validators.map((v) => v!);
    const heights = validators.map((v) => v.chain.head.height);
    const views = validators.map((v) => v.host.stats()!.view);
    // Several view timeouts (250 ms each in these tests) pass with nothing to order.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    assert.deepEqual(validators.map((v) => v.chain.head.height), heights, "an idle network committed blocks");
    assert.deepEqual(validators.map((v) => v.host.stats()!.view), views, "an idle network moved to other views");
    let withTxs = 0;
    let empty = 0;
    for (let height = 1; height <= heights[0]!; height++) {
      if (validators[0]!.chain.store.txsOfBlock(height).length === 0) empty += 1;
      else withTxs += 1;
    }
    // Two per burst (the child that certifies it, the grandchild that commits it), plus slack
    // for a view that failed under load; unpaced, the engine proposes back to back.
    assert.ok(empty <= 2 * withTxs + 2, `${empty} empty blocks for ${withTxs} with transactions`);
  });

  it("serves inclusion proofs that verify against a checkpoint signed by at least 3 of the 4 validators", async () => {
    for (let v = 0; v < 4; v++) {
      const client = cluster.client(v);
      const checkpoint = await client.checkpoint();
      // Trusting only the genesis file: the walk verifies the set of the checkpoint's epoch.
      const { validatorSet } = await verifyCheckpointFromGenesis(new ValidatorSetWalk(client, cluster.homes.genesis), checkpoint);
      assert.equal(validatorSet.set.validators.length, 4);
      const signers = signerIndices(Buffer.from(checkpoint.certificate.signers, "hex"), 4);
      assert.ok(signers.length >= 3, `checkpoint signed by ${signers.length}`);
      assert.equal(checkpoint.signatures.length, signers.length);
      for (const { hash } of sent.slice(0, 6)) {
        const proof = await client.inclusionProof(hash, { treeSize: checkpoint.treeSize });
        verifyInclusionResponse(proof, checkpoint.rootHash);
        // Control: the same proof does not verify against another root.
        assert.throws(() => verifyInclusionResponse(proof, "00".repeat(32)));
      }
    }
  });

  it("passes offline verification of every validator's store (QCs from the set, justify links)", async () => {
    const validators = cluster.validators.map((v) => v!);
    for (const validator of validators) {
      const store = new ChainStore(homePaths(cluster.homes.homes[validator.index]!.home).chainDb);
      try {
        const report = await verifyStore(store, cluster.homes.genesis);
        assert.equal(report.height, validator.chain.head.height);
      } finally {
        store.close();
      }
    }
  });
});
