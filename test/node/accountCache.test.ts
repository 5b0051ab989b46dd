import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Account } from "../../src/app/index.ts";
import { CommittedAccountCache } from "../../src/node/accountCache.ts";
import { toHex } from "../../src/util/index.ts";

function countingStore(accounts: Map<string, Account>) {
  const reads: string[] = [];
  return {
    reads,
    getAccount(address: Uint8Array): Account | undefined {
      reads.push(toHex(address));
      return accounts.get(toHex(address));
    },
  };
}

const address = (n: number): Uint8Array => new Uint8Array(20).fill(n);
const account = (nonce: number): Account => ({ alg: 2, publicKey: new Uint8Array(1952).fill(nonce), nonce });

describe("node: committed account cache", () => {
  it("reads a committed account from the store once, then from memory", () => {
    const store = countingStore(new Map([[toHex(address(1)), account(3)]]));
    const cache = new CommittedAccountCache(store);
    assert.equal(cache.getAccount(address(1))?.nonce, 3);
    assert.equal(cache.getAccount(address(1))?.nonce, 3);
    assert.equal(store.reads.length, 1);
  });

  it("serves the committed writes of a block without reading the store", () => {
    const store = countingStore(new Map([[toHex(address(1)), account(3)]]));
    const cache = new CommittedAccountCache(store);
    cache.getAccount(address(1));
    cache.applyCommitted([{ address: address(1), account: account(4), created: false }, { address: address(2), account: account(1), created: true }]);
    assert.equal(cache.getAccount(address(1))?.nonce, 4);
    assert.equal(cache.getAccount(address(2))?.nonce, 1);
    assert.equal(store.reads.length, 1);
  });

  it("asks the store again for an account it did not know, so a later registration is seen", () => {
    const stored = new Map<string, Account>();
    const store = countingStore(stored);
    const cache = new CommittedAccountCache(store);
    assert.equal(cache.getAccount(address(5)), undefined);
    stored.set(toHex(address(5)), account(1));
    assert.equal(cache.getAccount(address(5))?.nonce, 1);
    assert.equal(store.reads.length, 2);
  });

  it("keeps at most entriesMax accounts, evicting the oldest", () => {
    const stored = new Map([1, 2, 3].map((n) => [toHex(address(n)), account(n)] as const));
    const store = countingStore(stored);
    const cache = new CommittedAccountCache(store, 2);
    cache.getAccount(address(1));
    cache.getAccount(address(2));
    cache.getAccount(address(3));
    cache.getAccount(address(3));
    cache.getAccount(address(1));
    assert.deepEqual(store.reads, [1, 2, 3, 1].map((n) => toHex(address(n))));
  });
});
