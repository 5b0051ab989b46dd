/**
 * Committed accounts and module state kept in memory in front of the store. Every admission
 * looks up its sender's key and nonce, and every block execution reads its senders: from SQLite
 * that is a read transaction plus a ~2 KB overflow-page row and a schema decode (~20-35 us
 * measured), more than a tenth of an ML-DSA-65 verify. Every block also reads the same few
 * module keys (chain parameters, chain mode, upgrade plan, halted transaction types), most of
 * them absent, at two SQLite queries each. The chain is the only writer of state and refreshes
 * the cache with each committed block's writes, so a cached entry is never stale.
 */
import type { Account, AccountReader, AccountWrite } from "../app/index.ts";
import type { StateWrite } from "../ledger/index.ts";
import { assert, toHex } from "../util/index.ts";

/** An ML-DSA-65 account holds a 1,952-byte key: 8,192 entries stay around 20 MB. */
export const ACCOUNT_CACHE_ENTRIES_MAX = 8_192;
/** Module state values are small (parameters, modes, role lists); the hot keys are a few dozen. */
export const STATE_CACHE_ENTRIES_MAX = 4_096;

export class CommittedAccountCache implements AccountReader {
  private readonly store: AccountReader;
  private readonly entriesMax: number;
  /** Insertion order is eviction order: the oldest inserted goes first. */
  private readonly accounts = new Map<string, Account>();
  /** Module state by key (hex); null: the key is absent, which is what most per-block reads find. */
  private readonly states = new Map<string, Uint8Array | null>();

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
    if (stored !== undefined) putBounded(this.accounts, addressHex, stored, this.entriesMax);
    return stored;
  }

  /** Module state (balances, roles, policies, parameters); values are shared, never mutated. */
  readState(key: Uint8Array): Uint8Array | undefined {
    const keyHex = toHex(key);
    const cached = this.states.get(keyHex);
    if (cached !== undefined) return cached ?? undefined;
    const stored = this.store.readState?.(key);
    putBounded(this.states, keyHex, stored ?? null, STATE_CACHE_ENTRIES_MAX);
    return stored;
  }

  /** Called by the chain with each block it commits: its accounts, and its state writes and deletions. */
  applyCommitted(writes: readonly AccountWrite[], stateWrites: readonly StateWrite[] = [], stateDeletes: readonly Uint8Array[] = []): void {
    for (const write of writes) putBounded(this.accounts, toHex(write.address), write.account, this.entriesMax);
    // Only keys already cached are refreshed: a block's writes are no hint of what is read next.
    for (const write of stateWrites) this.refreshState(toHex(write.key), write.value);
    for (const key of stateDeletes) this.refreshState(toHex(key), null);
  }

  private refreshState(keyHex: string, value: Uint8Array | null): void {
    if (this.states.has(keyHex)) this.states.set(keyHex, value);
  }
}

/** Inserts (or moves to the newest) `key`, evicting the oldest inserted beyond `entriesMax`. */
function putBounded<T>(entries: Map<string, T>, key: string, value: T, entriesMax: number): void {
  entries.delete(key);
  entries.set(key, value);
  if (entries.size > entriesMax) {
    const oldest = entries.keys().next();
    if (oldest.done !== true) entries.delete(oldest.value);
  }
  assert(entries.size <= entriesMax, "CommittedAccountCache: size stays within its bound");
}
