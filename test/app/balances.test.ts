import { VALIDATOR_SET_KEY } from "../../src/app/stakingState.ts";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeCanonical } from "../../src/codec/index.ts";
import { balanceKey, decodeAmount, encodeAmount, genesisStateWrites, parseDecimalAmount, readBalance, readTotalSupply } from "../../src/app/index.ts";
import { decodeSignedTx, type Tx } from "../../src/ledger/index.ts";
import { verifyStateProof } from "../../src/state/index.ts";
import { bytesEqual } from "../../src/util/index.ts";
import { AppHarness, chainId, unsigned } from "./harness.ts";

function transfer(from: Uint8Array, nonce: number, to: Uint8Array, amount: bigint): Tx {
  return { chainId, from, nonce, type: "token.transfer", body: { to, amount: encodeAmount(amount) } };
}

function funded(): { app: AppHarness; alice: Uint8Array; bob: Uint8Array } {
  const alice = new Uint8Array(20).fill(1);
  const bob = new Uint8Array(20).fill(2);
  const app = new AppHarness({ allocations: [{ address: alice, amount: "1000000000000000000000" }, { address: bob, amount: "5" }] });
  app.registerFake(1);
  app.registerFake(2);
  return { app, alice, bob };
}

describe("app: amounts", () => {
  it("round-trips amounts through minimal big-endian bytes, zero as the empty string", () => {
    for (const value of [0n, 1n, 255n, 256n, 10n ** 30n, (1n << 256n) - 1n]) assert.equal(decodeAmount(encodeAmount(value)), value);
    assert.equal(encodeAmount(0n).length, 0);
    assert.deepEqual([...encodeAmount(256n)], [1, 0]);
  });

  it("refuses amounts with a leading zero byte, above 2^256-1, and decimal text that is not a plain unsigned integer", () => {
    assert.throws(() => decodeAmount(Uint8Array.of(0, 1)), { code: "APP_AMOUNT_NOT_CANONICAL" });
    assert.throws(() => encodeAmount(1n << 256n), { code: "APP_AMOUNT_OUT_OF_RANGE" });
    for (const text of ["1.5", "-1", "01", "1e3", "", " 1", "0x10"]) assert.throws(() => parseDecimalAmount(text, "amount"), { code: "APP_AMOUNT_INVALID" }, text);
    assert.equal(parseDecimalAmount("123456789012345678901234567890", "amount"), 123456789012345678901234567890n);
  });

  it("refuses a transfer whose amount has a leading zero byte at decoding", () => {
    const tx = { ...transfer(new Uint8Array(20).fill(1), 1, new Uint8Array(20).fill(2), 1n), body: { to: new Uint8Array(20).fill(2), amount: Uint8Array.of(0, 1) } };
    assert.throws(() => decodeSignedTx(encodeCanonical({ tx, sig: new Uint8Array([1]) }), chainId), { code: "LEDGER_AMOUNT_NOT_CANONICAL" });
  });
});

describe("app: token.transfer", () => {
  it("moves the amount, bumps the sender's nonce, logs one entry and keeps the total supply", () => {
    const { app, alice, bob } = funded();
    const carol = new Uint8Array(20).fill(3);
    const result = app.run([unsigned(transfer(alice, 1, bob, 7n)), unsigned(transfer(bob, 1, carol, 12n))]);
    assert.deepEqual(result.rejected, []);
    assert.equal(result.entries.length, 2);
    assert.equal(readBalance(app.get, alice), 1000000000000000000000n - 7n);
    assert.equal(readBalance(app.get, bob), 0n);
    assert.equal(readBalance(app.get, carol), 12n, "an unregistered address can receive");
    assert.equal(readTotalSupply(app.get), 1000000000000000000005n);
    assert.equal(app.nonce(alice), 2);
  });

  it("refuses a transfer above the balance with APP_INSUFFICIENT_BALANCE, leaving state root and nonce unchanged", () => {
    const { app, alice, bob } = funded();
    const before = app.store.root();
    const result = app.run([unsigned(transfer(bob, 1, alice, 6n))]);
    assert.deepEqual(result.rejected.map((r) => r.code), ["APP_INSUFFICIENT_BALANCE"]);
    assert.equal(result.entries.length, 0);
    assert.ok(bytesEqual(app.store.root(), before));
    assert.equal(app.nonce(bob), 1);
  });

  it("refuses a later transfer of the same block that the earlier one left unfunded", () => {
    const { app, alice, bob } = funded();
    const result = app.run([unsigned(transfer(bob, 1, alice, 5n)), unsigned(transfer(bob, 2, alice, 1n))]);
    assert.deepEqual(result.rejected.map((r) => [r.index, r.code]), [[1, "APP_INSUFFICIENT_BALANCE"]]);
    assert.equal(readBalance(app.get, bob), 0n);
  });

  it("puts balances in the state tree, provable against the block's state root", () => {
    const { app, alice, bob } = funded();
    const result = app.run([unsigned(transfer(alice, 1, bob, 1n))]);
    const key = balanceKey(bob);
    const proven = app.store.prove(key, 1);
    assert.ok(proven.value !== null && verifyStateProof(result.stateRoot, key, proven.value, proven.proof));
  });
});

describe("app: genesis state", () => {
  it("refuses an address allocated twice, a bad amount, and roles without an admin", () => {
    const a = new Uint8Array(20).fill(1);
    const base = { chainId, genesisTime: 0, validators: [] };
    assert.throws(() => genesisStateWrites({ ...base, allocations: [{ address: a, amount: "1" }, { address: a, amount: "2" }] }), { code: "APP_GENESIS_INVALID" });
    assert.throws(() => genesisStateWrites({ ...base, allocations: [{ address: a, amount: "1.0" }] }), { code: "APP_AMOUNT_INVALID" });
    assert.throws(() => genesisStateWrites({ ...base, roles: [{ address: a, roles: ["read_blockchain"] }] }), /admin/);
    const writes = genesisStateWrites(base);
    assert.deepEqual(
      writes.map((w) => w.key),
      [VALIDATOR_SET_KEY],
      "a genesis without the optional fields holds only the (PoA) validator set",
    );
  });
});
