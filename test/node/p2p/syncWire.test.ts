/**
 * The block sync wire decoders on hostile bytes (fast-check): random bytes and mutations of a
 * real range response either decode, or fail with a GhostmeshError; resolving the qcs of what
 * decodes either works or fails with one too. Nothing else escapes, nothing hangs.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { encodeCanonical } from "../../../src/codec/index.ts";
import { ChainStore, encodeBlockHeader, encodeQuorumCertificate, encodeSignedTx } from "../../../src/ledger/index.ts";
import { Chain } from "../../../src/node/chain.ts";
import { prepareDevnetHomes } from "../../../src/node/consensus/index.ts";
import { homePaths } from "../../../src/node/home.ts";
import { decodeRangeBlock, decodeSyncResponse, resolveRangeBlocks, serveRange } from "../../../src/node/p2p/index.ts";
import { decodeSyncRequest } from "../../../src/node/p2p/syncWire.ts";
import { bytesEqual, isGhostmeshError } from "../../../src/util/index.ts";
import { buildCertifiedChain } from "../bundle/chainFixture.ts";

/**
 * Decodes a response and resolves its blocks; true if all of it was accepted. Every accepted
 * block's header and transactions encode (through the spans the decoder handed the ledger's
 * encoders) to exactly what a fresh encode gives: the hash and the stored bytes cannot differ.
 */
function acceptResponse(bytes: Uint8Array): boolean {
  try {
    const synced = resolveRangeBlocks(decodeSyncResponse(bytes).blocks.map(decodeRangeBlock));
    for (const { block, qc } of synced) {
      assert.ok(bytesEqual(encodeBlockHeader(block.header), encodeCanonical(block.header)), `header of block ${block.header.height}`);
      for (const tx of block.txs) assert.ok(bytesEqual(encodeSignedTx(tx), encodeCanonical(tx)), `a transaction of block ${block.header.height}`);
      assert.ok(bytesEqual(encodeQuorumCertificate(qc), encodeCanonical(qc)), `qc of block ${block.header.height}`);
      if (block.header.justify !== null) assert.ok(bytesEqual(encodeQuorumCertificate(block.header.justify), encodeCanonical(block.header.justify)), `justify of block ${block.header.height}`);
    }
    return true;
  } catch (err) {
    assert.ok(isGhostmeshError(err), `only GhostmeshError may escape, got ${String(err)}`);
    return false;
  }
}

describe("block sync wire on hostile bytes", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-sync-wire-"));
  let response: Uint8Array = new Uint8Array(0);
  before(async () => {
    const homes = prepareDevnetHomes(dir, { validators: 4, chainId: "sync-wire", genesisTimeMs: Date.now() - 3_600_000 });
    await buildCertifiedChain({ home: homes.homes[0]!.home, genesis: homes.genesis, keys: homes.homes.map((h) => h.key), blocks: 3, txsPerBlock: 2 });
    const store = new ChainStore(homePaths(homes.homes[0]!.home).chainDb);
    try {
      response = serveRange(new Chain(homes.genesis, store), 1, 256);
    } finally {
      store.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a real response is accepted whole", () => {
    assert.ok(acceptResponse(response));
  });

  it("a decoded block's header, transactions and certificates are encoded from the response's own bytes, not again", () => {
    const blocks = decodeSyncResponse(response).blocks.map(decodeRangeBlock);
    assert.ok(blocks.length >= 3);
    for (const { block } of blocks) {
      assert.equal(encodeBlockHeader(block.header).buffer, response.buffer, `header of block ${block.header.height} is a span of the response`);
      assert.ok(block.txs.length > 0);
      for (const tx of block.txs) assert.equal(encodeSignedTx(tx).buffer, response.buffer, `a transaction of block ${block.header.height} is a span of the response`);
    }
    // Each block's QC: the justify in the next header (left out of the response), the top block's its own.
    const synced = resolveRangeBlocks(blocks);
    assert.equal(blocks.at(-1)?.qc, synced.at(-1)?.qc, "the top block carries its own qc");
    for (const { block, qc } of synced) assert.equal(encodeQuorumCertificate(qc).buffer, response.buffer, `qc of block ${block.header.height} is a span of the response`);
  });

  it("random bytes as a request or a response decode or fail with a GhostmeshError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        try {
          decodeSyncRequest(bytes);
        } catch (err) {
          assert.ok(isGhostmeshError(err));
        }
        acceptResponse(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it("a real response with flipped bytes or cut short is refused cleanly, or still whole", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat()), (flips, cut) => {
        const bytes = response.slice(0, cut === null ? response.byteLength : cut % response.byteLength);
        for (const [at, mask] of flips) if (bytes.byteLength > 0) bytes[at % bytes.byteLength]! ^= mask;
        acceptResponse(bytes);
      }),
      { numRuns: 300 },
    );
  });
});
