/**
 * Offline bundles: export from one home, import into another home of the same devnet
 * genesis; every block is verified as block sync verifies it, a tampered bundle is refused
 * naming the bad height and changes nothing, and no input crashes the decoder.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { runCli } from "../../../src/cli/main.ts";
import { ChainStore } from "../../../src/ledger/index.ts";
import { exportBundle, importBundle, readBundle } from "../../../src/node/bundle/index.ts";
import { prepareDevnetHomes, type DevnetHomes } from "../../../src/node/consensus/index.ts";
import { homePaths } from "../../../src/node/home.ts";
import { decodeSyncedBlock } from "../../../src/node/p2p/index.ts";
import { GhostmeshError, toHex } from "../../../src/util/index.ts";
import { buildCertifiedChain, hashesOf } from "./chainFixture.ts";

const BLOCKS = 12;

function headOf(home: string): number {
  const store = new ChainStore(homePaths(home).chainDb);
  try {
    return store.headHeight();
  } finally {
    store.close();
  }
}

/** Heights whose certificate has its own row (schema 5: the head's, and any that differs from its child's justify). */
function certificateRowsOf(home: string): number[] {
  const store = new ChainStore(homePaths(home).chainDb);
  try {
    return (store.unsafeDatabase().prepare("SELECT height FROM block_qcs ORDER BY height").all() as { height: number }[]).map((row) => row.height);
  } finally {
    store.close();
  }
}

async function* chunksOf(bytes: Uint8Array, chunkBytes: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += chunkBytes) yield bytes.subarray(offset, offset + chunkBytes);
}

async function readAll(bytes: Uint8Array, chunkBytes = 1 << 16): Promise<number> {
  let items = 0;
  for await (const _ of readBundle(chunksOf(bytes, chunkBytes))) items++;
  return items;
}

function cliIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), env: {} }, out, err };
}

