import { randomBytes } from "node:crypto";
import { publicKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PublicKey } from "@libp2p/interface";
import { aeadOpen, aeadSeal, generateHybridKemKeyPair, hybridDecapsulate, hybridEncapsulate, type KemKeyPair } from "../../crypto/index.ts";
import { assert, concatBytes, errorMessage, isGhostmeshError } from "../../util/index.ts";
import { HANDSHAKE_NONCE_SIZE_BYTES, initiatorSignatureTag, responderSignatureTag } from "./constants.ts";
import { qstpError } from "./errors.ts";
import { decodePeerPublicKey, signTranscript, verifyRemoteIdentity } from "./identity.ts";
import { deriveHandshakeKeys, deriveTrafficKeys, handshakeNonce, Transcript, type DirectionalKeys } from "./keySchedule.ts";
import type { HandshakePolicy, HandshakeResult, LocalIdentity } from "./types.ts";
import {
  decodeIdentityPayload,
  decodeInitiatorFinish,
  decodeInitiatorHello,
  decodeResponderHello,
  encodeIdentityPayload,
  encodeInitiatorFinishHead,
  encodeInitiatorHello,
  encodeResponderHelloHead,
  encodeSignedFields,
} from "./wire.ts";

/*
 * The qstp handshake as two state machines, free of I/O so they can be driven over any duplex
 * and fed hostile bytes directly (docs/decisions/0500-qstp-transport.md has the full design):
 *   1. I -> R  InitiatorHello: nonceI, ephemeral hybrid KEM public key, libp2p public key.
 *   2. R -> I  ResponderHello: nonceR, KEM ciphertext, then sealed under kR_hs (AAD = h2):
 *              libp2p key, ML-DSA key, ML-DSA and libp2p signatures over the transcript.
 *   3. I -> R  InitiatorFinish: sealed under kI_hs (AAD = transcript hash): ML-DSA key and
 *              both signatures over the whole transcript.
 * A side accepts only after opening the peer's sealed identity (key confirmation: a wrong
 * ciphertext decapsulates silently to another secret, and the AEAD tag then fails) and
 * checking both of its signatures.
 */

export type HandshakeParams = { readonly local: LocalIdentity; readonly policy: HandshakePolicy };

function localPeerPublicKey(local: LocalIdentity): Uint8Array {
  return publicKeyToProtobuf(local.peerPrivateKey.publicKey);
}

function openIdentity(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array, who: string): Uint8Array {
  try {
    return aeadOpen(key, handshakeNonce, sealed, aad);
  } catch (err) {
    throw qstpError("P2P_HANDSHAKE_KEY_CONFIRMATION_FAILED", `the ${who}'s sealed identity does not open: the keys or the transcript differ (tampered or replayed message)`, {}, err);
  }
}

function wipe(keys: DirectionalKeys | undefined, secret: Uint8Array | undefined): void {
  keys?.initiatorKey.fill(0);
  keys?.responderKey.fill(0);
  secret?.fill(0);
}

export class InitiatorHandshake {
  readonly #params: HandshakeParams;
  readonly #kem: KemKeyPair;
  readonly #transcript = new Transcript();
  #step: "hello-sent" | "done" = "hello-sent";
  readonly helloMessage: Uint8Array;

