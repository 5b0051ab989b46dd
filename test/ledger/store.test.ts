import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateSigningKey, type SigningKey } from "../../src/crypto/index.ts";
import { buildTx } from "../../src/client/index.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { encodeCanonical } from "../../src/codec/index.ts";
import { ChainStore, decodeStoredHeader } from "../../src/ledger/index.ts";
import { SCHEMA_VERSION, migrate } from "../../src/ledger/store-schema.ts";
import { Chain } from "../../src/node/chain.ts";
import { homePaths } from "../../src/node/home.ts";
import { bytesEqual, isGhostmeshError } from "../../src/util/index.ts";
import { EPOCH_BLOCKS, buildEpochChain, prepareEpochHomes } from "../fixtures/epochChain.ts";
import { openTestChain, removeDir } from "../helpers/testChain.ts";

async function commitOne(t: ReturnType<typeof openTestChain>, bytes: Uint8Array) {
  const res = await t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(bytes) });
  assert.equal(res.statusCode, 200, res.body);
}

/** A structurally valid certificate with a made-up signature: the store keeps QCs, it does not check them. */
function fakeQc(height: number, blockHash: Uint8Array, view: number) {
  return { view, height, blockHash, signers: new Uint8Array([1]), signatures: [new Uint8Array([view])] };
}

function qcRows(store: ChainStore): number[] {
  return (store.unsafeDatabase().prepare("SELECT height FROM block_qcs ORDER BY height").all() as { height: number }[]).map((row) => row.height);
}

type RegisteredChain = { readonly t: ReturnType<typeof openTestChain>; readonly key: SigningKey; readonly proposer: Uint8Array };

/** Runs `test` on a fresh chain whose producer committed one account registration (nonce 0 of `key`); then closes and removes it. */
async function withRegisteredAccount(test: (chain: RegisteredChain) => Promise<void> | void): Promise<void> {
  const t = openTestChain();
  try {
    t.producer.start();
    const key = generateSigningKey();
    await commitOne(t, buildTx(key, t.genesis.chainId, 0, { type: "account.register" }).bytes);
    await test({ t, key, proposer: t.chain.head.header!.proposer });
  } finally {
    await t.close();
    removeDir(t.dir);
  }
}

/** A block of one audit.append by `key` (nonce 1) on the chain's head: it writes one entry. */
function auditBlock({ t, key, proposer }: RegisteredChain, view: number) {
  const signedTx = buildTx(key, t.genesis.chainId, 1, { type: "audit.append", record: { action: "a" } }).signedTx;
  return t.chain.buildBlock({ txs: [{ signedTx, txHash: new Uint8Array(32) }], proposer, view, timestampMs: 0, justify: null, evidence: [] });
}

/** Takes leaf index `leafIndex` in the entries table, so the next block's entry insert fails halfway through its writes. */
function takeLeafIndex(t: ReturnType<typeof openTestChain>, leafIndex: number): void {
  t.store.unsafeDatabase().prepare("INSERT INTO entries (leaf_index, height, sender, action, bytes) VALUES (?, 0, x'00', NULL, x'00')").run(leafIndex);
}

