/** Parsing of path and query parameters, with errors that name the parameter. */
import { fromHexOrUndefined } from "../util/index.ts";
import { parseAddress } from "../crypto/index.ts";
import { badRequest } from "./errors.ts";

export function parseHash(value: string, name: string): Uint8Array {
  const bytes = fromHexOrUndefined(value.startsWith("0x") ? value.slice(2) : value);
  if (!bytes || bytes.length !== 32) throw badRequest(`${name}: expected 64 hex characters (a 32-byte hash), got "${value.slice(0, 80)}"`, { field: name });
  return bytes;
}

export function parseUint(value: string | undefined, name: string, opts: { min?: number; max?: number } = {}): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d{1,16}$/.test(value)) throw badRequest(`${name}: expected a non-negative integer, got "${value.slice(0, 40)}"`, { field: name });
  const n = Number(value);
  if (!Number.isSafeInteger(n) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    throw badRequest(`${name}: must be between ${opts.min ?? 0} and ${opts.max ?? Number.MAX_SAFE_INTEGER}, got ${value}`, { field: name });
  }
  return n;
}

/** A path parameter: "" (a URL like /v1/blocks/) is refused, where an optional query parameter would be absent. */
export function requireUint(value: string | undefined, name: string, opts: { min?: number; max?: number } = {}): number {
  const n = parseUint(value, name, opts);
  if (n === undefined) throw badRequest(`${name}: required, expected a non-negative integer`, { field: name });
  return n;
}

/** A path parameter holding an address; "" is refused (see requireUint). */
export function requireAddress(value: string | undefined, name: string): Uint8Array {
  const address = parseSender(value, name);
  if (address === undefined) throw badRequest(`${name}: required, expected an address like gm followed by 40 hex characters`, { field: name });
  return address;
}

export function parseSender(value: string | undefined, name: string): Uint8Array | undefined {
  if (value === undefined || value === "") return undefined;
  try {
    return parseAddress(value);
  } catch {
    throw badRequest(`${name}: expected an address like gm followed by 40 hex characters, got "${value.slice(0, 60)}"`, { field: name });
  }
}
