import { describe, it } from "node:test";
import { emptyBlockContext } from "./harness.ts";
import assert from "node:assert/strict";
import { generateSigningKey } from "../../src/crypto/index.ts";
import { buildTx } from "../../src/client/index.ts";
import { executeBlock, type Account } from "../../src/app/index.ts";
import { DatabaseSync } from "node:sqlite";
import { openStateStore, verifyStateProof, type StateStore, type StateWrite } from "../../src/state/index.ts";
import { bytesEqual, toHex, utf8 } from "../../src/util/index.ts";

const chainId = "app-test";

/** A state store at version 0 holding `initial`; blocks prepare version 1 on it. */
function stateAt0(initial: readonly StateWrite[] = []): StateStore {
  const store = openStateStore(new DatabaseSync(":memory:"));
  store.apply(store.prepare(0, initial));
  return store;
}
const on = (store: StateStore) => (writes: readonly StateWrite[]) => store.prepare(1, writes);

function reader(accounts: Map<string, Account>) {
  return { getAccount: (address: Uint8Array) => accounts.get(toHex(address)) };
}

describe("app: executeBlock", () => {
  it("registers, appends and batches, producing one entry per record and advancing nonces", () => {
    const key = generateSigningKey();
    const txs = [
      buildTx(key, chainId, 0, { type: "account.register" }),
      buildTx(key, chainId, 1, { type: "audit.append", record: { action: "a" } }),
      buildTx(key, chainId, 2, { type: "audit.batch", records: [{ action: "b" }, { action: "c", subject: "s" }] }),
    ].map((b) => ({ signedTx: b.signedTx, txHash: b.hash }));
    const result = executeBlock(reader(new Map()), { height: 1, logSize: 10, txs, prepareState: on(stateAt0()), context: emptyBlockContext });
    assert.equal(result.rejected.length, 0);
    assert.equal(result.entries.length, 4);
    assert.deepEqual(result.executed.map((e) => [e.firstLeaf, e.leafCount]), [[10, 1], [11, 1], [12, 2]]);
    assert.equal(result.accountWrites.length, 1);
    assert.equal(result.accountWrites[0]!.account.nonce, 3);
    // The state root is the tree root over the account's key and stored value.
    const write = result.stateWrites[0]!;
    assert.equal(toHex(write.key), `01${toHex(result.accountWrites[0]!.address)}`);
    assert.equal(result.stateUpdate.version, 1);
    const proofStore = stateAt0();
    proofStore.apply(result.stateUpdate);
    const proven = proofStore.prove(write.key, 1);
    assert.ok(verifyStateProof(result.stateRoot, write.key, write.value, proven.proof));
  });

  it("refuses a wrong nonce, an unknown account and a second registration without applying them", () => {
    const key = generateSigningKey();
    const other = generateSigningKey();
    const txs = [
      buildTx(key, chainId, 0, { type: "account.register" }),
      buildTx(key, chainId, 5, { type: "audit.append", record: { action: "a" } }),
      buildTx(other, chainId, 0, { type: "audit.append", record: { action: "a" } }),
      buildTx(key, chainId, 1, { type: "account.register" }),
    ].map((b) => ({ signedTx: b.signedTx, txHash: b.hash }));
    const result = executeBlock(reader(new Map()), { height: 1, logSize: 0, txs, prepareState: on(stateAt0()), context: emptyBlockContext });
    assert.deepEqual(result.rejected.map((r) => [r.index, r.code]), [[1, "APP_BAD_NONCE"], [2, "APP_UNKNOWN_ACCOUNT"], [3, "APP_ACCOUNT_EXISTS"]]);
    assert.equal(result.entries.length, 1);
  });

  it("is deterministic: the same input gives the same state root and entries, and different input a different root", () => {
    const key = generateSigningKey();
    const txs = [buildTx(key, chainId, 0, { type: "account.register" })].map((b) => ({ signedTx: b.signedTx, txHash: b.hash }));
    const a = executeBlock(reader(new Map()), { height: 1, logSize: 0, txs, prepareState: on(stateAt0()), context: emptyBlockContext });
    const b = executeBlock(reader(new Map()), { height: 1, logSize: 0, txs, prepareState: on(stateAt0()), context: emptyBlockContext });
    assert.ok(bytesEqual(a.stateRoot, b.stateRoot));
    assert.ok(a.entryBytes.every((bytes, i) => bytesEqual(bytes, b.entryBytes[i]!)));
    const c = executeBlock(reader(new Map()), { height: 1, logSize: 0, txs, prepareState: on(stateAt0([{ key: utf8("other"), value: utf8("state") }])), context: emptyBlockContext });
    assert.ok(!bytesEqual(a.stateRoot, c.stateRoot));
  });
});