describe("offline bundles", () => {
  const dir = mkdtempSync(join(tmpdir(), "gm-bundle-"));
  let homes: DevnetHomes;
  let bundle: string;
  let fresh = 1;
  /** A home of the same genesis with no blocks (homes 1..3 are used in turn). */
  const freshHome = () => homes.homes[fresh++]!.home;

  before(async () => {
    homes = prepareDevnetHomes(dir, { validators: 4, chainId: "bundle-test", genesisTimeMs: Date.now() - 3_600_000 });
    await buildCertifiedChain({ home: homes.homes[0]!.home, genesis: homes.genesis, keys: homes.homes.map((h) => h.key), blocks: BLOCKS, txsPerBlock: 2 });
    bundle = join(dir, "all.bundle");
    await exportBundle({ home: homes.homes[0]!.home, fromHeight: 1, toHeight: BLOCKS, out: bundle });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("round trip: the imported home holds the same blocks, and importing again changes nothing", async () => {
    const home = freshHome();
    const first = await importBundle({ home, file: bundle });
    assert.deepEqual(first, { imported: BLOCKS, alreadyPresent: 0, fromHeight: 1, toHeight: BLOCKS });
    assert.deepEqual(hashesOf(home), hashesOf(homes.homes[0]!.home));
    // Imported a batch per transaction, built a block per transaction: the same certificate rows.
    assert.deepEqual(certificateRowsOf(home), [BLOCKS]);
    assert.deepEqual(certificateRowsOf(homes.homes[0]!.home), [BLOCKS]);
    const again = await importBundle({ home, file: bundle });
    assert.deepEqual(again, { imported: 0, alreadyPresent: BLOCKS, fromHeight: 1, toHeight: BLOCKS });
    assert.equal(headOf(home), BLOCKS);
  });

  it("the CLI exports a range and imports it with --json {imported, fromHeight, toHeight}; a bad block exits 1 naming its height", async () => {
    const home = freshHome();
    const part = join(dir, "part.bundle");
    const exported = cliIo();
    assert.equal(await runCli(["bundle", "export", "--home", homes.homes[0]!.home, "--from", "1", "--to", "5", "--out", part], exported.io), 0);
    const imported = cliIo();
    assert.equal(await runCli(["bundle", "import", part, "--home", home, "--json"], imported.io), 0);
    assert.deepEqual(JSON.parse(imported.out.join("")), { imported: 5, fromHeight: 1, toHeight: 5 });
    const bytes = readFileSync(bundle);
    const tampered = join(dir, "cli-tampered.bundle");
    writeFileSync(tampered, flipInsideSignatureOfTx(bytes, 7));
    const refused = cliIo();
    assert.equal(await runCli(["bundle", "import", tampered, "--home", home], refused.io), 1);
    assert.match(refused.err.join(""), /block 7 of the bundle is refused/);
    assert.equal(headOf(home), 5, "the blocks before the bad one in the same import are not committed either");
    const help = cliIo();
    assert.equal(await runCli(["bundle", "--help"], help.io), 0);
    assert.match(help.out.join(""), /bundle import FILE --home DIR/);
  });

  it("a tampered bundle (a byte of a tx, a QC signature, another chain id) is refused naming the height, and the store is unchanged", async () => {
    const home = freshHome();
    const bytes = readFileSync(bundle);
    const cases: { name: string; bytes: Uint8Array; code: string; height?: number }[] = [
      { name: "a flipped byte in a transaction's signature", bytes: flipInsideSignatureOfTx(bytes, 5), code: "NODE_BUNDLE_BLOCK_INVALID", height: 5 },
      { name: "a flipped byte in a transaction's body", bytes: flipInTxBody(bytes, 6), code: "NODE_BUNDLE_BLOCK_INVALID", height: 6 },
      { name: "a flipped byte in a QC signature", bytes: flipInsideQcSignature(bytes, 8), code: "NODE_BUNDLE_BLOCK_INVALID", height: 8 },
      // The top block's QC is the one every block below is trusted through: it is always verified.
      { name: "a flipped byte in the last block's QC signature", bytes: flipInsideQcSignature(bytes, BLOCKS), code: "NODE_BUNDLE_BLOCK_INVALID", height: BLOCKS },
      // A forged QC copied into the next header as its justify changes that header's hash.
      { name: "a forged QC for block 8 also put in block 9's justify", bytes: flipInsideQcAndNextJustify(bytes, 8), code: "NODE_BUNDLE_BLOCK_INVALID", height: 9 },
      { name: "another chain id", bytes: replaceChainId(bytes), code: "NODE_BUNDLE_WRONG_CHAIN" },
    ];
    for (const c of cases) {
      const file = join(dir, "tampered.bundle");
      writeFileSync(file, c.bytes);
      await assert.rejects(importBundle({ home, file }), (err: unknown) => {
        assert.ok(err instanceof GhostmeshError, c.name);
        assert.equal(err.code, c.code, `${c.name}: ${err.message}`);
        if (c.height !== undefined) assert.equal((err.meta as { height?: number }).height, c.height, `${c.name} names its height`);
        return true;
      });
      assert.equal(headOf(home), 0, `${c.name}: nothing was committed`);
    }
  });

  it("a bundle path that cannot be read (a directory) is NODE_BUNDLE_UNREADABLE naming it, exit 1, and the store is unchanged", async () => {
    const home = homes.homes[0]!.home;
    const before = headOf(home);
    await assert.rejects(importBundle({ home, file: dir }), (err: unknown) => err instanceof GhostmeshError && err.code === "NODE_BUNDLE_UNREADABLE" && err.message.includes(dir));
    const refused = cliIo();
    assert.equal(await runCli(["bundle", "import", dir, "--home", home], refused.io), 1);
    assert.match(refused.err.join(""), /cannot read it \(EISDIR/);
    assert.doesNotMatch(refused.err.join(""), /unexpected error/);
    assert.equal(headOf(home), before);
  });

  it("a node's store that is open elsewhere is refused", async () => {
    const home = homes.homes[0]!.home;
    const running = new ChainStore(homePaths(home).chainDb);
    try {
      await assert.rejects(importBundle({ home, file: bundle }), (err: unknown) => err instanceof GhostmeshError && err.code === "NODE_BUNDLE_STORE_IN_USE");
    } finally {
      running.close();
    }
  });

  it("random bytes and mutated bundles never crash the decoder: they decode or fail with NODE_BUNDLE_MALFORMED", async () => {
    const valid = new Uint8Array(readFileSync(bundle));
    assert.equal(await readAll(valid, 333), BLOCKS + 1, "the valid bundle decodes in small chunks");
    const expectMalformedOrOk = async (bytes: Uint8Array, chunkBytes: number) => {
      try {
        await readAll(bytes, chunkBytes);
      } catch (err) {
        if (!(err instanceof GhostmeshError) || err.code !== "NODE_BUNDLE_MALFORMED") throw err;
      }
    };
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.integer({ min: 1, max: 512 }), expectMalformedOrOk), { numRuns: 300 });
    const mutated = fc.tuple(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat()).map(([flips, cut]) => {
      const copy = valid.slice(0, valid.byteLength - (cut % 64));
      for (const [at, value] of flips) copy[at % copy.byteLength] = value;
      return copy;
    });
    await fc.assert(fc.asyncProperty(mutated, fc.integer({ min: 64, max: 1 << 16 }), expectMalformedOrOk), { numRuns: 100 });
  });
});

/** Where the block item of `height` lies in the bundle (items are bstr-wrapped; blocks start at the second item). */
function blockAt(bytes: Uint8Array, height: number) {
  let offset = 0;
  for (let index = 0; ; index++) {
    const initial = bytes[offset]!;
    const info = initial & 0x1f;
    const argBytes = info < 24 ? 0 : 1 << (info - 24);
    let length = info < 24 ? info : 0;
    for (let i = 1; i <= argBytes; i++) length = length * 256 + bytes[offset + i]!;
    const start = offset + 1 + argBytes;
    if (index === height) return { start, synced: decodeSyncedBlock(bytes.subarray(start, start + length)) };
    offset = start + length;
  }
}

function flipAt(bytes: Uint8Array, needle: Uint8Array, from: number, delta: number): Uint8Array {
  const at = Buffer.from(bytes).indexOf(Buffer.from(needle), from);
  assert.ok(at >= 0, "the tampered field is in the file");
  const copy = new Uint8Array(bytes);
  copy[at + delta]! ^= 0x01;
  return copy;
}

function flipInsideSignatureOfTx(bytes: Uint8Array, height: number): Uint8Array {
  const { start, synced } = blockAt(bytes, height);
  return flipAt(bytes, synced.block.txs[0]!.sig, start, 100);
}

function flipInTxBody(bytes: Uint8Array, height: number): Uint8Array {
  const { start, synced } = blockAt(bytes, height);
  // The sender address: 20 bytes only the transaction body carries.
  return flipAt(bytes, synced.block.txs[0]!.tx.from, start, 3);
}

function flipInsideQcSignature(bytes: Uint8Array, height: number): Uint8Array {
  const { start, synced } = blockAt(bytes, height);
  return flipAt(bytes, synced.qc.signatures[1]!, start, 200);
}

function flipInsideQcAndNextJustify(bytes: Uint8Array, height: number): Uint8Array {
  const { start, synced } = blockAt(bytes, height);
  const signature = synced.qc.signatures[1]!;
  const flipped = flipAt(bytes, signature, start, 200);
  const next = blockAt(flipped, height + 1);
  assert.ok(next.synced.block.header.justify !== null && toHex(next.synced.block.header.justify.signatures[1]!) === toHex(signature), "block 9 carries block 8's QC as its justify");
  return flipAt(flipped, signature, next.start, 200);
}

function replaceChainId(bytes: Uint8Array): Uint8Array {
  const from = Buffer.from("bundle-test");
  const copy = Buffer.from(bytes);
  const at = copy.indexOf(from);
  assert.ok(at >= 0 && at < 100, "the chain id is in the header");
  Buffer.from("bundle-tes9").copy(copy, at);
  return new Uint8Array(copy);
}
