/**
 * Fast block sync: a fresh validator home syncs a chain of several ranges (more blocks than
 * one request carries, so ranges are pipelined and each is applied in one SQLite
 * transaction) over real libp2p on 127.0.0.1, and ends with exactly the server's blocks.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import type { Genesis } from "../../../src/ledger/index.ts";
import { Chain } from "../../../src/node/chain.ts";
import { prepareDevnetHomes, type DevnetHomes } from "../../../src/node/consensus/index.ts";
import { BlockSync, SYNC_BLOCKS_PER_REQUEST_MAX, ValidatorPeers, defaultBlockSyncOptions } from "../../../src/node/p2p/index.ts";
import type { Logger } from "../../../src/node/types.ts";
import { toHex } from "../../../src/util/index.ts";
import { buildCertifiedChain } from "../bundle/chainFixture.ts";
import { openSyncNode, type SyncNode } from "../../fixtures/syncNode.ts";

const silent = pino({ level: "silent" }) as unknown as Logger;
const BLOCKS = SYNC_BLOCKS_PER_REQUEST_MAX * 2 + 40;

type Node = SyncNode;

const syncOf = (node: Node, genesis: Genesis) => new BlockSync({ ...defaultBlockSyncOptions, lagBlocksMin: 1, connectWaitMs: 10_000 }, { host: node.host, peers: new ValidatorPeers(genesis), genesis, logger: silent });
const hashes = (chain: Chain, upTo: number) => Array.from({ length: upTo }, (_, i) => toHex(chain.store.getBlock(i + 1)!.hash));

describe("fast block sync by range", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-sync-ranges-"));
  let homes: DevnetHomes;
  const open: Node[] = [];

  before(async () => {
    homes = prepareDevnetHomes(dir, { validators: 4, chainId: "sync-ranges", genesisTimeMs: Date.now() - 3_600_000 });
    await buildCertifiedChain({ home: homes.homes[0]!.home, genesis: homes.genesis, keys: homes.homes.map((h) => h.key), blocks: BLOCKS, txsPerBlock: 1 });
  });
  after(async () => {
    for (const node of open.reverse()) await node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a fresh validator commits every block of several pipelined ranges and holds the server's chain", async () => {
    const server = await openSyncNode(homes.homes[0]!.home, homes.homes[0]!.key, homes.genesis, []);
    open.push(server);
    await syncOf(server, homes.genesis).serve(server.chain);
    const client = await openSyncNode(homes.homes[3]!.home, homes.homes[3]!.key, homes.genesis, server.host.multiaddrs().map(String));
    open.push(client);
    const sync = syncOf(client, homes.genesis);
    await sync.catchUp(client.chain, client.app);
    assert.equal(sync.blocksSynced, BLOCKS);
    assert.equal(client.chain.head.height, BLOCKS);
    assert.deepEqual(hashes(client.chain, BLOCKS), hashes(server.chain, BLOCKS));
    assert.ok(client.chain.store.getBlock(BLOCKS) !== undefined, "the last range is durable in the store");
  });
});