  constructor(params: HandshakeParams) {
    this.#params = params;
    this.#kem = generateHybridKemKeyPair();
    const nonce = new Uint8Array(randomBytes(HANDSHAKE_NONCE_SIZE_BYTES));
    this.helloMessage = encodeInitiatorHello({ nonce, kemPublicKey: this.#kem.publicKey, peerPublicKey: localPeerPublicKey(params.local) });
    this.#transcript.append(this.helloMessage);
  }

  /**
   * Reads message 2, authenticates the responder and returns message 3 with the session keys.
   * @throws GhostmeshError P2P_HANDSHAKE_* or P2P_PEER_NOT_ALLOWED.
   */
  async readResponderHello(message: Uint8Array): Promise<{ finishMessage: Uint8Array; result: HandshakeResult }> {
    assert(this.#step === "hello-sent", "InitiatorHandshake.readResponderHello: called twice");
    this.#step = "done";
    const hello = decodeResponderHello(message);
    const sharedSecret = decapsulate(this.#kem, hello.kemCiphertext);
    const h2 = this.#transcript.hashWith(hello.head);
    const handshakeKeys = deriveHandshakeKeys(sharedSecret, h2);
    try {
      const payload = decodeIdentityPayload(openIdentity(handshakeKeys.responderKey, hello.sealedIdentity, h2, "responder"), true);
      assert(payload.peerPublicKey !== undefined, "readResponderHello: the responder identity carries a peer key");
      const peerKey = decodePeerPublicKey(payload.peerPublicKey);
      const responderHash = this.#transcript.hashWith(hello.head, payload.signedFields);
      const remote = await verifyRemoteIdentity(payload, peerKey, responderSignatureTag, responderHash, this.#params.policy);
      this.#transcript.append(message);
      const finishMessage = await this.#finishMessage(handshakeKeys.initiatorKey);
      this.#transcript.append(finishMessage);
      const transcriptHash = this.#transcript.hash();
      const traffic = deriveTrafficKeys(sharedSecret, transcriptHash);
      return { finishMessage, result: { remote, sendKey: traffic.initiatorKey, receiveKey: traffic.responderKey, transcriptHash } };
    } finally {
      wipe(handshakeKeys, sharedSecret);
    }
  }

  async #finishMessage(initiatorHandshakeKey: Uint8Array): Promise<Uint8Array> {
    const { signingKey } = this.#params.local;
    const signedFields = encodeSignedFields(undefined, signingKey.alg, signingKey.publicKey);
    const signatures = await signTranscript(this.#params.local, initiatorSignatureTag, this.#transcript.hashWith(signedFields));
    const payload = encodeIdentityPayload(signedFields, signatures.signature, signatures.peerSignature);
    const sealed = aeadSeal(initiatorHandshakeKey, handshakeNonce, payload, this.#transcript.hash());
    return concatBytes([encodeInitiatorFinishHead(), sealed]);
  }
}

export class ResponderHandshake {
  readonly #params: HandshakeParams;
  readonly #transcript = new Transcript();
  #step: "start" | "hello-sent" | "done" = "start";
  #initiatorPeerKey: PublicKey | undefined;
  #sharedSecret: Uint8Array | undefined;
  #handshakeKeys: DirectionalKeys | undefined;

  constructor(params: HandshakeParams) {
    this.#params = params;
  }

  /**
   * Reads message 1 and returns message 2 (signed with both local keys).
   * @throws GhostmeshError P2P_HANDSHAKE_*.
   */
  async readInitiatorHello(message: Uint8Array): Promise<Uint8Array> {
    assert(this.#step === "start", "ResponderHandshake.readInitiatorHello: called out of order");
    this.#step = "hello-sent";
    const hello = decodeInitiatorHello(message);
    this.#initiatorPeerKey = decodePeerPublicKey(hello.peerPublicKey);
    const { sharedSecret, ciphertext } = encapsulate(hello.kemPublicKey);
    this.#transcript.append(message);
    const head = encodeResponderHelloHead(new Uint8Array(randomBytes(HANDSHAKE_NONCE_SIZE_BYTES)), ciphertext);
    const h2 = this.#transcript.hashWith(head);
    this.#sharedSecret = sharedSecret;
    this.#handshakeKeys = deriveHandshakeKeys(sharedSecret, h2);
    const { signingKey } = this.#params.local;
    const signedFields = encodeSignedFields(localPeerPublicKey(this.#params.local), signingKey.alg, signingKey.publicKey);
    const signatures = await signTranscript(this.#params.local, responderSignatureTag, this.#transcript.hashWith(head, signedFields));
    const payload = encodeIdentityPayload(signedFields, signatures.signature, signatures.peerSignature);
    const helloMessage = concatBytes([head, aeadSeal(this.#handshakeKeys.responderKey, handshakeNonce, payload, h2)]);
    this.#transcript.append(helloMessage);
    return helloMessage;
  }

  /**
   * Reads message 3, authenticates the initiator and returns the session keys.
   * @throws GhostmeshError P2P_HANDSHAKE_* or P2P_PEER_NOT_ALLOWED.
   */
  async readInitiatorFinish(message: Uint8Array): Promise<HandshakeResult> {
    assert(this.#step === "hello-sent", "ResponderHandshake.readInitiatorFinish: called out of order");
    this.#step = "done";
    const sharedSecret = this.#sharedSecret;
    const handshakeKeys = this.#handshakeKeys;
    const peerKey = this.#initiatorPeerKey;
    assert(sharedSecret !== undefined && handshakeKeys !== undefined && peerKey !== undefined, "readInitiatorFinish: hello state present");
    try {
      const finish = decodeInitiatorFinish(message);
      const opened = openIdentity(handshakeKeys.initiatorKey, finish.sealedIdentity, this.#transcript.hash(), "initiator");
      const payload = decodeIdentityPayload(opened, false);
      const initiatorHash = this.#transcript.hashWith(payload.signedFields);
      const remote = await verifyRemoteIdentity(payload, peerKey, initiatorSignatureTag, initiatorHash, this.#params.policy);
      this.#transcript.append(message);
      const transcriptHash = this.#transcript.hash();
      const traffic = deriveTrafficKeys(sharedSecret, transcriptHash);
      return { remote, sendKey: traffic.responderKey, receiveKey: traffic.initiatorKey, transcriptHash };
    } finally {
      wipe(handshakeKeys, sharedSecret);
    }
  }
}

function decapsulate(kem: KemKeyPair, ciphertext: Uint8Array): Uint8Array {
  try {
    return hybridDecapsulate(kem, ciphertext);
  } catch (err) {
    throw kemFailed(err);
  }
}

function encapsulate(publicKey: Uint8Array): { sharedSecret: Uint8Array; ciphertext: Uint8Array } {
  try {
    return hybridEncapsulate(publicKey);
  } catch (err) {
    throw kemFailed(err);
  }
}

/** The KEM input comes from the peer, so whatever node:crypto throws on it is the peer's fault. */
function kemFailed(err: unknown): Error {
  const causeCode = isGhostmeshError(err) ? err.code : undefined;
  return qstpError("P2P_HANDSHAKE_KEM_FAILED", `hybrid key exchange failed: ${errorMessage(err)}`, { causeCode }, err);
}
