import { ADDRESS_SIZE_BYTES, formatAddress, parseAddress } from "../../crypto/index.ts";
import { assert } from "../../util/index.ts";
import { qstpError } from "./errors.ts";
import type { QstpAllowlist, RemoteIdentity } from "./types.ts";

/** A permissioned network names a few hundred validators; this bounds a misconfigured list. */
export const ALLOWLIST_ENTRIES_MAX = 100_000;

/**
 * Allowlist by address (SHA-256 of alg || ML-DSA public key, truncated): one entry covers
 * the key under exactly one algorithm. Mutable so the node can follow validator-set changes;
 * a change applies to the next handshake, not to open connections.
 */
export class AddressAllowlist implements QstpAllowlist {
  readonly #addresses = new Set<string>();

  /** @throws GhostmeshError CRYPTO_BAD_ADDRESS for a malformed "gm..." string, P2P_INVALID_OPTIONS past the limit. */
  constructor(addresses: Iterable<Uint8Array | string> = []) {
    for (const address of addresses) this.add(address);
  }

  get size(): number {
    return this.#addresses.size;
  }

  add(address: Uint8Array | string): void {
    const key = addressKey(address);
    if (!this.#addresses.has(key) && this.#addresses.size >= ALLOWLIST_ENTRIES_MAX) {
      throw qstpError("P2P_INVALID_OPTIONS", `the allowlist holds at most ${ALLOWLIST_ENTRIES_MAX} addresses`, { entriesMax: ALLOWLIST_ENTRIES_MAX });
    }
    this.#addresses.add(key);
  }

  delete(address: Uint8Array | string): boolean {
    return this.#addresses.delete(addressKey(address));
  }

  has(address: Uint8Array | string): boolean {
    return this.#addresses.has(addressKey(address));
  }

  isAllowed(identity: RemoteIdentity): boolean {
    return this.#addresses.has(addressKey(identity.address));
  }

  /** Sorted "gm..." strings, for logs and config round trips. */
  addresses(): string[] {
    return [...this.#addresses].sort();
  }
}

function addressKey(address: Uint8Array | string): string {
  const bytes = typeof address === "string" ? parseAddress(address) : address;
  assert(bytes.byteLength === ADDRESS_SIZE_BYTES, `AddressAllowlist: an address is ${ADDRESS_SIZE_BYTES} bytes, got ${bytes.byteLength}`);
  return formatAddress(bytes);
}

