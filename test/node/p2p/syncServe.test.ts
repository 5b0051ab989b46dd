/**
 * Serving block sync from stored bytes: the bytes assembled from the store's canonical
 * header, evidence, QC and transactions are exactly encodeSyncedBlock of the decoded block,
 * for blocks of 4 transactions (short CBOR array head) and of 30 (one-byte count head).
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ChainStore, decodeStoredQc } from "../../../src/ledger/index.ts";
import { loadCommittedBlock, prepareDevnetHomes } from "../../../src/node/consensus/index.ts";
import { homePaths } from "../../../src/node/home.ts";
import { decodeSyncedBlock, encodeStoredSyncedBlock, encodeSyncedBlock } from "../../../src/node/p2p/index.ts";
import { toHex } from "../../../src/util/index.ts";
import { buildCertifiedChain } from "../bundle/chainFixture.ts";

const BLOCKS = 3;

describe("block sync serves stored bytes", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-sync-serve-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the assembled bytes of every block equal encodeSyncedBlock of the decoded block and decode back to it", async () => {
    const homes = prepareDevnetHomes(dir, { validators: 4, chainId: "sync-serve", genesisTimeMs: Date.now() - 3_600_000 });
    await buildCertifiedChain({ home: homes.homes[0]!.home, genesis: homes.genesis, keys: homes.homes.map((h) => h.key), blocks: BLOCKS, txsPerBlock: 30 });
    const store = new ChainStore(homePaths(homes.homes[0]!.home).chainDb);
    try {
      for (let height = 1; height <= BLOCKS; height++) {
        const row = store.getBlock(height)!;
        const block = loadCommittedBlock(store, row);
        const expected = encodeSyncedBlock({ block, qc: decodeStoredQc(row.qc, height) });
        const assembled = encodeStoredSyncedBlock(store, row);
        assert.equal(toHex(assembled), toHex(expected), `block ${height} (${block.txs.length} transactions)`);
        assert.equal(decodeSyncedBlock(assembled).block.txs.length, height === 1 ? 4 : 30);
      }
    } finally {
      store.close();
    }
  });
});
