import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Account } from "../../src/app/index.ts";
import { CommittedAccountCache, STATE_CACHE_ENTRIES_MAX } from "../../src/node/accountCache.ts";
import { toHex } from "../../src/util/index.ts";

function countingStore(accounts: Map<string, Account>, states = new Map<string, Uint8Array>()) {
  const reads: string[] = [];
  const stateReads: string[] = [];
  return {
    reads,
    stateReads,
    getAccount(address: Uint8Array): Account | undefined {
      reads.push(toHex(address));
      return accounts.get(toHex(address));
    },
    readState(key: Uint8Array): Uint8Array | undefined {
      stateReads.push(toHex(key));
      return states.get(toHex(key));
    },
  };
}

const address = (n: number): Uint8Array => new Uint8Array(20).fill(n);
const key = (n: number): Uint8Array => Uint8Array.of(0x03, n);
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

  it("reads a module state key from the store once, present or absent", () => {
    const store = countingStore(new Map(), new Map([[toHex(key(1)), Uint8Array.of(7)]]));
    const cache = new CommittedAccountCache(store);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(cache.readState(key(1)), Uint8Array.of(7));
      assert.equal(cache.readState(key(2)), undefined);
    }
    assert.deepEqual(store.stateReads, [toHex(key(1)), toHex(key(2))]);
  });

  it("takes a committed block's state writes and deletions for the keys it holds", () => {
    const stored = new Map([[toHex(key(1)), Uint8Array.of(1)]]);
    const store = countingStore(new Map(), stored);
    const cache = new CommittedAccountCache(store);
    cache.readState(key(1));
    cache.readState(key(2));
    // The store changes under the cache only through commits the chain reports.
    stored.set(toHex(key(2)), Uint8Array.of(22));
    stored.delete(toHex(key(1)));
    stored.set(toHex(key(3)), Uint8Array.of(33));
    cache.applyCommitted([], [{ key: key(2), value: Uint8Array.of(22) }, { key: key(3), value: Uint8Array.of(33) }], [key(1)]);
    assert.equal(cache.readState(key(1)), undefined, "deleted");
    assert.deepEqual(cache.readState(key(2)), Uint8Array.of(22), "written over its cached absence");
    assert.deepEqual(cache.readState(key(3)), Uint8Array.of(33));
    assert.deepEqual(store.stateReads, [toHex(key(1)), toHex(key(2)), toHex(key(3))], "only the key it never held is read");
  });

  it("keeps at most STATE_CACHE_ENTRIES_MAX module state keys, evicting the oldest", () => {
    const store = countingStore(new Map());
    const cache = new CommittedAccountCache(store);
    const keyOf = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff);
    for (let n = 0; n <= STATE_CACHE_ENTRIES_MAX; n++) cache.readState(keyOf(n));
    cache.readState(keyOf(STATE_CACHE_ENTRIES_MAX));
    cache.readState(keyOf(0));
    assert.equal(store.stateReads.length, STATE_CACHE_ENTRIES_MAX + 2, "the newest is held, the oldest was evicted and is read again");
  });
});
