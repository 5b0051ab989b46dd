/**
 * Serving block sync from stored bytes: the bytes assembled from the store's canonical
 * header, evidence, QC and transactions are exactly encodeSyncedBlock of the decoded block,
 * for blocks of 4 transactions (short CBOR array head) and of 30 (one-byte count head).
 * A range response leaves out each qc the next block carries as justify, except the last
 * block's, and the requester restores them.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ChainStore } from "../../../src/ledger/index.ts";
import { Chain } from "../../../src/node/chain.ts";
import { loadCommittedBlock, prepareDevnetHomes } from "../../../src/node/consensus/index.ts";
import { homePaths } from "../../../src/node/home.ts";
import {
  decodeRangeBlock,
  decodeSyncResponse,
  decodeSyncedBlock,
  encodeRangeBlock,
  encodeStoredSyncedBlock,
  encodeSyncedBlock,
  resolveRangeBlocks,
  serveRange,
} from "../../../src/node/p2p/index.ts";
import { encodeSyncResponse } from "../../../src/node/p2p/syncWire.ts";
import { GhostmeshError, toHex } from "../../../src/util/index.ts";
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
        const expected = encodeSyncedBlock({ block, qc: store.certificate(height) });
        const assembled = encodeStoredSyncedBlock(store, row);
        assert.equal(toHex(assembled), toHex(expected), `block ${height} (${block.txs.length} transactions)`);
        assert.equal(decodeSyncedBlock(assembled).block.txs.length, height === 1 ? 4 : 30);
        const withoutQc = encodeStoredSyncedBlock(store, row, false);
        assert.equal(toHex(withoutQc), toHex(encodeRangeBlock({ block })));
        assert.equal(decodeRangeBlock(withoutQc).qc, undefined);
      }
    } finally {
      store.close();
    }
  });

  it("a range carries each qc once: only the last block's travels on its own, and the requester restores the others", () => {
    const homes = prepareDevnetHomes(dir, { validators: 4, chainId: "sync-serve", genesisTimeMs: Date.now() - 3_600_000 });
    const store = new ChainStore(homePaths(homes.homes[0]!.home).chainDb);
    try {
      const chain = new Chain(homes.genesis, store);
      const storedQcHex = (height: number) => toHex(encodeSyncedBlock({ block: loadCommittedBlock(store, store.getBlock(height)!), qc: store.certificate(height) }));
      const rangeOf = (bytes: Uint8Array) => decodeSyncResponse(bytes).blocks.map(decodeRangeBlock);

      // Assembled in one piece, byte for byte what encoding the response would give.
      const response = serveRange(chain, 1, 256);
      const parsed = decodeSyncResponse(response);
      assert.equal(toHex(response), toHex(encodeSyncResponse({ headHeight: parsed.headHeight, blocks: parsed.blocks.map((b) => b.slice()) })));
      assert.equal(toHex(serveRange(chain, 4, 256)), toHex(encodeSyncResponse({ headHeight: BLOCKS, blocks: [] })));
      const whole = rangeOf(response);
      assert.deepEqual(whole.map((b) => b.qc !== undefined), [false, false, true]);
      const restored = resolveRangeBlocks(whole);
      restored.forEach((synced, i) => assert.equal(toHex(encodeSyncedBlock(synced)), storedQcHex(i + 1), `block ${i + 1} with the qc it was stored with`));

      // Cut by countMax, and by size right after the first block: the last block sent keeps its qc.
      assert.deepEqual(rangeOf(serveRange(chain, 1, 2)).map((b) => b.qc !== undefined), [false, true]);
      const cut = rangeOf(serveRange(chain, 1, 256, 1));
      assert.equal(cut.length, 1);
      assert.ok(cut[0]!.qc !== undefined);
      assert.deepEqual(rangeOf(serveRange(chain, 3, 256)).map((b) => b.qc !== undefined), [true]);
      assert.deepEqual(rangeOf(serveRange(chain, 4, 256)), []);

      // A response whose last block comes without its qc is malformed.
      assert.throws(
        () => resolveRangeBlocks(whole.slice(0, 2)),
        (err: unknown) => err instanceof GhostmeshError && err.code === "P2P_RESPONSE_MALFORMED" && err.meta.height === 2,
      );
    } finally {
      store.close();
    }
  });
});
