import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateSigningKey, verifyAsync } from "../../src/crypto/index.ts";
import { buildTx } from "../../src/client/index.ts";
import { Mempool, defaultMempoolOptions, type MempoolAccount } from "../../src/mempool/index.ts";
import { toHex } from "../../src/util/index.ts";

const chainId = "ready-entries-test";

describe("mempool: ready entries", () => {
  it("counts a batch's records as entries while ready, and none once reaped", async () => {
    const key = generateSigningKey();
    const from = buildTx(key, chainId, 0, { type: "account.register" }).signedTx.tx.from;
    const accounts = new Map<string, MempoolAccount>([[toHex(from), { alg: key.alg, publicKey: key.publicKey, nonce: 1 }]]);
    const mempool = new Mempool(
      { ...defaultMempoolOptions, chainId },
      { accounts: { getAccount: (address) => accounts.get(toHex(address)) }, verifier: { verify: verifyAsync }, metrics: null },
    );
    const records = Array.from({ length: 250 }, (_, i) => ({ action: "read", subject: String(i) }));
    const batch = await mempool.admit(buildTx(key, chainId, 1, { type: "audit.batch", records }).bytes);
    await mempool.admit(buildTx(key, chainId, 2, { type: "audit.append", record: { action: "write" } }).bytes);
    assert.equal(batch.recordBytes?.length, 250);
    assert.equal(mempool.readyEntryCount, 251);
    assert.equal(mempool.reap({ txsMax: 1, entriesMax: 100_000, bytesMax: 1 << 30 }).length, 1);
    assert.equal(mempool.readyEntryCount, 1);
    assert.equal(mempool.reap({ txsMax: 10, entriesMax: 100_000, bytesMax: 1 << 30 }).length, 1);
    assert.equal(mempool.readyEntryCount, 0);
  });
});
