import { publicKeyFromProtobuf } from "@libp2p/crypto/keys";
import type { PublicKey } from "@libp2p/interface";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import { addressFromPublicKey, hashTagged, signAsync, signatureAlgorithmName, verifyAsync } from "../../crypto/index.ts";
import { qstpError } from "./errors.ts";
import type { HandshakePolicy, LocalIdentity, RemoteIdentity } from "./types.ts";
import type { IdentityPayload } from "./wire.ts";

/**
 * Parses a peer's libp2p public key (protobuf envelope). Only Ed25519: Ghostmesh PeerIds are
 * Ed25519 (DESIGN §3), and refusing RSA keeps a hostile peer from making us parse kilobytes.
 * @throws GhostmeshError P2P_HANDSHAKE_MALFORMED or P2P_HANDSHAKE_UNSUPPORTED_ALGORITHM.
 */
export function decodePeerPublicKey(bytes: Uint8Array): PublicKey {
  let key: PublicKey;
  try {
    key = publicKeyFromProtobuf(bytes);
  } catch (err) {
    throw qstpError("P2P_HANDSHAKE_MALFORMED", "the peer's libp2p public key does not parse", { sizeBytes: bytes.byteLength }, err);
  }
  if (key.type !== "Ed25519") {
    throw qstpError("P2P_HANDSHAKE_UNSUPPORTED_ALGORITHM", `libp2p peer keys must be Ed25519, got ${key.type}`, { keyType: key.type });
  }
  return key;
}

/** Both signatures of one side, over hashTagged(role tag, transcript hash including its identity fields). */
export async function signTranscript(local: LocalIdentity, roleTag: string, transcriptHash: Uint8Array): Promise<{ signature: Uint8Array; peerSignature: Uint8Array }> {
  const message = hashTagged(roleTag, transcriptHash);
  const [signature, peerSignature] = await Promise.all([signAsync(local.signingKey, message), local.peerPrivateKey.sign(message)]);
  return { signature, peerSignature };
}

/**
 * Checks a peer's identity payload: algorithm accepted, PeerId as expected, on the allowlist,
 * and both signatures (ML-DSA and the libp2p key) valid over the transcript. The allowlist is
 * asked before the signatures are checked, so a peer that is not allowed costs no verify.
 * @throws GhostmeshError P2P_HANDSHAKE_UNSUPPORTED_ALGORITHM, P2P_HANDSHAKE_UNEXPECTED_PEER,
 *   P2P_PEER_NOT_ALLOWED or P2P_HANDSHAKE_BAD_SIGNATURE.
 */
export async function verifyRemoteIdentity(
  payload: IdentityPayload,
  peerPublicKey: PublicKey,
  roleTag: string,
  transcriptHash: Uint8Array,
  policy: HandshakePolicy,
): Promise<RemoteIdentity> {
  if (!policy.identityAlgorithmsAccepted.includes(payload.alg)) {
    throw qstpError("P2P_HANDSHAKE_UNSUPPORTED_ALGORITHM", `the peer proves its identity with ${signatureAlgorithmName(payload.alg)}, which this node does not accept`, {
      alg: payload.alg,
      algsAccepted: [...policy.identityAlgorithmsAccepted],
    });
  }
  const peerId = peerIdFromPublicKey(peerPublicKey);
  if (policy.expectedPeerId !== undefined && !policy.expectedPeerId.equals(peerId)) {
    throw qstpError("P2P_HANDSHAKE_UNEXPECTED_PEER", `dialed ${policy.expectedPeerId.toString()} but the remote is ${peerId.toString()}`, {
      peerIdExpected: policy.expectedPeerId.toString(),
      peerId: peerId.toString(),
    });
  }
  const publicKey = payload.publicKey.slice();
  const identity: RemoteIdentity = Object.freeze({ peerId, alg: payload.alg, publicKey, address: addressFromPublicKey(payload.alg, publicKey) });
  if (policy.allowlist !== null && !policy.allowlist.isAllowed(identity)) {
    throw qstpError("P2P_PEER_NOT_ALLOWED", `peer ${peerId.toString()} proves an identity that is not on the allowlist`, { peerId: peerId.toString() });
  }
  const message = hashTagged(roleTag, transcriptHash);
  const [signatureValid, peerSignatureValid] = await Promise.all([
    verifyAsync(payload.alg, publicKey, message, payload.signature),
    verifyPeerSignature(peerPublicKey, message, payload.peerSignature),
  ]);
  if (!signatureValid || !peerSignatureValid) {
    throw qstpError("P2P_HANDSHAKE_BAD_SIGNATURE", `peer ${peerId.toString()}: the ${signatureValid ? "libp2p" : "ML-DSA"} signature over the handshake transcript is invalid`, {
      peerId: peerId.toString(),
      signatureValid,
      peerSignatureValid,
    });
  }
  return identity;
}

async function verifyPeerSignature(key: PublicKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    return await key.verify(message, signature);
  } catch {
    return false;
  }
}
