/**
 * Blocks that arrive in consensus messages (proposals, block responses) are saved, hashed,
 * prepared and stored from their spans in the message (ledger/blockSpans.ts). What those spans
 * give must be exactly what a fresh encode gives, or a validator would store and hash bytes
 * other than the block's: checked on real blocks with transactions and certificates.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { encodeCanonical } from "../../src/codec/index.ts";
import { decodeConsensusMessage, encodeConsensusMessage, type ConsensusMessage } from "../../src/consensus/index.ts";
import { ChainStore, encodeBlock, encodeBlockHeader, encodeQuorumCertificate, encodeSignedTx, type Block } from "../../src/ledger/index.ts";
import { Chain } from "../../src/node/chain.ts";
import { prepareDevnetHomes } from "../../src/node/consensus/index.ts";
import { homePaths } from "../../src/node/home.ts";
import { decodeRangeBlock, decodeSyncResponse, serveRange } from "../../src/node/p2p/index.ts";
import { bytesEqual } from "../../src/util/index.ts";
import { buildCertifiedChain } from "../node/bundle/chainFixture.ts";

/** Every part of `block` encodes to its fresh encoding, as a view into `bytes` (not a new encoding). */
function assertEncodedFromSpans(block: Block, bytes: Uint8Array): void {
  const at = `block ${block.header.height}`;
  const parts: [string, Uint8Array, Uint8Array][] = [
    ["block", encodeBlock(block), encodeCanonical(block)],
    ["header", encodeBlockHeader(block.header), encodeCanonical(block.header)],
    ...block.txs.map((tx, i): [string, Uint8Array, Uint8Array] => [`transaction ${i}`, encodeSignedTx(tx), encodeCanonical(tx)]),
  ];
  if (block.header.justify !== null) parts.push(["justify", encodeQuorumCertificate(block.header.justify), encodeCanonical(block.header.justify)]);
  for (const [part, encoded, fresh] of parts) {
    assert.ok(bytesEqual(encoded, fresh), `${part} of ${at} encodes as a fresh encode does`);
    assert.equal(encoded.buffer, bytes.buffer, `${part} of ${at} is a span of the message`);
  }
}

describe("consensus wire: block spans", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-wire-spans-"));
  let blocks: Block[] = [];
  before(async () => {
    const homes = prepareDevnetHomes(dir, { validators: 4, chainId: "wire-spans", genesisTimeMs: Date.now() - 3_600_000 });
    await buildCertifiedChain({ home: homes.homes[0]!.home, genesis: homes.genesis, keys: homes.homes.map((h) => h.key), blocks: 3, txsPerBlock: 2 });
    const store = new ChainStore(homePaths(homes.homes[0]!.home).chainDb);
    try {
      blocks = decodeSyncResponse(serveRange(new Chain(homes.genesis, store), 1, 256)).blocks.map((bytes) => decodeRangeBlock(bytes).block);
    } finally {
      store.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a proposal's block, header, justify and transactions are encoded from the proposal's own bytes", () => {
    const block = blocks.at(-1) as Block;
    assert.ok(block.txs.length > 0 && block.header.justify !== null, "a block with transactions and a justify");
    const bytes = encodeConsensusMessage({ type: "proposal", epoch: 0, sender: 1, block, tc: null, signature: new Uint8Array(3309).fill(7) });
    const decoded = decodeConsensusMessage(bytes) as Extract<ConsensusMessage, { type: "proposal" }>;
    assertEncodedFromSpans(decoded.block, bytes);
  });

  it("each block of a block response is encoded from the response's own bytes", () => {
    assert.ok(blocks.length >= 3);
    const bytes = encodeConsensusMessage({ type: "blockResponse", epoch: 0, sender: 2, blocks });
    const decoded = decodeConsensusMessage(bytes) as Extract<ConsensusMessage, { type: "blockResponse" }>;
    assert.equal(decoded.blocks.length, blocks.length);
    for (const block of decoded.blocks) assertEncodedFromSpans(block, bytes);
  });

  it("a block that came in no message is encoded afresh", () => {
    const block = blocks[0] as Block;
    const copy: Block = { header: { ...block.header }, txs: [...block.txs], evidence: [...block.evidence] };
    assert.ok(bytesEqual(encodeBlock(copy), encodeCanonical(block)));
    assert.notEqual(encodeBlock(copy), encodeBlock(copy), "nothing remembered for it: each call encodes");
  });
});
