/** ghostmesh verify recomputes the state tree per height and checks the stored one; damage is named. */
import { strict as assert } from "node:assert";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { accountKey } from "../../src/app/index.ts";
import { addressFromPublicKey, generateSigningKey, type SigningKey } from "../../src/crypto/index.ts";
import { buildTx } from "../../src/client/index.ts";
import { ChainStore } from "../../src/ledger/index.ts";
import { smtKeyHash } from "../../src/merkle/index.ts";
import { VerifyFailure, verifyStore } from "../../src/node/verify.ts";
import { toHex } from "../../src/util/index.ts";
import { openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

let t: TestChain;
let key: SigningKey;
let cleanDb = "";

async function send(nonce: number, intent: Parameters<typeof buildTx>[3]): Promise<void> {
  const built = buildTx(key, t.genesis.chainId, nonce, intent);
  const res = await t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(built.bytes) });
  assert.equal(res.statusCode, 200, res.body);
}

/** A copy of the clean store with `damage` done to it, verified. */
async function verifyDamaged(name: string, damage: (store: ChainStore) => void): Promise<VerifyFailure> {
  const path = join(t.dir, `${name}.db`);
  copyFileSync(cleanDb, path);
  const store = new ChainStore(path);
  try {
    damage(store);
    await verifyStore(store, t.genesis);
  } catch (err) {
    if (err instanceof VerifyFailure) return err;
    throw err;
  } finally {
    store.close();
  }
  assert.fail(`verify passed on a store with ${name}`);
}

describe("verify: state tree", () => {
  before(async () => {
    t = openTestChain();
    t.producer.start();
    key = generateSigningKey();
    await send(0, { type: "account.register" });
    await send(1, { type: "audit.append", record: { action: "a" } });
    await send(2, { type: "audit.append", record: { action: "b" } });
    await t.close();
    cleanDb = join(t.dir, "clean.db");
    // A checkpointed single-file copy: the WAL is folded into the database by close().
    copyFileSync(t.dbPath, cleanDb);
  });
  after(() => removeDir(t.dir));

  it("a clean store verifies, state roots included", async () => {
    const store = new ChainStore(cleanDb);
    try {
      const report = await verifyStore(store, t.genesis);
      assert.ok(report.height >= 3);
    } finally {
      store.close();
    }
  });

  it("a tampered state value row is reported naming its key", async () => {
    const keyBytes = accountKey(addressFromPublicKey(key.alg, key.publicKey));
    const failure = await verifyDamaged("value", (store) => {
      const db = store.unsafeDatabase();
      const changed = db.prepare("UPDATE state_values SET value = x'a0' WHERE key_hash = ? AND version = (SELECT MAX(version) FROM state_values WHERE key_hash = ?)").run(smtKeyHash(keyBytes), smtKeyHash(keyBytes));
      assert.equal(changed.changes, 1);
    });
    assert.match(failure.message, new RegExp(`state key ${toHex(keyBytes)}`));
  });

  it("a tampered state tree node is reported naming its path", async () => {
    const failure = await verifyDamaged("node", (store) => {
      const db = store.unsafeDatabase();
      const row = db.prepare("SELECT path, version, node FROM state_nodes ORDER BY version DESC LIMIT 1").get() as { path: Uint8Array; version: number; node: Uint8Array };
      const node = new Uint8Array(row.node);
      node[node.length - 9] = (node[node.length - 9] as number) ^ 1; // a bit of a hash the node commits to
      db.prepare("UPDATE state_nodes SET node = ? WHERE path = ? AND version = ?").run(node, row.path, row.version);
    });
    assert.match(failure.message, /state tree node at path [0-9a-f]+ .*does not match/);
  });

  it("a tampered state version root is reported naming the version", async () => {
    const failure = await verifyDamaged("root", (store) => {
      store.unsafeDatabase().exec("UPDATE state_versions SET root = zeroblob(32) WHERE version = 1");
    });
    assert.match(failure.message, /height 1: state version 1: stored root 0{64} is not the root/);
  });
});
