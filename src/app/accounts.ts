/**
 * Accounts in the chain's key-value state: key = 0x01 || address, value = canonical CBOR of
 * {alg, publicKey, nonce}. The prefix byte leaves room for other modules' keys.
 */
import { decodeWith, encodeCanonical, s } from "../codec/index.ts";
import { concatBytes } from "../util/index.ts";
import { PUBLIC_KEY_BYTES_MAX, type StateWrite } from "../ledger/index.ts";
import type { Account, AccountReader, AccountWrite } from "./types.ts";

const ACCOUNT_KEY_PREFIX = new Uint8Array([0x01]);

const accountSchema = s.object({
  alg: s.oneOf([1, 2, 3] as const),
  publicKey: s.bytes({ minSize: 1, maxSize: PUBLIC_KEY_BYTES_MAX }),
  nonce: s.uint(),
});

export function accountKey(address: Uint8Array): Uint8Array {
  return concatBytes([ACCOUNT_KEY_PREFIX, address]);
}

export function accountStateWrites(writes: readonly AccountWrite[]): StateWrite[] {
  return writes.map((write) => ({ key: accountKey(write.address), value: encodeCanonical(write.account) }));
}

export function decodeAccount(bytes: Uint8Array): Account {
  return decodeWith(accountSchema, bytes, "account");
}

/** An AccountReader over any key-value getter (the chain store, a snapshot, a test map). */
export function createAccountReader(get: (key: Uint8Array) => Uint8Array | undefined): AccountReader {
  return {
    getAccount(address) {
      const bytes = get(accountKey(address));
      return bytes === undefined ? undefined : decodeAccount(bytes);
    },
  };
}
