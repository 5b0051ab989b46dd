/**
 * The perturbation tests' and the soak's invariant checker, against nodes whose API answers come
 * from tables here: the incremental mode the soak uses (only new heights, and every height of
 * a node named rebuilt) must still catch a block that differs, and the full mode every one.
 */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import type { BlockResponse } from "../../src/client/index.ts";
import type { ClusterNode } from "./cluster.ts";
import { InvariantChecker } from "./invariants.ts";

type Chain = { hash: string; txHashes: string[] }[];

/** Height h holds transaction `tx<h>`. */
function chainOf(height: number): Chain {
  return Array.from({ length: height }, (_, i) => ({ hash: `block${i + 1}`, txHashes: [`tx${i + 1}`] }));
}

/** A node whose API serves `chain` as it is when asked: blocks, its head's height, and each transaction's height. */
function nodeServing(name: string, chain: Chain): ClusterNode {
  const client = {
    status: async () => ({ height: chain.length }),
    block: async (height: number) => {
      const block = chain[height - 1];
      if (block === undefined) throw new Error(`${name}: no block at height ${height}`);
      return { height, hash: block.hash, txHashes: [...block.txHashes] } as unknown as BlockResponse;
    },
    tx: async (hash: string) => {
      const at = chain.findIndex((block) => block.txHashes.includes(hash));
      if (at < 0) throw new Error(`${name}: unknown transaction ${hash}`);
      return { status: "committed", height: at + 1 };
    },
  };
  return { name, client } as unknown as ClusterNode;
}

function txsThrough(height: number): string[] {
  return Array.from({ length: height }, (_, i) => `tx${i + 1}`);
}

const TIMEOUT_MS = 2_000;

test("invariants, incremental: a block that differs above the last check fails the next check", async () => {
  const chains = [chainOf(5), chainOf(5), chainOf(5)];
  const checker = new InvariantChecker(chains.map((chain, i) => nodeServing(`node${i}`, chain)), TIMEOUT_MS, { incremental: true });
  assert.equal((await checker.check(txsThrough(5))).height, 5);

  for (const chain of chains) chain.push(...chainOf(8).slice(5));
  (chains[2] as Chain)[6] = { hash: "fork7", txHashes: ["tx7"] };
  await assert.rejects(checker.check(txsThrough(8)), /identical block hash at height 7 on every node: node0=block7 node1=block7 node2=fork7/);
});

test("invariants, incremental: heights already checked are read again only on a node named rebuilt; the full mode always reads them", async () => {
  const chains = [chainOf(5), chainOf(5), chainOf(5)];
  const nodes = chains.map((chain, i) => nodeServing(`node${i}`, chain));
  const incremental = new InvariantChecker(nodes, TIMEOUT_MS, { incremental: true });
  await incremental.check(txsThrough(5));

  // node1's store was wiped and synced a different block 3 (its transaction list unchanged).
  (chains[1] as Chain)[2] = { hash: "other3", txHashes: ["tx3"] };
  assert.equal((await incremental.check(txsThrough(5))).height, 5, "heights checked before are not read again on every node");
  await assert.rejects(incremental.check(txsThrough(5), { rebuilt: [nodes[1] as ClusterNode] }), /identical block hash at height 3 on every node and at the earlier checks: node1=other3 earlier check=block3/);

  await assert.rejects(new InvariantChecker(nodes, TIMEOUT_MS).check(txsThrough(5)), /identical block hash at height 3 on every node: node0=block3 node1=other3 node2=block3/);
});

test("invariants: a transaction list that differs, or a transaction committed at another height on a rebuilt node, fails the check", async () => {
  const chains = [chainOf(4), chainOf(4)];
  const nodes = chains.map((chain, i) => nodeServing(`node${i}`, chain));
  const checker = new InvariantChecker(nodes, TIMEOUT_MS, { incremental: true });
  await checker.check(txsThrough(4));

  for (const chain of chains) chain.push({ hash: "block5", txHashes: ["tx5"] });
  (chains[1] as Chain)[4] = { hash: "block5", txHashes: ["tx5", "extra"] };
  await assert.rejects(checker.check(txsThrough(5)), /identical transaction list at height 5 on every node/);

  // Block 2 of node1 lost tx2 to block 5; its block hashes, a rebuilt node's, still match.
  const moved = [chainOf(5), chainOf(5)];
  const movedNodes = moved.map((chain, i) => nodeServing(`node${i}`, chain));
  const again = new InvariantChecker(movedNodes, TIMEOUT_MS, { incremental: true });
  await again.check(txsThrough(5));
  (moved[1] as Chain)[1] = { hash: "block2", txHashes: [] };
  (moved[1] as Chain)[4] = { hash: "block5", txHashes: ["tx5", "tx2"] };
  await assert.rejects(again.check(txsThrough(5), { rebuilt: [movedNodes[1] as ClusterNode] }), /identical transaction list at height 2 on every node and at the earlier checks/);
});
