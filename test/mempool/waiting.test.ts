/**
 * Transactions waiting for an earlier nonce, under random admissions, blocks and empty blocks
 * (the consensus path: select, then onBlockCommitted and expireWaiting): the pool's counts
 * agree, no more than waitingTxsMax wait, none waits more than waitingBlocksMax blocks, and
 * each that leaves without committing says why.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { generateSigningKey, verifyAsync } from "../../src/crypto/index.ts";
import { buildTx, type BuiltTx } from "../../src/client/index.ts";
import { Mempool, defaultMempoolOptions, type MempoolAccount } from "../../src/mempool/index.ts";
import { GhostmeshError, toHex } from "../../src/util/index.ts";

const chainId = "mempool-waiting-test";
const SENDERS = 3;
const NONCES = 8;
const WAITING_BLOCKS_MAX = 2;
const WAITING_TXS_MAX = 4;

type Step = { readonly kind: "admit"; readonly sender: number; readonly nonce: number } | { readonly kind: "block"; readonly txsMax: number } | { readonly kind: "empty" };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("admit" as const), sender: fc.nat(SENDERS - 1), nonce: fc.integer({ min: 1, max: NONCES }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("block" as const), txsMax: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("empty" as const) }) },
);

describe("mempool: waiting for an earlier nonce", () => {
  const keys = Array.from({ length: SENDERS }, () => generateSigningKey());
  const txs: BuiltTx[][] = keys.map((key) => Array.from({ length: NONCES + 1 }, (_, nonce) => buildTx(key, chainId, nonce, { type: "audit.append", record: { action: `n${nonce}` } })));
  const senderOf = (s: number) => txs[s]![0]!.signedTx.tx.from;

  it("keeps its counts, its bounds on waiting, and a reason for each transaction that leaves uncommitted (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const accounts = new Map<string, MempoolAccount>(keys.map((key, s) => [toHex(senderOf(s)), { alg: key.alg, publicKey: key.publicKey, nonce: 1 }]));
        const mempool = new Mempool(
          { ...defaultMempoolOptions, chainId, nonceWindow: NONCES, waitingBlocksMax: WAITING_BLOCKS_MAX, waitingTxsMax: WAITING_TXS_MAX },
          { accounts: { getAccount: (address) => accounts.get(toHex(address)) }, verifier: { verify: verifyAsync }, metrics: null },
        );
        let height = 0;
        const admittedAt = new Map<string, number>();
        const committed = new Set<string>();
        for (const s of steps) {
          if (s.kind === "admit") {
            const tx = txs[s.sender]![s.nonce]!;
            try {
              await mempool.admit(tx.bytes);
              admittedAt.set(toHex(tx.hash), height);
            } catch (err) {
              assert.ok(err instanceof GhostmeshError, String(err));
              assert.ok(["MEMPOOL_DUPLICATE", "MEMPOOL_NONCE_TOO_LOW", "MEMPOOL_NONCE_TOO_HIGH", "MEMPOOL_NONCE_TAKEN", "MEMPOOL_FULL"].includes(err.code), err.code);
            }
          } else {
            const selected = s.kind === "block" ? mempool.select({ txsMax: s.txsMax, entriesMax: 100, bytesMax: 1 << 24 }, () => false) : [];
            for (const poolTx of selected) {
              const account = accounts.get(toHex(poolTx.signedTx.tx.from))!;
              assert.equal(poolTx.signedTx.tx.nonce, account.nonce, "a selected transaction applies in order");
              accounts.set(toHex(poolTx.signedTx.tx.from), { ...account, nonce: account.nonce + 1 });
              committed.add(poolTx.txHashHex);
            }
            height += 1;
            mempool.onBlockCommitted(selected.map((poolTx) => ({ from: poolTx.signedTx.tx.from, txHashHex: poolTx.txHashHex })));
            mempool.expireWaiting(height);
          }
          assert.equal(mempool.size, mempool.readyCount + mempool.waitingCount);
          assert.ok(mempool.waitingCount <= WAITING_TXS_MAX, `${mempool.waitingCount} waiting`);
          for (const [hash, since] of admittedAt) {
            const gap = mempool.nonceGapOf(hash);
            if (gap !== undefined) {
              assert.ok(gap.nonce > gap.nonceExpected, `${hash} waits for a nonce below its own`);
              assert.ok(height - since <= WAITING_BLOCKS_MAX, `${hash} has waited ${height - since} blocks`);
            }
            if (!mempool.has(hash) && !committed.has(hash)) {
              assert.equal(mempool.refusals.get(hash)?.code, "MEMPOOL_NONCE_GAP_EXPIRED", `${hash} left uncommitted without a reason`);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
