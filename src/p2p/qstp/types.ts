import type { PeerId, PrivateKey } from "@libp2p/interface";
import type { SignatureAlgorithmId, SigningKey } from "../../crypto/index.ts";

/** Who is on the other end, as proven by the handshake: both signatures checked. */
export type RemoteIdentity = {
  /** The libp2p (Ed25519) PeerId; the peer signed the transcript with its key. */
  readonly peerId: PeerId;
  /** The ML-DSA identity; the peer signed the same transcript with it. */
  readonly alg: SignatureAlgorithmId;
  readonly publicKey: Uint8Array;
  /** addressFromPublicKey(alg, publicKey): the on-chain name of the identity. */
  readonly address: Uint8Array;
};

/** The two keys a node proves itself with. */
export type LocalIdentity = {
  readonly signingKey: SigningKey;
  /** The libp2p private key (Ed25519) that the local PeerId is derived from. */
  readonly peerPrivateKey: PrivateKey;
};

/**
 * Decides whether an authenticated identity may hold a connection (permissioned mode).
 * Consulted once per handshake, so it can follow validator-set changes.
 */
export interface QstpAllowlist {
  isAllowed(identity: RemoteIdentity): boolean;
}

/** The outcome of a finished handshake: who, plus one AES-256-GCM key per direction. */
export type HandshakeResult = {
  readonly remote: RemoteIdentity;
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
  /** Hash of the whole transcript; identifies the session (same on both ends). */
  readonly transcriptHash: Uint8Array;
};

/** What a handshake checks beyond the signatures. */
export type HandshakePolicy = {
  readonly identityAlgorithmsAccepted: readonly SignatureAlgorithmId[];
  readonly allowlist: QstpAllowlist | null;
  /** Set when the dialer already knows whom it is calling (from the multiaddr). */
  readonly expectedPeerId: PeerId | undefined;
};

export type Clock = { nowMs(): number };
