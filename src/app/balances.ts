/**
 * Native token balances in the state tree (decision 0600):
 *
 *   0x03 || address → canonical CBOR byte string: the balance, minimal big-endian (amount.ts)
 *   0x06            → canonical CBOR byte string: the total supply, fixed at genesis
 *
 * An address with no balance record holds zero; a balance spent to zero keeps its record
 * (the state tree's writes carry values, not deletions).
 */
import { decodeWith, encodeCanonical, s } from "../codec/index.ts";
import { AMOUNT_BYTES_MAX, type Tx } from "../ledger/index.ts";
import { bytesEqual, concatBytes, toHex } from "../util/index.ts";
import { decodeAmount, encodeAmount } from "./amount.ts";
import type { BlockState, StateGetter } from "./blockState.ts";
import type { ModuleRejection } from "./types.ts";

const BALANCE_PREFIX = new Uint8Array([0x03]);
export const TOTAL_SUPPLY_KEY = new Uint8Array([0x06]);
const amountValueSchema = s.bytes({ maxSize: AMOUNT_BYTES_MAX });

export function balanceKey(address: Uint8Array): Uint8Array {
  return concatBytes([BALANCE_PREFIX, address]);
}

export function encodeAmountValue(value: bigint): Uint8Array {
  return encodeCanonical(encodeAmount(value));
}

function decodeAmountValue(bytes: Uint8Array | undefined, what: string): bigint {
  if (bytes === undefined) return 0n;
  const raw = decodeWith(amountValueSchema, bytes, what);
  return raw.length === 0 ? 0n : decodeAmount(raw);
}

export function readBalance(get: StateGetter, address: Uint8Array): bigint {
  return decodeAmountValue(get(balanceKey(address)), "balance");
}

export function readTotalSupply(get: StateGetter): bigint {
  return decodeAmountValue(get(TOTAL_SUPPLY_KEY), "total supply");
}

/** Moves `amount` from the sender to `to`; the supply cannot change, there is no mint or burn path. */
export function applyTransfer(state: BlockState, tx: Extract<Tx, { type: "token.transfer" }>): ModuleRejection | undefined {
  const amount = decodeAmount(tx.body.amount);
  const get = (key: Uint8Array) => state.get(key);
  const balance = readBalance(get, tx.from);
  if (balance < amount) {
    return { code: "APP_INSUFFICIENT_BALANCE", message: `account ${toHex(tx.from)} holds ${balance}, cannot send ${amount}` };
  }
  if (bytesEqual(tx.body.to, tx.from)) return undefined;
  state.set(balanceKey(tx.from), encodeAmountValue(balance - amount));
  state.set(balanceKey(tx.body.to), encodeAmountValue(readBalance(get, tx.body.to) + amount));
  return undefined;
}
