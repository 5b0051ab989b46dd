/**
 * Block sync across a validator-set change (decision 0605): a fresh validator syncs, over real
 * libp2p, a PoS chain whose set drops a validator at the end of epoch 0, with ranges clipped
 * at epoch boundaries; the applier refuses a range that crosses a boundary, and a block after
 * the boundary whose QC is signed by the old set; certified blocks are applied without
 * verifying their transaction signatures again, which txRoot covers.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { ChainStore } from "../../src/ledger/index.ts";
import { Chain } from "../../src/node/chain.ts";
import { homePaths } from "../../src/node/home.ts";
import { loadCommittedBlock, type DevnetHomes } from "../../src/node/consensus/index.ts";
import { BlockSync, SyncedBlockApplier, ValidatorPeers, defaultBlockSyncOptions, type SyncedBlock } from "../../src/node/p2p/index.ts";
import { rangeCountMax } from "../../src/node/p2p/syncApply.ts";
import type { Logger } from "../../src/node/types.ts";
import { toHex } from "../../src/util/index.ts";
import { EPOCH_BLOCKS, buildEpochChain, prepareEpochHomes } from "../fixtures/epochChain.ts";
import { openChainForSync, openSyncNode } from "../fixtures/syncNode.ts";

const silent = pino({ level: "silent" }) as unknown as Logger;
const BLOCKS = 10;

/** Blocks from..to of a home's store, as sync carries them. */
function syncedBlocks(home: string, from: number, to: number): SyncedBlock[] {
  const store = new ChainStore(homePaths(home).chainDb);
  try {
    return Array.from({ length: to - from + 1 }, (_, i) => {
      const row = store.getBlock(from + i)!;
      return { block: loadCommittedBlock(store, row), qc: store.certificate(row.height) };
    });
  } finally {
    store.close();
  }
}

const hashes = (chain: Chain, upTo: number) => Array.from({ length: upTo }, (_, i) => toHex(chain.store.getBlock(i + 1)!.hash));

