import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateSigningKey, verifyAsync, type SigningKey } from "../../src/crypto/index.ts";
import { buildTx } from "../../src/client/index.ts";
import { Mempool, defaultMempoolOptions, type MempoolAccount } from "../../src/mempool/index.ts";
import { GhostmeshError, toHex } from "../../src/util/index.ts";

const chainId = "mempool-test";

function setup(opts: Partial<typeof defaultMempoolOptions> = {}) {
  const accounts = new Map<string, MempoolAccount>();
  let verifyCalls = 0;
  const mempool = new Mempool(
    { ...defaultMempoolOptions, ...opts, chainId },
    {
      accounts: { getAccount: (address) => accounts.get(toHex(address)) },
      verifier: { verify: (...args) => ((verifyCalls += 1), verifyAsync(...args)) },
      metrics: null,
    },
  );
  const register = (key: SigningKey, nonce = 1) => {
    const from = buildTx(key, chainId, 0, { type: "account.register" }).signedTx.tx.from;
    accounts.set(toHex(from), { alg: key.alg, publicKey: key.publicKey, nonce });
  };
  return { mempool, register, verifyCalls: () => verifyCalls };
}

const append = (key: SigningKey, nonce: number, action = "a") => buildTx(key, chainId, nonce, { type: "audit.append", record: { action } });

async function rejects(promise: Promise<unknown>, code: string) {
  await assert.rejects(promise, (err: unknown) => err instanceof GhostmeshError && err.code === code);
}

