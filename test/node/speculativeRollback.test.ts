/**
 * An emergency rollback executed on uncommitted parents, to a height inside them, gives the
 * state root of a chain that committed every block first: validators that have committed a
 * different prefix of the same blocks agree on the rollback block.
 */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { emptyBlockContext } from "../app/harness.ts";
import { encodeAmount, readBalance, readProposal, type ExecutionTx } from "../../src/app/index.ts";
import { ChainStore, hashBlockHeader, hashEvidenceList, hashTx, txRoot, type BlockHeader, type Genesis, type Tx } from "../../src/ledger/index.ts";
import { Chain } from "../../src/node/chain.ts";
import { SpeculativeBlocks, executeOnParent, tileKey, type SpeculativeBlock } from "../../src/node/consensus/speculative.ts";
import { toHex } from "../../src/util/index.ts";
import { CHAIN_ID, buildOnHead, fakeGenesis, fakeQc } from "./stateHelpers.ts";

const X = new Uint8Array(20).fill(0x51);
const Y = new Uint8Array(20).fill(0x52);
const SNAPSHOT_HEIGHT = 3;

function rollbackGenesis(): Genesis {
  const genesis = fakeGenesis();
  const validator = genesis.validators[0]!;
  return { ...genesis, allocations: [{ address: validator.address, amount: "10000" }], roles: [{ address: validator.address, roles: ["admin", "emergency_rollback"] }] };
}

/** Blocks 1-5 sent by the only validator: transfers around the snapshot, then a rollback to it voted through the fast path. */
function blockTxs(genesis: Genesis): ExecutionTx[][] {
  const validator = genesis.validators[0]!;
  let nonce = 0;
  const tx = (type: string, body: unknown): ExecutionTx => {
    const t = { chainId: CHAIN_ID, from: validator.address, nonce: nonce++, type, body } as Tx;
    return { signedTx: { tx: t, sig: new Uint8Array(8) }, txHash: hashTx(t) };
  };
  return [
    [tx("account.register", { alg: validator.alg, publicKey: validator.publicKey })],
    [tx("token.transfer", { to: X, amount: encodeAmount(100n) })],
    [tx("token.transfer", { to: X, amount: encodeAmount(5n) })],
    [tx("token.transfer", { to: Y, amount: encodeAmount(50n) }), tx("gov.propose", { title: "undo", deposit: encodeAmount(1000n), content: { type: "emergency", action: "rollback", height: SNAPSHOT_HEIGHT } })],
    [tx("gov.vote", { proposalId: 1, option: "yes" })],
  ];
}

function executeOn(chain: Chain, blocks: SpeculativeBlocks, parentHex: string, txs: readonly ExecutionTx[]): SpeculativeBlock {
  const parent = blocks.stateAfter(parentHex);
  assert.ok(parent !== undefined);
  const height = parent.height + 1;
  const { execution, logAppend } = executeOnParent(chain, parent, height, txs, emptyBlockContext);
  assert.deepEqual(execution.rejected, [], `block ${height}`);
  const header: BlockHeader = {
    chainId: chain.genesis.chainId, height, view: height, parentHash: Buffer.from(parentHex, "hex"), proposer: chain.genesis.validators[0]!.address,
    timestamp: parent.timestamp + 1, txRoot: txRoot(execution.executed), txCount: execution.executed.length, stateRoot: execution.stateRoot,
    logSize: logAppend.size, logRoot: logAppend.root, validatorSetHash: chain.validatorSets.forEpoch(0).hash, evidenceHash: hashEvidenceList([]), justify: null,
  };
  const hash = hashBlockHeader(header);
  const block: SpeculativeBlock = {
    hash, hashHex: toHex(hash), parentHex, height, execution, logAppend,
    block: { header, txs: execution.executed.map((tx) => tx.signedTx), evidence: [] },
    accounts: new Map(execution.accountWrites.map((write) => [toHex(write.address), write.account] as const)),
    tiles: new Map(logAppend.tiles.map((tile) => [tileKey(tile.tileLevel, tile.tileIndex), tile.hashes] as const)),
    txHashesHex: new Set(execution.executed.map((tx) => toHex(tx.txHash))),
  };
  blocks.add(block);
  return block;
}

test("a rollback to a height inside the uncommitted ancestry gives the root of sequential commits, and commits as executed", () => {
  const genesis = rollbackGenesis();
  const perBlock = blockTxs(genesis);
  const sequential = new Chain(genesis, new ChainStore(":memory:"));
  const sequentialRoots = perBlock.map((txs) => {
    const built = buildOnHead(sequential, txs);
    assert.deepEqual(built.execution.rejected, []);
    sequential.commitBlock(built, fakeQc(built));
    return toHex(built.block.header.stateRoot);
  });
  const get = (chain: Chain) => (key: Uint8Array) => chain.state.get(key) ?? undefined;
  const proposal = readProposal(get(sequential), 1);
  assert.equal(proposal?.status, "executed", proposal?.reason);
  assert.equal(readBalance(get(sequential), X), 105n);
  assert.equal(readBalance(get(sequential), Y), 0n);

  // Each committed prefix: blocks up to `committed` committed, the rest executed on top of them.
  for (const committed of [0, 2, 3, 4]) {
    const chain = new Chain(genesis, new ChainStore(":memory:"));
    for (const txs of perBlock.slice(0, committed)) {
      const built = buildOnHead(chain, txs);
      chain.commitBlock(built, fakeQc(built));
    }
    const blocks = new SpeculativeBlocks(chain);
    let tip = toHex(chain.head.hash);
    const speculative = perBlock.slice(committed).map((txs) => {
      const block = executeOn(chain, blocks, tip, txs);
      tip = block.hashHex;
      return block;
    });
    assert.deepEqual(speculative.map((block) => toHex(block.execution.stateRoot)), sequentialRoots.slice(committed), `roots with ${committed} blocks committed first`);
    for (const block of speculative) {
      const built = { block: block.block, hash: block.hash, execution: block.execution, logAppend: block.logAppend };
      chain.commitExecutedBlock(built, fakeQc(built), []);
      blocks.prune();
    }
    assert.equal(toHex(chain.state.root()), sequentialRoots[4]);
    assert.equal(readBalance(get(chain), Y), 0n);
  }
});
