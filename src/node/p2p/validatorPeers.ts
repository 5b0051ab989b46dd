/**
 * Who is who on the validator network: slot ↔ ML-DSA address ↔ connected libp2p peer (the
 * identity qstp proved in the handshake). Slots are this node's own numbering: genesis
 * validators hold 0..n−1 in genesis order, and a validator that joins a later epoch's set
 * (decision 0605) gets the next free slot when the consensus host first asks for it. The slot a
 * message is attributed to always comes from the authenticated connection, never from the
 * message itself.
 */
import type { PeerId } from "@libp2p/interface";
import { formatAddress } from "../../crypto/index.ts";
import type { Genesis } from "../../ledger/index.ts";
import type { P2pHost } from "../../p2p/index.ts";
import { assert, bytesEqual, toHex } from "../../util/index.ts";

/** Slots beyond genesis: far above any validator set a chain elects (consensus caps committees lower). */
const VALIDATOR_SLOTS_MAX = 4096;

export class ValidatorPeers {
  private readonly indexByAddressHex = new Map<string, number>();
  private readonly addressByIndex: Uint8Array[] = [];

  constructor(genesis: Genesis) {
    for (const validator of genesis.validators) this.register(validator.address);
    assert(this.indexByAddressHex.size === genesis.validators.length, "ValidatorPeers: genesis validators have distinct addresses");
  }

  /** Slots held: genesis validators and every validator registered since. */
  get count(): number {
    return this.addressByIndex.length;
  }

  /** The slot of an ML-DSA address; undefined when it holds none (not a validator this node knows). */
  indexOf(address: Uint8Array): number | undefined {
    return this.indexByAddressHex.get(toHex(address));
  }

  /** The slot of a validator of some epoch's set, assigned on first sight. */
  register(address: Uint8Array): number | undefined {
    const addressHex = toHex(address);
    const held = this.indexByAddressHex.get(addressHex);
    if (held !== undefined) return held;
    if (this.addressByIndex.length >= VALIDATOR_SLOTS_MAX) return undefined;
    this.addressByIndex.push(address);
    this.indexByAddressHex.set(addressHex, this.addressByIndex.length - 1);
    return this.addressByIndex.length - 1;
  }

  addressOf(index: number): Uint8Array | undefined {
    return this.addressByIndex[index];
  }

  /** Genesis validators' "gm..." addresses: the permissioned allowlist's core. */
  addresses(genesis: Genesis): string[] {
    return genesis.validators.map((validator) => formatAddress(validator.address));
  }

  /**
   * The connected peers that proved slot `index`'s identity, in connection order; none while it
   * is not connected. Usually one. Two while a validator that came back under a new PeerId
   * still has its old connection, or while its key runs in two processes (p2p/host.ts warns).
   * Scans the open connections: a validator set is small, and a cache would have to follow
   * every reconnection.
   */
  peerIdsOf(host: P2pHost, index: number): PeerId[] {
    const wanted = this.addressByIndex[index];
    assert(wanted !== undefined, `peerIdsOf: slot ${index} is held`);
    const peerIds: PeerId[] = [];
    for (const peer of host.peers()) if (bytesEqual(peer.identity.address, wanted)) peerIds.push(peer.peerId);
    return peerIds;
  }
}
