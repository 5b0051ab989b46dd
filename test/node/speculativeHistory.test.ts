/**
 * The state history a speculative block executes with (emergency rollback): its uncommitted
 * ancestry's writes over the committed versions must read as a chain that committed them all.
 */
import { strict as assert } from "node:assert";
import { test } from "node:test";
import { emptyBlockContext } from "../app/harness.ts";
import { hashBlockHeader, hashEvidenceList, txRoot, type BlockHeader } from "../../src/ledger/index.ts";
import type { Chain } from "../../src/node/chain.ts";
import { SpeculativeBlocks, executeOnParent, tileKey } from "../../src/node/consensus/speculative.ts";
import { toHex } from "../../src/util/index.ts";
import { buildOnHead, fakeQc, fakeTx, openMemoryChain, type TxSpec } from "./stateHelpers.ts";

/** Block i registers account i-1 and appends from the accounts before it (their nonces change). */
const BLOCKS: TxSpec[][] = [1, 2, 3, 4].map((height) => [
  { account: height - 1, kind: "register", nonce: 0 },
  ...Array.from({ length: height - 1 }, (_, account) => ({ account, kind: "append" as const, nonce: height - 1 - account })),
]);

function executeOn(chain: Chain, blocks: SpeculativeBlocks, parentHex: string, specs: readonly TxSpec[], tag: number): string {
  const parent = blocks.stateAfter(parentHex);
  assert.ok(parent !== undefined);
  const height = parent.height + 1;
  const { execution, logAppend } = executeOnParent(chain, parent, height, specs.map((spec, i) => fakeTx(spec, tag * 100 + i)), emptyBlockContext);
  assert.deepEqual(execution.rejected, []);
  const header: BlockHeader = {
    chainId: chain.genesis.chainId, height, view: height, parentHash: Buffer.from(parentHex, "hex"), proposer: chain.genesis.validators[0]!.address,
    timestamp: parent.timestamp + 1, txRoot: txRoot(execution.executed), txCount: execution.executed.length, stateRoot: execution.stateRoot,
    logSize: logAppend.size, logRoot: logAppend.root, validatorSetHash: chain.validatorSets.forEpoch(0).hash, evidenceHash: hashEvidenceList([]), justify: null,
  };
  const hash = hashBlockHeader(header);
  blocks.add({
    hash, hashHex: toHex(hash), parentHex, height, execution, logAppend,
    block: { header, txs: execution.executed.map((tx) => tx.signedTx), evidence: [] },
    accounts: new Map(execution.accountWrites.map((write) => [toHex(write.address), write.account] as const)),
    tiles: new Map(logAppend.tiles.map((tile) => [tileKey(tile.tileLevel, tile.tileIndex), tile.hashes] as const)),
    txHashesHex: new Set(execution.executed.map((tx) => toHex(tx.txHash))),
  });
  return toHex(hash);
}

test("a speculative block's state history equals the committed history of the same blocks, for heights inside and below its uncommitted ancestry", () => {
  const sequential = openMemoryChain();
  BLOCKS.forEach((specs, i) => {
    const built = buildOnHead(sequential, specs.map((spec, j) => fakeTx(spec, i * 100 + j)));
    sequential.commitBlock(built, fakeQc(built));
  });

  const chain = openMemoryChain();
  BLOCKS.slice(0, 2).forEach((specs, i) => {
    const built = buildOnHead(chain, specs.map((spec, j) => fakeTx(spec, i * 100 + j)));
    chain.commitBlock(built, fakeQc(built));
  });
  const blocks = new SpeculativeBlocks(chain);
  let tip = toHex(chain.head.hash);
  BLOCKS.slice(2).forEach((specs, i) => {
    tip = executeOn(chain, blocks, tip, specs, i + 2);
  });
  const history = blocks.stateAfter(tip)?.accounts.stateHistory;
  assert.ok(history !== undefined, "the speculative reader has a history");

  const allKeys = sequential.state.keysWrittenAfter(0);
  for (let height = 0; height <= 4; height++) {
    assert.deepEqual(history.keysChangedSince(height, 1000)?.map(toHex), sequential.state.keysWrittenAfter(height).map(toHex), `keys changed since ${height}`);
    for (const key of allKeys) {
      assert.deepEqual(history.valueAt(key, height), sequential.state.get(key, height) ?? undefined, `key ${toHex(key)} at ${height}`);
    }
  }
  assert.equal(history.keysChangedSince(0, allKeys.length - 1), undefined, "more keys than keysMax, across ancestry and committed: undefined");
  assert.equal(history.keysChangedSince(0, allKeys.length)?.length, allKeys.length);
});
