/**
 * Fast block sync: a fresh validator home syncs a chain of several ranges (more blocks than
 * one request carries, so ranges are pipelined and each is applied in one SQLite
 * transaction) over real libp2p on 127.0.0.1, and ends with exactly the server's blocks; a
 * peer that serves a damaged range gets none of it applied and is penalised, and another round
 * of ranges from another peer completes the sync.
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
import { formatAddress } from "../../../src/crypto/index.ts";
import { BlockSync, SYNC_BLOCKS_PER_REQUEST_MAX, SYNC_RESPONSE_BYTES_MAX, ValidatorPeers, decodeSyncResponse, defaultBlockSyncOptions, serveRange } from "../../../src/node/p2p/index.ts";
import { decodeSyncRequest, encodeSyncResponse } from "../../../src/node/p2p/syncWire.ts";
import { RequestProtocol, p2pError } from "../../../src/p2p/index.ts";
import type { Logger } from "../../../src/node/types.ts";
import { toHex } from "../../../src/util/index.ts";
import { buildCertifiedChain } from "../bundle/chainFixture.ts";
import { openChainForSync, openSyncNode, type OpenedChain, type SyncNode } from "../../fixtures/syncNode.ts";
import { waitFor } from "../../p2p/helpersHost.ts";

const silent = pino({ level: "silent" }) as unknown as Logger;
const BLOCKS = SYNC_BLOCKS_PER_REQUEST_MAX * 2 + 40;

type Node = SyncNode;

const syncOf = (node: Node, genesis: Genesis) => new BlockSync({ ...defaultBlockSyncOptions, lagBlocksMin: 1, connectWaitMs: 10_000 }, { host: node.host, peers: new ValidatorPeers(genesis), genesis, logger: silent });
const hashes = (chain: Chain, upTo: number) => Array.from({ length: upTo }, (_, i) => toHex(chain.store.getBlock(i + 1)!.hash));

/**
 * Registers the describe block's hooks: four validator homes, validator 0's holding a chain of
 * BLOCKS certified blocks; whatever the tests push on `open` is closed afterwards.
 */
function certifiedChainHomes(chainId: string): { homes(): DevnetHomes; readonly open: { close(): Promise<void> }[] } {
  const dir = mkdtempSync(join(tmpdir(), `gm-${chainId}-`));
  let homes: DevnetHomes | undefined;
  const open: { close(): Promise<void> }[] = [];
  before(async () => {
    homes = prepareDevnetHomes(dir, { validators: 4, chainId, genesisTimeMs: Date.now() - 3_600_000 });
    await buildCertifiedChain({ home: homes.homes[0]!.home, genesis: homes.genesis, keys: homes.homes.map((h) => h.key), blocks: BLOCKS, txsPerBlock: 1 });
  });
  after(async () => {
    for (const node of open.reverse()) await node.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { homes: () => homes!, open };
}

describe("fast block sync by range", () => {
  const fixture = certifiedChainHomes("sync-ranges");
  const open = fixture.open;

  it("a fresh validator commits every block of several pipelined ranges and holds the server's chain", async () => {
    const homes = fixture.homes();
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

  it("a range with a damaged block is not applied, its peer is penalised, and the ranges before it stay committed", async () => {
    const homes = fixture.homes();
    // One byte of the middle block changed: its header, a transaction or a signature no longer matches.
    const { hostile, source } = await startDamagingPeer(homes, open, (count) => Math.floor(count / 2));
    const client = await openSyncNode(homes.homes[2]!.home, homes.homes[2]!.key, homes.genesis, hostile.host.multiaddrs().map(String));
    open.push(client);
    const sync = syncOf(client, homes.genesis);
    await sync.catchUp(client.chain, client.app);
    const { height } = client.chain.head;
    assert.ok(height >= 1 && height < BLOCKS, `only the honest first range is committed (head ${height})`);
    assert.equal(sync.blocksSynced, height);
    assert.deepEqual(hashes(client.chain, height), hashes(source.chain, height));
    const record = client.host.peerRecord(formatAddress(homes.genesis.validators[1]!.address));
    assert.ok(record !== undefined && record.malformedFrames >= 1 && record.score < 0, `the serving validator is penalised: ${JSON.stringify(record)}`);
  });
});

describe("fast block sync by range: another round after a damaged range", () => {
  const fixture = certifiedChainHomes("sync-rounds");
  const open = fixture.open;

  it("a second round from another peer completes the sync", async () => {
    const homes = fixture.homes();
    // Validator 1 damages every range after the first; validator 0 serves all but the first
    // (as if it had pruned it), so the first round starts at validator 1 whatever the order.
    const { hostile } = await startDamagingPeer(homes, open, () => 0);
    const honest = await openSyncNode(homes.homes[0]!.home, homes.homes[0]!.key, homes.genesis, []);
    open.push(honest);
    await honest.host.handle(
      RequestProtocol.blocksByRange,
      async (request) => {
        const { fromHeight, countMax } = decodeSyncRequest(request);
        if (fromHeight === 1) throw p2pError("P2P_RESOURCE_UNAVAILABLE", "the first range is pruned here", {});
        return serveRange(honest.chain, fromHeight, countMax);
      },
      { responseSizeBytesMax: SYNC_RESPONSE_BYTES_MAX + 1024 },
    );
    const client = await openSyncNode(homes.homes[3]!.home, homes.homes[3]!.key, homes.genesis, [...hostile.host.multiaddrs(), ...honest.host.multiaddrs()].map(String));
    open.push(client);
    await waitFor(() => client.host.peers().length === 2, "the client's two connections");
    const sync = syncOf(client, homes.genesis);
    await sync.catchUp(client.chain, client.app);
    assert.equal(client.chain.head.height, BLOCKS, "the second round fetched the rest from the honest peer");
    assert.deepEqual(hashes(client.chain, BLOCKS), hashes(honest.chain, BLOCKS));
    const record = client.host.peerRecord(formatAddress(homes.genesis.validators[1]!.address));
    assert.ok(record !== undefined && record.malformedFrames >= 1, `the damaging peer is penalised: ${JSON.stringify(record)}`);
  });
});

/**
 * Validator 1's identity serving validator 0's chain: the first range honest, in every later
 * one the block at `damagedAt(blocks in the range)` with one byte flipped.
 */
async function startDamagingPeer(homes: DevnetHomes, open: { close(): Promise<void> }[], damagedAt: (count: number) => number): Promise<{ hostile: SyncNode; source: OpenedChain }> {
  const source = openChainForSync(homes.homes[0]!.home, homes.genesis);
  const hostile = await openSyncNode(homes.homes[1]!.home, homes.homes[1]!.key, homes.genesis, []);
  open.push(hostile, { close: async () => source.close() });
  await hostile.host.handle(
    RequestProtocol.blocksByRange,
    async (request) => {
      const { fromHeight, countMax } = decodeSyncRequest(request);
      const honest = decodeSyncResponse(serveRange(source.chain, fromHeight, countMax));
      if (fromHeight === 1) return encodeSyncResponse(honest);
      const damaged = damagedAt(honest.blocks.length);
      return encodeSyncResponse({ headHeight: honest.headHeight, blocks: honest.blocks.map((bytes, i) => (i === damaged ? flipByte(bytes) : bytes)) });
    },
    { responseSizeBytesMax: SYNC_RESPONSE_BYTES_MAX + 1024 },
  );
  return { hostile, source };
}

function flipByte(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const at = Math.floor(copy.length / 2);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}
