import type { ConnectionGater, PeerId } from "@libp2p/interface";
import { formatAddress } from "../crypto/index.ts";
import type { QstpAllowlist, RemoteIdentity } from "./qstp/index.ts";
import type { PeerReputation } from "./reputation.ts";

/**
 * What qstp asks during every handshake, before any signature is verified: the identity must
 * not be banned and, in permissioned mode, must be on the allowlist. Checking bans here (by
 * ML-DSA address) refuses a banned validator even if it comes back under a new PeerId.
 */
export function admissionPolicy(reputation: PeerReputation, allowlist: QstpAllowlist | null): QstpAllowlist {
  return {
    isAllowed(identity: RemoteIdentity): boolean {
      if (reputation.isBannedAddress(formatAddress(identity.address))) return false;
      return allowlist === null || allowlist.isAllowed(identity);
    },
  };
}

/** libp2p's gate by PeerId: no dial to, and no connection kept with, a PeerId whose identity is banned. */
export function banGater(reputation: PeerReputation): ConnectionGater {
  const banned = (peerId: PeerId): boolean => reputation.isBannedPeer(peerId.toString());
  return {
    denyDialPeer: banned,
    denyInboundEncryptedConnection: banned,
    denyOutboundEncryptedConnection: banned,
  };
}