describe("mempool", () => {
  it("holds a transaction that arrives ahead of its predecessor until the gap fills, then reaps in nonce order", async () => {
    const { mempool, register } = setup();
    const key = generateSigningKey();
    register(key);
    await mempool.admit(append(key, 2).bytes);
    assert.equal(mempool.readyCount, 0);
    await mempool.admit(append(key, 1).bytes);
    assert.equal(mempool.readyCount, 2);
    const reaped = mempool.reap({ txsMax: 10, entriesMax: 10, bytesMax: 1 << 20 });
    assert.deepEqual(reaped.map((tx) => tx.signedTx.tx.nonce), [1, 2]);
    assert.equal(mempool.nextNonce(reaped[0]!.signedTx.tx.from), 3);
  });

  it("drops a transaction that waited more than waitingBlocksMax blocks for its predecessor, refused with MEMPOOL_NONCE_GAP_EXPIRED; one whose gap filled stays", async () => {
    const { mempool, register } = setup({ waitingBlocksMax: 3 });
    const [stuck, filled] = [generateSigningKey(), generateSigningKey()];
    register(stuck);
    register(filled);
    mempool.expireWaiting(10);
    const waiting = await mempool.admit(append(stuck, 3).bytes);
    await mempool.admit(append(filled, 2).bytes);
    assert.equal(mempool.waitingCount, 2);
    assert.deepEqual(mempool.nonceGapOf(waiting.txHashHex), { nonce: 3, nonceExpected: 1 });
    for (const height of [11, 12, 13]) assert.deepEqual(mempool.expireWaiting(height), [], `height ${height}: waited ${height - 10} blocks`);
    await mempool.admit(append(filled, 1).bytes);
    const expired = mempool.expireWaiting(14);
    assert.deepEqual(expired.map((tx) => tx.txHashHex), [waiting.txHashHex]);
    assert.equal(mempool.has(waiting.txHashHex), false);
    assert.deepEqual([mempool.waitingCount, mempool.readyCount, mempool.size], [0, 2, 2]);
    const refusal = mempool.refusals.get(waiting.txHashHex);
    assert.equal(refusal?.code, "MEMPOOL_NONCE_GAP_EXPIRED");
    assert.equal(refusal?.height, 14);
    assert.match(refusal?.message ?? "", /more than 3 blocks for its sender's transaction with nonce 1/);
    assert.equal(mempool.nextNonce(waiting.signedTx.tx.from), 1, "the sender starts again from its committed nonce");
    assert.deepEqual(mempool.expireWaiting(100), [], "a ready transaction never expires");
    await mempool.admit(append(stuck, 3).bytes);
    assert.equal(mempool.refusals.get(waiting.txHashHex), undefined, "admitted again, it is pending again");
  });

  it("holds at most waitingTxsMax transactions waiting for an earlier nonce, and still admits ready ones", async () => {
    const { mempool, register } = setup({ waitingTxsMax: 2 });
    const key = generateSigningKey();
    register(key);
    await mempool.admit(append(key, 5).bytes);
    await mempool.admit(append(key, 6).bytes);
    await assert.rejects(mempool.admit(append(key, 7).bytes), (err: unknown) => err instanceof GhostmeshError && err.code === "MEMPOOL_FULL" && /waiting for an earlier nonce \(2\); this one waits for nonce 1/.test(err.message));
    await mempool.admit(append(key, 1).bytes);
    assert.deepEqual([mempool.waitingCount, mempool.readyCount], [2, 1]);
  });

  it("admits a pending registration's follow-up before the registration commits", async () => {
    const { mempool } = setup();
    const key = generateSigningKey();
    await mempool.admit(buildTx(key, chainId, 0, { type: "account.register" }).bytes);
    await mempool.admit(append(key, 1).bytes);
    assert.equal(mempool.readyCount, 2);
  });

  it("verifies a resubmitted transaction once (cache by hash) and refuses the duplicate", async () => {
    const { mempool, register, verifyCalls } = setup();
    const key = generateSigningKey();
    register(key);
    const tx = append(key, 1);
    await mempool.admit(tx.bytes);
    await rejects(mempool.admit(tx.bytes), "MEMPOOL_DUPLICATE");
    mempool.reap({ txsMax: 10, entriesMax: 10, bytesMax: 1 << 20 });
    assert.equal(verifyCalls(), 1);
  });

  it("a reaped transaction stays pending (and a duplicate) until its block is reported committed or rejected", async () => {
    const { mempool, register } = setup();
    const key = generateSigningKey();
    register(key);
    const [first, second] = [append(key, 1), append(key, 2)];
    await mempool.admit(first.bytes);
    await mempool.admit(second.bytes);
    const reaped = mempool.reap({ txsMax: 10, entriesMax: 10, bytesMax: 1 << 20 });
    assert.equal(mempool.readyCount, 0);
    assert.ok(mempool.has(toHex(first.hash)) && mempool.has(toHex(second.hash)), "reaped, the block not committed yet: still pending");
    await rejects(mempool.admit(first.bytes), "MEMPOOL_DUPLICATE");
    mempool.onCommitted([reaped[0]!]);
    mempool.onRejected([reaped[1]!]);
    assert.ok(!mempool.has(toHex(first.hash)) && !mempool.has(toHex(second.hash)), "settled: no longer pending");
  });

  it("answers the verified signature and key of a held transaction, and nothing once it leaves the pool", async () => {
    const { mempool, register } = setup();
    const key = generateSigningKey();
    register(key);
    const tx = append(key, 1);
    const poolTx = await mempool.admit(tx.bytes);
    const verified = mempool.verifiedSignature(poolTx.txHashHex);
    assert.ok(verified !== undefined);
    assert.deepEqual(verified.sig, tx.signedTx.sig);
    assert.equal(verified.alg, key.alg);
    assert.deepEqual(verified.publicKey, key.publicKey);
    mempool.reap({ txsMax: 10, entriesMax: 10, bytesMax: 1 << 20 });
    assert.equal(mempool.verifiedSignature(poolTx.txHashHex), undefined);
  });

  it("checks a signature once while two copies of a transaction are admitted at once, and shows the check under way", async () => {
    const { mempool, register, verifyCalls } = setup();
    const key = generateSigningKey();
    register(key);
    const tx = append(key, 1);
    const hashHex = toHex(tx.hash);
    const first = mempool.admit(tx.bytes);
    const second = mempool.admit(tx.bytes);
    const pending = mempool.pendingVerdict(hashHex);
    assert.ok(pending !== undefined, "the check is under way");
    assert.deepEqual(pending.sig, tx.signedTx.sig);
    assert.deepEqual(pending.publicKey, key.publicKey);
    await first;
    await rejects(second, "MEMPOOL_DUPLICATE");
    assert.equal(await pending.valid, true);
    assert.equal(verifyCalls(), 1, "the second copy shared the first one's check");
    assert.equal(mempool.pendingVerdict(hashHex), undefined, "forgotten once it ended");
  });

  it("refuses when full and leaves no state behind for refused senders", async () => {
    const { mempool, register } = setup({ txsMax: 2 });
    const key = generateSigningKey();
    register(key);
    const stranger = generateSigningKey();
    await rejects(mempool.admit(append(stranger, 0).bytes), "MEMPOOL_UNKNOWN_ACCOUNT");
    assert.equal(mempool.nextNonce(append(stranger, 0).signedTx.tx.from), 0);
    await mempool.admit(append(key, 1).bytes);
    await mempool.admit(append(key, 2).bytes);
    await rejects(mempool.admit(append(key, 3).bytes), "MEMPOOL_FULL");
    assert.equal(mempool.size, 2);
  });

  it("respects reap limits on transactions and entries", async () => {
    const { mempool, register } = setup();
    const key = generateSigningKey();
    register(key);
    await mempool.admit(buildTx(key, chainId, 1, { type: "audit.batch", records: [{ action: "a" }, { action: "b" }, { action: "c" }] }).bytes);
    await mempool.admit(append(key, 2).bytes);
    assert.equal(mempool.reap({ txsMax: 10, entriesMax: 3, bytesMax: 1 << 20 }).length, 1);
    assert.equal(mempool.reap({ txsMax: 10, entriesMax: 3, bytesMax: 1 << 20 }).length, 1);
  });

  it("drops a sender's later transactions when execution refuses an earlier one", async () => {
    const { mempool, register } = setup();
    const key = generateSigningKey();
    register(key);
    await mempool.admit(append(key, 1).bytes);
    const [first] = mempool.reap({ txsMax: 1, entriesMax: 10, bytesMax: 1 << 20 });
    await mempool.admit(append(key, 2).bytes);
    await mempool.admit(append(key, 3).bytes);
    const dropped = mempool.onRejected([first!]);
    assert.equal(dropped.length, 2);
    assert.equal(mempool.size, 0);
    assert.equal(mempool.nextNonce(first!.signedTx.tx.from), 1);
  });

  it("refuses a signature made by another key", async () => {
    const { mempool, register } = setup();
    const key = generateSigningKey();
    register(key);
    const imposter = generateSigningKey();
    const built = append(imposter, 1);
    const forged = buildTx(key, chainId, 1, { type: "audit.append", record: { action: "a" } });
    const { encodeCanonical } = await import("../../src/codec/index.ts");
    await rejects(mempool.admit(encodeCanonical({ ...forged.signedTx, sig: built.signedTx.sig })), "MEMPOOL_BAD_SIGNATURE");
  });
});