describe("block sync across validator-set epochs", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-sync-epochs-"));
  let homes: DevnetHomes;
  /** The same genesis, with a chain whose block 4 (first of epoch 1) stores a QC of the epoch-0 set. */
  let tamperedHomes: DevnetHomes;

  before(async () => {
    homes = prepareEpochHomes(join(dir, "clean"), "sync-epochs");
    await buildEpochChain({ home: homes.homes[0]!.home, genesis: homes.genesis, keys: homes.homes.map((h) => h.key), blocks: BLOCKS });
    tamperedHomes = prepareEpochHomes(join(dir, "tampered"), "sync-epochs");
    await buildEpochChain({ home: tamperedHomes.homes[0]!.home, genesis: tamperedHomes.genesis, keys: tamperedHomes.homes.map((h) => h.key), blocks: BLOCKS, tamper: { height: EPOCH_BLOCKS, kind: "qc-previous-set" } });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("ranges end at the last block of their epoch", () => {
    assert.equal(rangeCountMax(1, 4), 3);
    assert.equal(rangeCountMax(4, 4), 4);
    assert.equal(rangeCountMax(6, 4), 2);
    assert.equal(rangeCountMax(1, 1_000, 256), 256);
    assert.equal(rangeCountMax(900, 1_000, 256), 100);
  });

  it("a fresh validator syncs the whole chain over libp2p, across the set change, and holds the server's blocks", async () => {
    const server = await openSyncNode(homes.homes[0]!.home, homes.homes[0]!.key, homes.genesis, []);
    const client = await openSyncNode(homes.homes[1]!.home, homes.homes[1]!.key, homes.genesis, server.host.multiaddrs().map(String));
    try {
      const options = { ...defaultBlockSyncOptions, lagBlocksMin: 1, connectWaitMs: 10_000 };
      await new BlockSync(options, { host: server.host, peers: new ValidatorPeers(homes.genesis), genesis: homes.genesis, logger: silent }).serve(server.chain);
      const sync = new BlockSync(options, { host: client.host, peers: new ValidatorPeers(homes.genesis), genesis: homes.genesis, logger: silent });
      await sync.catchUp(client.chain, client.app);
      assert.equal(sync.blocksSynced, BLOCKS);
      assert.equal(client.chain.head.height, BLOCKS);
      assert.deepEqual(hashes(client.chain, BLOCKS), hashes(server.chain, BLOCKS));
      // Ranges 1..3, 4..7, 8..10: each top QC verified, each lower one the justify of the block above.
      assert.equal(sync.qcsVerified, 3);
      assert.equal(sync.qcsAuthenticatedByLink, BLOCKS - 3);
      assert.equal(client.chain.validatorSets.forHeight(BLOCKS).set.validators.length, 3, "the synced chain derives the 3-member set");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("a range that crosses an epoch boundary is refused at the first block of the next epoch", async () => {
    const fresh = openChainForSync(homes.homes[2]!.home, homes.genesis);
    try {
      const applier = new SyncedBlockApplier(fresh.chain, fresh.app);
      const problem = await applier.precheck(syncedBlocks(homes.homes[0]!.home, 1, EPOCH_BLOCKS + 1), fresh.chain.head);
      assert.equal(problem?.height, EPOCH_BLOCKS);
      assert.match(problem?.message ?? "", /a range must end at the last block of its epoch/);
      assert.equal(fresh.chain.head.height, 0, "nothing applied");
    } finally {
      fresh.close();
    }
  });

  it("certified blocks are applied without verifying their transaction signatures again; a swapped signature breaks txRoot", async () => {
    const fresh = openChainForSync(homes.homes[3]!.home, homes.genesis);
    try {
      const applier = new SyncedBlockApplier(fresh.chain, fresh.app);
      const epoch0 = syncedBlocks(homes.homes[0]!.home, 1, EPOCH_BLOCKS - 1);
      const withTxs = epoch0.find(({ block }) => block.txs.length > 0)!;
      const signedTx = withTxs.block.txs[0]!;
      const sig = signedTx.sig.slice();
      sig[7]! ^= 0x01;
      const swapped = epoch0.map((synced) => (synced === withTxs ? { ...synced, block: { ...synced.block, txs: [{ ...signedTx, sig }, ...synced.block.txs.slice(1)] } } : synced));
      const problem = await applier.precheck(swapped, fresh.chain.head);
      assert.equal(problem?.height, withTxs.block.header.height);
      assert.match(problem?.message ?? "", /txRoot does not match the transactions/);

      assert.equal(await applier.precheck(epoch0, fresh.chain.head), null);
      assert.deepEqual(applier.apply(epoch0), { applied: EPOCH_BLOCKS - 1, problem: null });
      const checked = epoch0.flatMap(({ block }) => block.txs.map((tx) => fresh.app.signatures.isVerified(fresh.app.preparer.prepare(tx).txHashHex, tx.sig, null)));
      assert.ok(checked.length > 0 && checked.every((known) => !known), "no transaction signature was verified: the QC certified them");
    } finally {
      fresh.close();
    }
  });

  it("a block after the boundary whose QC is signed by the old set is refused, naming the epoch", async () => {
    const fresh = openChainForSync(tamperedHomes.homes[1]!.home, tamperedHomes.genesis);
    try {
      const applier = new SyncedBlockApplier(fresh.chain, fresh.app);
      const source = tamperedHomes.homes[0]!.home;
      const epoch0 = syncedBlocks(source, 1, EPOCH_BLOCKS - 1);
      assert.equal(await applier.precheck(epoch0, fresh.chain.head), null);
      assert.deepEqual(applier.apply(epoch0), { applied: EPOCH_BLOCKS - 1, problem: null });
      const problem = await applier.precheck(syncedBlocks(source, EPOCH_BLOCKS, 2 * EPOCH_BLOCKS - 1), fresh.chain.head);
      assert.equal(problem?.height, EPOCH_BLOCKS);
      assert.match(problem?.message ?? "", /its QC is not a quorum of the validator set of epoch 1 \(3 validators\)/);
      assert.equal(fresh.chain.head.height, EPOCH_BLOCKS - 1);
    } finally {
      fresh.close();
    }
  });
});
