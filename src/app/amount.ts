/**
 * Token amounts: bigint in code, never a float. On the wire and in state an amount is a CBOR
 * byte string holding the unsigned integer big-endian with no leading zero byte (zero is the
 * empty string), so each amount has exactly one encoding (decision 0600). Genesis files and
 * the JSON API carry decimal strings.
 */
import { AMOUNT_BYTES_MAX } from "../ledger/index.ts";
import { GhostmeshError } from "../util/index.ts";

/** Balances, amounts and the total supply stay below 2^256. */
export const AMOUNT_MAX = (1n << BigInt(AMOUNT_BYTES_MAX * 8)) - 1n;
const DECIMAL_PATTERN = /^(0|[1-9][0-9]{0,77})$/;

/** Minimal big-endian bytes of `value` (empty for zero). */
export function encodeAmount(value: bigint): Uint8Array {
  if (value < 0n || value > AMOUNT_MAX) {
    throw new GhostmeshError("APP_AMOUNT_OUT_OF_RANGE", `amount must be between 0 and 2^256-1, got ${value}`, {});
  }
  let hex = value === 0n ? "" : value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** The value of minimal big-endian bytes; a leading zero byte is refused (two encodings of one amount). */
export function decodeAmount(bytes: Uint8Array): bigint {
  if (bytes.length > AMOUNT_BYTES_MAX || bytes[0] === 0) {
    throw new GhostmeshError("APP_AMOUNT_NOT_CANONICAL", `an amount is at most ${AMOUNT_BYTES_MAX} bytes, big-endian, without a leading zero byte`, { sizeBytes: bytes.length });
  }
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** A decimal string of an unsigned integer below 2^256 (genesis files, CLI, API). */
export function parseDecimalAmount(text: string, field: string): bigint {
  if (!DECIMAL_PATTERN.test(text)) {
    throw new GhostmeshError("APP_AMOUNT_INVALID", `${field}: expected a decimal unsigned integer without sign, exponent or leading zeros, got "${text.slice(0, 100)}"`, { field });
  }
  const value = BigInt(text);
  if (value > AMOUNT_MAX) throw new GhostmeshError("APP_AMOUNT_OUT_OF_RANGE", `${field}: at most 2^256-1`, { field });
  return value;
}
