import { assert } from "../util/index.ts";

/**
 * Size limits of state entries. They are protocol rules (every validator must refuse the same
 * writes), hence constants rather than options. Keys are names (account, role, stake...);
 * 1 KiB leaves room for composite keys. Values are small records; 1 MiB bounds one row.
 */
export const STATE_KEY_SIZE_BYTES_MAX = 1024;
export const STATE_VALUE_SIZE_BYTES_MAX = 1024 * 1024;

export type StateStoreOptions = {
  /** Writes one version may carry; bounds the memory of one prepare (~0.5 KiB per write with its new nodes). */
  readonly writesPerVersionMax: number;
};

export const defaultStateStoreOptions: StateStoreOptions = {
  // A block holds at most 10,000 transactions (ledger BLOCK_TXS_MAX), each writing a few
  // keys; 25 per transaction is ample, and 250,000 writes keep one prepare near 125 MiB.
  writesPerVersionMax: 250_000,
};

assert(STATE_KEY_SIZE_BYTES_MAX >= 1 && STATE_VALUE_SIZE_BYTES_MAX >= STATE_KEY_SIZE_BYTES_MAX, "state size limits are inconsistent");
