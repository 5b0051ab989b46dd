/**
 * The mempool as consensus uses it: leaders select without removing, and commits (of any
 * validator's blocks) settle the pool: committed transactions leave, stale nonces are
 * dropped, and the next expected nonce follows the committed state.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { buildTx } from "../../../src/client/index.ts";
import { generateSigningKey, verifyAsync, type SigningKey } from "../../../src/crypto/index.ts";
import { Mempool, defaultMempoolOptions, type MempoolAccount } from "../../../src/mempool/index.ts";
import { GhostmeshError, toHex } from "../../../src/util/index.ts";

const CHAIN_ID = "mempool-consensus-test";
const LIMITS = { txsMax: 100, entriesMax: 1000, bytesMax: 1 << 24 };

function setup() {
  const accounts = new Map<string, MempoolAccount>();
  const mempool = new Mempool({ ...defaultMempoolOptions, chainId: CHAIN_ID }, { accounts: { getAccount: (address) => accounts.get(toHex(address)) }, verifier: { verify: verifyAsync }, metrics: null });
  /** Sets the committed account, as the chain does before the mempool hears of a commit. */
  const commitNonce = (key: SigningKey, nonce: number) => {
    const from = append(key, 0).signedTx.tx.from;
    accounts.set(toHex(from), { alg: key.alg, publicKey: key.publicKey, nonce });
    return from;
  };
  return { mempool, commitNonce };
}

const append = (key: SigningKey, nonce: number, action = "a") => buildTx(key, CHAIN_ID, nonce, { type: "audit.append", record: { action } });

describe("mempool under consensus", () => {
  it("selects ready transactions without removing them, skipping the excluded ones", async () => {
    const { mempool, commitNonce } = setup();
    const key = generateSigningKey();
    commitNonce(key, 0);
    const txs = [append(key, 0), append(key, 1), append(key, 2)];
    for (const tx of txs) await mempool.admit(tx.bytes);
    const excluded = toHex(txs[0]!.hash);
    const selected = mempool.select(LIMITS, (hash) => hash === excluded);
    assert.deepEqual(selected.map((tx) => tx.signedTx.tx.nonce), [1, 2]);
    assert.equal(mempool.readyCount, 3);
    assert.equal(mempool.select(LIMITS, () => false).length, 3, "a second selection sees the same transactions");
    assert.equal(mempool.select({ ...LIMITS, txsMax: 1 }, () => false).length, 1);
  });

  it("drops committed transactions and those whose nonce a commit used up, and follows the committed nonce", async () => {
    const { mempool, commitNonce } = setup();
    const key = generateSigningKey();
    commitNonce(key, 0);
    const mine = [append(key, 0), append(key, 1), append(key, 2, "mine")];
    for (const tx of mine) await mempool.admit(tx.bytes);
    await mempool.admit(append(key, 5).bytes); // waits for nonces 3 and 4
    // Another validator's block committed nonces 0..3: 0 and 1 are ours, 2 and 3 are not.
    const from = commitNonce(key, 4);
    const theirs = [append(key, 2, "theirs"), append(key, 3, "theirs")];
    const dropped = mempool.onBlockCommitted([...mine.slice(0, 2), ...theirs].map((tx) => ({ from, txHashHex: toHex(tx.hash) })));
    assert.deepEqual(dropped.map((tx) => toHex(tx.txHash)), [toHex(mine[2]!.hash)], "our conflicting nonce 2 is dropped");
    assert.equal(mempool.has(toHex(mine[0]!.hash)), false);
    assert.equal(mempool.nextNonce(from), 4, "the next nonce follows the committed state");
    assert.equal(mempool.readyCount, 0);
    await mempool.admit(append(key, 4).bytes);
    assert.deepEqual(mempool.select(LIMITS, () => false).map((tx) => tx.signedTx.tx.nonce), [4, 5], "nonce 4 filled the gap before the waiting 5");
    assert.equal(mempool.size, 2);
  });

  it("removes refused transactions with their senders' later ones, keeps earlier ones and other senders', and takes a corrected nonce", async () => {
    const { mempool, commitNonce } = setup();
    const a = generateSigningKey();
    const b = generateSigningKey();
    commitNonce(a, 0);
    const fromB = commitNonce(b, 0);
    const txA = append(a, 0);
    const txsB = [0, 1, 2, 4].map((nonce) => append(b, nonce));
    await mempool.admit(txA.bytes);
    for (const tx of txsB) await mempool.admit(tx.bytes);
    for (const [nonce, held] of [[1, txsB[1]!], [4, txsB[3]!]] as const) {
      await assert.rejects(
        mempool.admit(append(b, nonce, "corrected").bytes),
        (err: unknown) => err instanceof GhostmeshError && err.code === "MEMPOOL_NONCE_TAKEN" && err.meta.txHashPending === toHex(held.hash) && err.message.includes(toHex(held.hash)),
        `before the refusal reaches this pool, nonce ${nonce} is held by a pending transaction, which the refusal names`,
      );
    }
    const dropped = mempool.removeRefused([toHex(txsB[1]!.hash), "00".repeat(32)]);
    assert.deepEqual(dropped.map((tx) => tx.signedTx.tx.nonce).sort(), [2, 4], "the later ready nonce 2 and the waiting 4");
    assert.deepEqual(mempool.select(LIMITS, () => false).map((tx) => toHex(tx.txHash)), [toHex(txA.hash), toHex(txsB[0]!.hash)], "the earlier nonce 0 stays: it may be in a proposal about to commit");
    assert.equal(mempool.nextNonce(fromB), 1, "the refused nonce is free again");
    await mempool.admit(append(b, 1, "corrected").bytes);
    assert.equal(mempool.readyCount, 3);
    assert.deepEqual(mempool.removeRefused([toHex(txA.hash)]), []);
    assert.equal(mempool.nextNonce(commitNonce(a, 0)), 0, "a sender left with nothing held is reloaded from the committed state");
  });

  it("keeps reaping correct for the single producer after removals left holes", async () => {
    const { mempool, commitNonce } = setup();
    const keys = Array.from({ length: 3 }, () => generateSigningKey());
    const txs = keys.map((key) => (commitNonce(key, 0), append(key, 0)));
    for (const tx of txs) await mempool.admit(tx.bytes);
    mempool.removeRefused([toHex(txs[1]!.hash)]);
    const reaped = mempool.reap(LIMITS);
    assert.deepEqual(reaped.map((tx) => toHex(tx.txHash)), [toHex(txs[0]!.hash), toHex(txs[2]!.hash)]);
    assert.equal(mempool.readyCount, 0);
    assert.equal(mempool.readyEntryCount, 0);
  });
});
