import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateSigningKey } from "../../src/crypto/index.ts";
import { buildTx } from "../../src/client/index.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ChainStore } from "../../src/ledger/index.ts";
import { SCHEMA_VERSION, migrate } from "../../src/ledger/store-schema.ts";
import { Chain } from "../../src/node/chain.ts";
import { bytesEqual } from "../../src/util/index.ts";
import { openTestChain, removeDir } from "../helpers/testChain.ts";

async function commitOne(t: ReturnType<typeof openTestChain>, bytes: Uint8Array) {
  const res = await t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(bytes) });
  assert.equal(res.statusCode, 200, res.body);
}

describe("chain store", () => {
  it("a commit that fails midway leaves the previous block as head, and the chain continues", async () => {
    const t = openTestChain();
    try {
      t.producer.start();
      const key = generateSigningKey();
      await commitOne(t, buildTx(key, t.genesis.chainId, 0, { type: "account.register" }).bytes);
      const headBefore = t.chain.head;
      const built = t.chain.buildBlock({ txs: [{ signedTx: buildTx(key, t.genesis.chainId, 1, { type: "audit.append", record: { action: "a" } }).signedTx, txHash: new Uint8Array(32) }], proposer: headBefore.header!.proposer, view: 99, timestampMs: 0, justify: null, evidence: [] });
      // Make the entry insert fail inside the SQLite transaction: leaf index already taken.
      const db = t.store.unsafeDatabase();
      db.prepare("INSERT INTO entries (leaf_index, height, sender, action, bytes) VALUES (?, 0, x'00', NULL, x'00')").run(headBefore.logSize);
      assert.throws(() => t.chain.commitBlock(built, { view: 99, height: built.block.header.height, blockHash: built.hash, signers: new Uint8Array([1]), signatures: [new Uint8Array([1])] }));
      db.prepare("DELETE FROM entries WHERE leaf_index = ?").run(headBefore.logSize);
      assert.equal(t.store.headHeight(), headBefore.height);
      assert.equal(t.store.getBlock(headBefore.height + 1), undefined);
      assert.equal(t.chain.head.height, headBefore.height);
      assert.equal(t.chain.merkleLog.size, headBefore.logSize);
      await commitOne(t, buildTx(key, t.genesis.chainId, 1, { type: "audit.append", record: { action: "after" } }).bytes);
      assert.equal(t.chain.head.height, headBefore.height + 1);
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });

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
      old.close();

      const store = new ChainStore(path);
      try {
        const db = store.unsafeDatabase();
        assert.equal((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, SCHEMA_VERSION);
        assert.doesNotMatch(String((db.prepare("SELECT sql FROM sqlite_master WHERE name = 'txs'").get() as { sql: string }).sql), /WITHOUT ROWID/);
        for (const row of rows) assert.deepEqual(store.getTx(row.hash)?.bytes, row.bytes);
        assert.deepEqual(store.txsOfBlock(1).map((tx) => tx.position), [0, 1]);
        assert.deepEqual(store.txsOfBlock(1)[0]?.hash, rows[2]!.hash);
        assert.throws(() => db.prepare("INSERT INTO txs (hash, height, position, first_leaf, leaf_count, bytes) VALUES (?, 3, 0, 0, 1, x'00')").run(rows[0]!.hash), /UNIQUE/, "a hash is stored once");
      } finally {
        store.close();
      }
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
