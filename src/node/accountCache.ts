/**
 * Committed accounts kept in memory in front of the store. Every admission looks up its
 * sender's key and nonce, and every block execution reads its senders: from SQLite that is a
 * read transaction plus a ~2 KB overflow-page row and a schema decode (~20-35 us measured),
 * more than a tenth of an ML-DSA-65 verify. The chain is the only writer of state and
 * refreshes the cache after each commit, so a cached account is never stale.
 */
import type { Account, AccountReader, AccountWrite } from "../app/index.ts";
import { assert, toHex } from "../util/index.ts";

/** An ML-DSA-65 account holds a 1,952-byte key: 8,192 entries stay around 20 MB. */
export const ACCOUNT_CACHE_ENTRIES_MAX = 8_192;

export class CommittedAccountCache implements AccountReader {
  private readonly store: AccountReader;
  private readonly entriesMax: number;
  /** Insertion order is eviction order: the oldest inserted goes first. */
  private readonly accounts = new Map<string, Account>();

  constructor(store: AccountReader, entriesMax: number = ACCOUNT_CACHE_ENTRIES_MAX) {
    assert(Number.isSafeInteger(entriesMax) && entriesMax >= 1, "CommittedAccountCache: entriesMax is a positive integer");
    this.store = store;
    this.entriesMax = entriesMax;
  }

  getAccount(address: Uint8Array): Account | undefined {
    const addressHex = toHex(address);
    const cached = this.accounts.get(addressHex);
    if (cached !== undefined) return cached;
    // Unknown accounts are not cached: they are rare, and caching them would let junk evict real ones.
    const stored = this.store.getAccount(address);
    if (stored !== undefined) this.put(addressHex, stored);
    return stored;
  }

  /** Module state (balances, roles, policies) is read through, uncached. */
  readState(key: Uint8Array): Uint8Array | undefined {
    return this.store.readState?.(key);
  }

  /** Called by the chain once a block's writes are durable. */
  applyCommitted(writes: readonly AccountWrite[]): void {
    for (const write of writes) this.put(toHex(write.address), write.account);
  }

  private put(addressHex: string, account: Account): void {
    this.accounts.delete(addressHex);
    this.accounts.set(addressHex, account);
    if (this.accounts.size > this.entriesMax) {
      const oldest = this.accounts.keys().next();
      if (oldest.done !== true) this.accounts.delete(oldest.value);
    }
    assert(this.accounts.size <= this.entriesMax, "CommittedAccountCache: size stays within entriesMax");
  }
}
