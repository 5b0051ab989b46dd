import { compareBytes, toHex } from "../util/index.ts";
import { smtError } from "./smtErrors.ts";
import { smtKeyHash, smtValueHash } from "./smtHash.ts";
import type { SmtWrite } from "./smtUpdate.ts";

/** A write to the state: `value` null deletes `key`. */
export type StateWrite = { readonly key: Uint8Array; readonly value: Uint8Array | null };

/** A write with its hashes, as updateSmt takes it; `index` is its position in the caller's batch. */
export type HashedStateWrite = SmtWrite & StateWrite & { readonly index: number };

/**
 * Hashes keys and values and sorts the batch by key hash, the order the tree update walks.
 * A key written twice is refused rather than resolved by position: the caller's order of
 * writes is not part of what validators agree on, so it must not decide a value.
 */
export function hashStateWrites(writes: readonly StateWrite[]): HashedStateWrite[] {
  const hashed = writes.map(({ key, value }, index) => ({
    key,
    value,
    index,
    keyHash: smtKeyHash(key),
    valueHash: value === null ? null : smtValueHash(value),
  }));
  hashed.sort((a, b) => compareBytes(a.keyHash, b.keyHash));
  for (let i = 1; i < hashed.length; i++) {
    const previous = hashed[i - 1] as HashedStateWrite;
    const current = hashed[i] as HashedStateWrite;
    if (compareBytes(previous.keyHash, current.keyHash) === 0) {
      throw smtError("MERKLE_SMT_DUPLICATE_KEY", `the batch writes key ${toHex(current.key)} twice (writes #${previous.index} and #${current.index}); write each key once`, {
        key: toHex(current.key),
        indexes: [previous.index, current.index],
      });
    }
  }
  return hashed;
}
