import { assert } from "../util/index.ts";

/**
 * Size limits of state entries. They are protocol rules (every validator must refuse the same
 * writes), hence constants rather than options. Keys are names (account, role, stake...);
 * 1 KiB leaves room for composite keys. Values are small records; 1 MiB bounds one row.
 */
export const STATE_KEY_SIZE_BYTES_MAX = 1024;
export const STATE_VALUE_SIZE_BYTES_MAX = 1024 * 1024;

/**
 * At most this many keys are listed by StateStore.keysWrittenAfter: an emergency rollback
 * rewrites each in one block, so it stays well under writesPerVersionMax (250,000).
 */
export const STATE_KEYS_LISTED_MAX = 100_000;

export type StateStoreOptions = {
  /** Writes one version may carry; bounds the memory of one prepare (~0.5 KiB per write with its new nodes). */
  readonly writesPerVersionMax: number;
  /**
   * Decoded tree nodes of the latest version kept in memory (src/state/nodeCache.ts), so a
   * prepare reads SQLite only for nodes it has not seen; at most ~180 bytes each (121 packed,
   * the rest its Map entry and path key). 0 turns it off.
   */
  readonly nodeCacheNodesMax: number;
};

export const defaultStateStoreOptions: StateStoreOptions = {
  // A block holds at most 10,000 transactions (ledger BLOCK_TXS_MAX), each writing a few
  // keys; 25 per transaction is ample, and 250,000 writes keep one prepare near 125 MiB.
  writesPerVersionMax: 250_000,
  // 2^18 nodes, ~50 MiB at most (measured with the 65-byte internal nodes of state schema 1:
  // 131,072 entries = 13.8 MiB of chunks + 6.6 MiB of heap; internal nodes now take 16 bytes
  // more, ~2 MiB per 131,072 entries): the whole tree up to ~130,000 keys (n keys make ~2n nodes), and beyond that the
  // upper levels, which every prepare reads.
  nodeCacheNodesMax: 262_144,
};

assert(STATE_KEY_SIZE_BYTES_MAX >= 1 && STATE_VALUE_SIZE_BYTES_MAX >= STATE_KEY_SIZE_BYTES_MAX, "state size limits are inconsistent");
