/**
 * Who is who on the validator network: validator index (genesis order) ↔ ML-DSA address
 * (genesis) ↔ connected libp2p peer (the identity qstp proved in the handshake). The index a
 * message is attributed to always comes from the authenticated connection, never from the
 * message itself.
 */
import type { PeerId } from "@libp2p/interface";
import { formatAddress } from "../../crypto/index.ts";
import type { Genesis } from "../../ledger/index.ts";
import type { P2pHost } from "../../p2p/index.ts";
import { assert, toHex } from "../../util/index.ts";

export class ValidatorPeers {
  readonly count: number;
  private readonly indexByAddressHex = new Map<string, number>();
  private readonly addressHexByIndex: readonly string[];

  constructor(genesis: Genesis) {
    this.count = genesis.validators.length;
    this.addressHexByIndex = genesis.validators.map((validator) => toHex(validator.address));
    for (const [index, addressHex] of this.addressHexByIndex.entries()) this.indexByAddressHex.set(addressHex, index);
    assert(this.indexByAddressHex.size === this.count, "ValidatorPeers: genesis validators have distinct addresses");
  }

  /** The validator index of an ML-DSA address; undefined when it is not a genesis validator. */
  indexOf(address: Uint8Array): number | undefined {
    return this.indexByAddressHex.get(toHex(address));
  }

  /** Genesis validators' "gm..." addresses: the permissioned allowlist's core. */
  addresses(genesis: Genesis): string[] {
    return genesis.validators.map((validator) => formatAddress(validator.address));
  }

  /**
   * The connected peer that proved validator `index`'s identity; undefined while it is not
   * connected. Scans the open connections: a validator set is small, and a cache would have
   * to follow every reconnection (a restarted validator may come back under a new PeerId).
   */
  peerIdOf(host: P2pHost, index: number): PeerId | undefined {
    assert(index >= 0 && index < this.count, `peerIdOf: validator ${index} is in the genesis set`);
    const wanted = this.addressHexByIndex[index];
    for (const peer of host.peers()) if (toHex(peer.identity.address) === wanted) return peer.peerId;
    return undefined;
  }
}
