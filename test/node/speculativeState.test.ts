/**
 * Consensus executes blocks on uncommitted parents (each block's state version prepared over
 * its ancestors' unapplied versions). Those roots must be the roots a chain committing the
 * same blocks one by one computes, and the speculative versions must then commit as they are.
 */
import { emptyBlockContext } from "../app/harness.ts";
import { strict as assert } from "node:assert";
import { test } from "node:test";
import fc from "fast-check";
import { hashBlockHeader, hashEvidenceList, txRoot, type Block, type BlockHeader } from "../../src/ledger/index.ts";
import type { Chain } from "../../src/node/chain.ts";
import { SpeculativeBlocks, executeOnParent, tileKey, type SpeculativeBlock } from "../../src/node/consensus/speculative.ts";
import { toHex } from "../../src/util/index.ts";
import { buildOnHead, fakeQc, fakeTx, openMemoryChain, type TxSpec } from "./stateHelpers.ts";

const txSpecArb: fc.Arbitrary<TxSpec> = fc.record({
  account: fc.integer({ min: 0, max: 3 }),
  kind: fc.constantFrom("register" as const, "append" as const),
  nonce: fc.integer({ min: 0, max: 3 }),
});
const blocksArb = fc.array(fc.array(txSpecArb, { maxLength: 5 }), { minLength: 1, maxLength: 6 });

/** Executes `specs` on the block `parentHex` (head or speculative) and remembers it, as LedgerApplication does. */
function executeSpeculatively(chain: Chain, blocks: SpeculativeBlocks, parentHex: string, specs: readonly TxSpec[], tag: number): SpeculativeBlock {
  const parent = blocks.stateAfter(parentHex);
  assert.ok(parent !== undefined, "the parent's state is known");
  const height = parent.height + 1;
  const { execution, logAppend } = executeOnParent(chain, parent, height, specs.map((spec, i) => fakeTx(spec, tag * 100 + i)), emptyBlockContext);
  const header: BlockHeader = {
    chainId: chain.genesis.chainId,
    height,
    view: height,
    parentHash: Buffer.from(parentHex, "hex"),
    proposer: chain.genesis.validators[0]!.address,
    timestamp: parent.timestamp + 1,
    txRoot: txRoot(execution.executed),
    txCount: execution.executed.length,
    stateRoot: execution.stateRoot,
    logSize: logAppend.size,
    logRoot: logAppend.root,
    validatorSetHash: chain.validatorSets.forEpoch(0).hash,
    evidenceHash: hashEvidenceList([]),
    justify: null,
  };
  const block: Block = { header, txs: execution.executed.map((tx) => tx.signedTx), evidence: [] };
  const hash = hashBlockHeader(header);
  const speculative: SpeculativeBlock = {
    hash,
    hashHex: toHex(hash),
    parentHex,
    height,
    block,
    execution,
    logAppend,
    accounts: new Map(execution.accountWrites.map((write) => [toHex(write.address), write.account] as const)),
    tiles: new Map(logAppend.tiles.map((tile) => [tileKey(tile.tileLevel, tile.tileIndex), tile.hashes] as const)),
    txHashesHex: new Set(execution.executed.map((tx) => toHex(tx.txHash))),
  };
  blocks.add(speculative);
  return speculative;
}

function commitSpeculative(chain: Chain, blocks: SpeculativeBlocks, block: SpeculativeBlock): void {
  const built = { block: block.block, hash: block.hash, execution: block.execution, logAppend: block.logAppend };
  chain.commitExecutedBlock(built, fakeQc(built), []);
  blocks.prune();
}

test("blocks executed on uncommitted parents give the state roots of sequential commits, and commit as executed", () => {
  fc.assert(
    fc.property(blocksArb, fc.array(fc.nat({ max: 3 }), { minLength: 6, maxLength: 6 }), (specsPerBlock, commitCounts) => {
      const sequential = openMemoryChain();
      const sequentialRoots = specsPerBlock.map((specs, i) => {
        const built = buildOnHead(sequential, specs.map((spec, j) => fakeTx(spec, i * 100 + j)));
        sequential.commitBlock(built, fakeQc(built));
        return toHex(built.block.header.stateRoot);
      });

      const chain = openMemoryChain();
      const blocks = new SpeculativeBlocks(chain);
      const uncommitted: SpeculativeBlock[] = []; // oldest first
      let tipHex = toHex(chain.head.hash);
      const roots: string[] = [];
      specsPerBlock.forEach((specs, i) => {
        const block = executeSpeculatively(chain, blocks, tipHex, specs, i);
        roots.push(toHex(block.execution.stateRoot));
        uncommitted.push(block);
        tipHex = block.hashHex;
        // Commit some of the pending blocks (a QC chain completing) before executing the next.
        for (let n = commitCounts[i] ?? 0; n > 0 && uncommitted.length > 1; n--) commitSpeculative(chain, blocks, uncommitted.shift()!);
      });
      while (uncommitted.length > 0) commitSpeculative(chain, blocks, uncommitted.shift()!);

      assert.deepEqual(roots, sequentialRoots);
      assert.equal(chain.head.height, sequential.head.height);
      for (let height = 0; height <= chain.head.height; height++) assert.equal(toHex(chain.state.root(height)), toHex(sequential.state.root(height)), `root at ${height}`);
      sequential.store.close();
      chain.store.close();
    }),
    { numRuns: 30 },
  );
});

test("a block on a fork that lost executes on its own ancestors, and its state version cannot commit over the winner", () => {
  const chain = openMemoryChain();
  const blocks = new SpeculativeBlocks(chain);
  const genesisHex = toHex(chain.head.hash);
  const forkA = executeSpeculatively(chain, blocks, genesisHex, [{ account: 0, kind: "register", nonce: 0 }], 1);
  const forkB = executeSpeculatively(chain, blocks, genesisHex, [{ account: 1, kind: "register", nonce: 0 }], 2);
  const childOfA = executeSpeculatively(chain, blocks, forkA.hashHex, [{ account: 0, kind: "append", nonce: 1 }], 3);
  assert.notEqual(toHex(forkA.execution.stateRoot), toHex(forkB.execution.stateRoot));
  commitSpeculative(chain, blocks, forkB);
  assert.equal(blocks.stateAfter(childOfA.hashHex), undefined, "the losing fork is pruned");
  assert.throws(() => chain.state.apply(childOfA.execution.stateUpdate), /STALE_BASE|was prepared on version/);
  assert.equal(chain.state.latestVersion, 1);
  assert.equal(toHex(chain.state.root()), toHex(forkB.execution.stateRoot));
});