describe("chain store", () => {
  it("a commit that fails midway leaves the previous block as head, and the chain continues", () =>
    withRegisteredAccount(async (chain) => {
      const { t, key } = chain;
      const headBefore = t.chain.head;
      const built = auditBlock(chain, 99);
      takeLeafIndex(t, headBefore.logSize);
      assert.throws(() => t.chain.commitBlock(built, fakeQc(built.block.header.height, built.hash, 99)));
      t.store.unsafeDatabase().prepare("DELETE FROM entries WHERE leaf_index = ?").run(headBefore.logSize);
      assert.equal(t.store.headHeight(), headBefore.height);
      assert.equal(t.store.getBlock(headBefore.height + 1), undefined);
      assert.equal(t.chain.head.height, headBefore.height);
      assert.equal(t.chain.merkleLog.size, headBefore.logSize);
      await commitOne(t, buildTx(key, t.genesis.chainId, 1, { type: "audit.append", record: { action: "after" } }).bytes);
      assert.equal(t.chain.head.height, headBefore.height + 1);
    }));

  it("blocks committed in one transaction: a certificate carried as the next block's justify is not stored, the head's is", () =>
    withRegisteredAccount(({ t, proposer }) => {
      t.store.transaction(() => {
        const first = t.chain.buildBlock({ txs: [], proposer, view: 90, timestampMs: 0, justify: null, evidence: [] });
        const firstQc = fakeQc(first.block.header.height, first.hash, 90);
        t.chain.commitBlock(first, firstQc);
        // The second carries the first's QC as justify: that QC is the justify above, never a row.
        const second = t.chain.buildBlock({ txs: [], proposer, view: 91, timestampMs: 0, justify: firstQc, evidence: [] });
        t.chain.commitBlock(second, fakeQc(second.block.header.height, second.hash, 91));
        assert.equal(t.store.certificate(first.block.header.height).view, 90, "read inside the transaction");
      });
      const head = t.store.headHeight();
      assert.equal(head, t.chain.head.height);
      assert.deepEqual(qcRows(t.store), [head - 2, head], "the block before the pair (its child has no justify) and the head");
      assert.equal(t.store.certificate(head).view, 91);
      assert.equal(t.store.certificate(head - 1).view, 90, "the justify in the head's header");
    }));

  it("a nested transaction that throws makes the outer one roll back, even when the error is caught; uncaught, the error itself comes out", () => {
    const dir = mkdtempSync(join(tmpdir(), "gm-store-nested-"));
    const store = new ChainStore(join(dir, "chain.db"));
    try {
      const value = new Uint8Array([1]);
      assert.throws(
        () =>
          store.transaction(() => {
            store.setMeta("outer", value);
            assert.throws(() =>
              store.transaction(() => {
                store.setMeta("inner", value);
                throw new Error("inner write failed");
              }),
            );
          }),
        /a write inside it failed and the error was caught; rolled back/,
      );
      assert.deepEqual([store.getMeta("outer"), store.getMeta("inner")], [undefined, undefined]);
      assert.throws(() => store.transaction(() => store.transaction(() => { throw new Error("inner write failed"); })), /inner write failed/);
      // The next transaction starts clean.
      store.transaction(() => store.setMeta("after", value));
      assert.deepEqual(store.getMeta("after"), value);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a block whose commit fails inside a transaction rolls all of it back, even when the error is caught", () =>
    withRegisteredAccount((chain) => {
      const { t, proposer } = chain;
      const headBefore = t.store.headHeight();
      const rowsBefore = qcRows(t.store);
      const entryRows = () => (t.store.unsafeDatabase().prepare("SELECT COUNT(*) AS n FROM entries").get() as { n: number }).n;
      const entriesBefore = entryRows();
      assert.throws(
        () =>
          t.store.transaction(() => {
            const first = t.chain.buildBlock({ txs: [], proposer, view: 90, timestampMs: 0, justify: null, evidence: [] });
            t.chain.commitBlock(first, fakeQc(first.block.header.height, first.hash, 90));
            const second = auditBlock(chain, 91);
            takeLeafIndex(t, t.chain.head.logSize);
            assert.throws(() => t.chain.commitBlock(second, fakeQc(second.block.header.height, second.hash, 91)));
          }),
        /a write inside it failed and the error was caught; rolled back/,
      );
      // The store is exactly as before the transaction (the in-memory chain is not: a node stops here).
      assert.equal(t.store.headHeight(), headBefore);
      assert.deepEqual(qcRows(t.store), rowsBefore);
      assert.equal(entryRows(), entriesBefore);
    }));

  it("reopening a store resumes at the same head, log root and accounts", async () => {
    const t = openTestChain();
    const key = generateSigningKey();
    t.producer.start();
    await commitOne(t, buildTx(key, t.genesis.chainId, 0, { type: "account.register" }).bytes);
    await commitOne(t, buildTx(key, t.genesis.chainId, 1, { type: "audit.batch", records: Array.from({ length: 700 }, (_, i) => ({ action: "r", subject: String(i) })) }).bytes);
    const head = t.chain.head;
    const from = buildTx(key, "x", 0, { type: "account.register" }).signedTx.tx.from;
    await t.close();
    const store = new ChainStore(t.dbPath);
    try {
      const chain = new Chain(t.genesis, store);
      assert.equal(chain.head.height, head.height);
      assert.ok(bytesEqual(chain.head.logRoot, head.logRoot));
      assert.ok(bytesEqual(chain.merkleLog.root(), head.logRoot));
      assert.equal(chain.accounts.getAccount(from)?.nonce, 2);
    } finally {
      store.close();
      removeDir(t.dir);
    }
  });

  it("stores each certificate once: the head's, and one that differs from its child's justify; the others are the justify above", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gm-store-qcs-"));
    try {
      const homes = prepareEpochHomes(dir, "store-qcs");
      const home = homes.homes[0]!.home;
      const blocks = 3 * EPOCH_BLOCKS;
      await buildEpochChain({ home, genesis: homes.genesis, keys: homes.homes.map((h) => h.key), blocks, tamper: { height: EPOCH_BLOCKS, kind: "qc-previous-set" } });
      const store = new ChainStore(homePaths(home).chainDb);
      try {
        const rows = store.unsafeDatabase().prepare("SELECT height FROM block_qcs ORDER BY height").all() as { height: number }[];
        assert.deepEqual(rows.map((row) => row.height), [EPOCH_BLOCKS, blocks], "the differing certificate and the head's");
        for (let height = 1; height < blocks; height++) {
          const justifyAbove = decodeStoredHeader(store.getBlock(height + 1)!.header, height + 1).justify!;
          const certificate = store.certificate(height);
          assert.ok(bytesEqual(certificate.blockHash, store.getBlock(height)!.hash), `block ${height}'s certificate certifies it`);
          assert.equal(bytesEqual(store.certificateBytes(height), encodeCanonical(justifyAbove)), height !== EPOCH_BLOCKS, `block ${height}`);
        }
        assert.equal(store.certificate(blocks).height, blocks);
        store.unsafeDatabase().prepare("DELETE FROM block_qcs WHERE height = ?").run(blocks);
        assert.throws(() => store.certificate(blocks), (err: unknown) => isGhostmeshError(err) && err.code === "LEDGER_STORE_CORRUPT" && new RegExp(`block ${blocks} has no stored certificate`).test(err.message));
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a store whose blocks have the earlier txRoot (schema 3 with transactions), and migrates one without any", () => {
    const dir = mkdtempSync(join(tmpdir(), "gm-store-txroot-"));
    try {
      const withTxs = join(dir, "with-txs.db");
      const old = new DatabaseSync(withTxs);
      migrate(old, 3);
      old.prepare("INSERT INTO txs (hash, height, position, first_leaf, leaf_count, bytes) VALUES (?, 1, 0, 0, 1, x'00')").run(new Uint8Array(32).fill(3));
      old.close();
      assert.throws(
        () => new ChainStore(withTxs),
        (err: unknown) => isGhostmeshError(err) && err.code === "LEDGER_STORE_OPEN_FAILED" && /earlier ghostmesh \(schema 3\).*txRoot leaves transaction signatures out.*Start a new chain/.test(err.message),
      );
      const reopened = new DatabaseSync(withTxs);
      assert.equal((reopened.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, 3, "the refused store is left as it was");
      reopened.close();

      // Blocks without transactions migrate; their certificates move to block_qcs as they are.
      const empty = join(dir, "empty.db");
      const emptyOld = new DatabaseSync(empty);
      migrate(emptyOld, 3);
      const certificates = [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])];
      certificates.forEach((qc, i) => emptyOld.prepare("INSERT INTO blocks (height, hash, header, log_size, evidence, qc) VALUES (?, ?, x'a0', 0, x'80', ?)").run(i + 1, new Uint8Array(32).fill(i + 1), qc));
      emptyOld.close();
      const store = new ChainStore(empty);
      try {
        assert.equal((store.unsafeDatabase().prepare("PRAGMA user_version").get() as { user_version: number }).user_version, SCHEMA_VERSION);
        certificates.forEach((qc, i) => assert.deepEqual(store.storedCertificateBytes(i + 1), qc));
        assert.deepEqual(store.getBlock(2)?.header, new Uint8Array([0xa0]));
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("migrates a schema-2 store's transactions (WITHOUT ROWID) to the rowid table, found by hash and by height", () => {
    const dir = mkdtempSync(join(tmpdir(), "gm-store-migrate-"));
    const path = join(dir, "chain.db");
    try {
      const old = new DatabaseSync(path);
      migrate(old, 2);
      const insert = old.prepare("INSERT INTO txs (hash, height, position, first_leaf, leaf_count, bytes) VALUES (?, ?, ?, ?, ?, ?)");
      const rows = [
        { hash: new Uint8Array(32).fill(9), height: 2, position: 0, bytes: new Uint8Array([1, 2]) },
        { hash: new Uint8Array(32).fill(1), height: 1, position: 1, bytes: new Uint8Array([3]) },
        { hash: new Uint8Array(32).fill(5), height: 1, position: 0, bytes: new Uint8Array([4, 5, 6]) },
      ];
      rows.forEach((row, i) => insert.run(row.hash, row.height, row.position, i, 1, row.bytes));
      assert.match(String((old.prepare("SELECT sql FROM sqlite_master WHERE name = 'txs'").get() as { sql: string }).sql), /WITHOUT ROWID/);
      migrate(old, 3);
      assert.equal((old.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, 3);
      assert.doesNotMatch(String((old.prepare("SELECT sql FROM sqlite_master WHERE name = 'txs'").get() as { sql: string }).sql), /WITHOUT ROWID/);
      const byHash = old.prepare("SELECT bytes FROM txs WHERE hash = ?");
      for (const row of rows) assert.deepEqual(new Uint8Array((byHash.get(row.hash) as { bytes: Uint8Array }).bytes), row.bytes);
      const ofBlock1 = old.prepare("SELECT hash, position FROM txs WHERE height = 1 ORDER BY position").all() as { hash: Uint8Array; position: number }[];
      assert.deepEqual(ofBlock1.map((tx) => tx.position), [0, 1]);
      assert.deepEqual(new Uint8Array(ofBlock1[0]!.hash), rows[2]!.hash);
      assert.throws(() => old.prepare("INSERT INTO txs (hash, height, position, first_leaf, leaf_count, bytes) VALUES (?, 3, 0, 0, 1, x'00')").run(rows[0]!.hash), /UNIQUE/, "a hash is stored once");
      old.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to open a store with another genesis", async () => {
    const t = openTestChain();
    await t.close();
    const store = new ChainStore(t.dbPath);
    try {
      const other = { ...t.genesis, chainId: "another-chain" };
      assert.throws(() => new Chain(other, store), /another genesis/);
    } finally {
      store.close();
      removeDir(t.dir);
    }
  });
});
