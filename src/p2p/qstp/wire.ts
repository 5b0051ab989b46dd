import {
  AEAD_TAG_SIZE_BYTES,
  HYBRID_KEM_CIPHERTEXT_SIZE_BYTES,
  HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES,
  isSignatureAlgorithmId,
  publicKeySizeBytes,
  signatureSizeBytes,
  type SignatureAlgorithmId,
} from "../../crypto/index.ts";
import { assert, concatBytes } from "../../util/index.ts";
import {
  HANDSHAKE_NONCE_SIZE_BYTES,
  HandshakeMessageType,
  PEER_PUBLIC_KEY_SIZE_BYTES_MAX,
  PEER_SIGNATURE_SIZE_BYTES_MAX,
  QSTP_VERSION,
  type HandshakeMessageTypeId,
} from "./constants.ts";
import { qstpError } from "./errors.ts";
import { ByteReader, u16Bytes } from "./reader.ts";

/*
 * Handshake message layouts (all integers big-endian):
 *   InitiatorHello  = version u8 | type=1 u8 | nonceI [32] | kemPublicKeyI [1216] | u16 len | peerPublicKeyI
 *   ResponderHello  = version u8 | type=2 u8 | nonceR [32] | kemCiphertext [1120] | sealed(ResponderIdentity)
 *   InitiatorFinish = version u8 | type=3 u8 | sealed(InitiatorIdentity)
 *   ResponderIdentity = u16 len | peerPublicKeyR | alg u8 | mlDsaPublicKey | mlDsaSignature | u16 len | peerSignature
 *   InitiatorIdentity =                            alg u8 | mlDsaPublicKey | mlDsaSignature | u16 len | peerSignature
 * ML-DSA key and signature sizes follow from alg. The signed part of an identity is its
 * prefix up to the ML-DSA signature (`signedFields`).
 */

export type InitiatorHello = { readonly nonce: Uint8Array; readonly kemPublicKey: Uint8Array; readonly peerPublicKey: Uint8Array };
export type ResponderHello = { readonly head: Uint8Array; readonly nonce: Uint8Array; readonly kemCiphertext: Uint8Array; readonly sealedIdentity: Uint8Array };

export type IdentityPayload = {
  /** Present in the responder's identity; the initiator's travels in its hello. */
  readonly peerPublicKey: Uint8Array | undefined;
  readonly alg: SignatureAlgorithmId;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
  readonly peerSignature: Uint8Array;
  /** The bytes both signatures cover (with the transcript). */
  readonly signedFields: Uint8Array;
};

function header(type: HandshakeMessageTypeId): Uint8Array {
  return new Uint8Array([QSTP_VERSION, type]);
}

function readHeader(reader: ByteReader, typeExpected: HandshakeMessageTypeId): void {
  const version = reader.u8("version");
  if (version !== QSTP_VERSION) {
    throw qstpError("P2P_HANDSHAKE_UNSUPPORTED_VERSION", `qstp handshake version ${version} is not supported; this node speaks ${QSTP_VERSION}`, {
      version,
      versionExpected: QSTP_VERSION,
    });
  }
  const type = reader.u8("type");
  if (type !== typeExpected) {
    throw qstpError("P2P_HANDSHAKE_MALFORMED", `expected handshake message type ${typeExpected}, got ${type}`, { type, typeExpected });
  }
}

export function encodeInitiatorHello(hello: InitiatorHello): Uint8Array {
  assert(hello.nonce.byteLength === HANDSHAKE_NONCE_SIZE_BYTES, "encodeInitiatorHello: nonce size");
  assert(hello.kemPublicKey.byteLength === HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES, "encodeInitiatorHello: KEM public key size");
  assert(hello.peerPublicKey.byteLength <= PEER_PUBLIC_KEY_SIZE_BYTES_MAX, "encodeInitiatorHello: peer public key size");
  return concatBytes([header(HandshakeMessageType.initiatorHello), hello.nonce, hello.kemPublicKey, u16Bytes(hello.peerPublicKey.byteLength), hello.peerPublicKey]);
}

/** @throws GhostmeshError P2P_HANDSHAKE_MALFORMED or P2P_HANDSHAKE_UNSUPPORTED_VERSION. */
export function decodeInitiatorHello(bytes: Uint8Array): InitiatorHello {
  const reader = new ByteReader(bytes, "initiator hello");
  readHeader(reader, HandshakeMessageType.initiatorHello);
  const nonce = reader.bytes(HANDSHAKE_NONCE_SIZE_BYTES, "nonce");
  const kemPublicKey = reader.bytes(HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES, "kemPublicKey");
  const peerPublicKey = reader.lengthPrefixed(PEER_PUBLIC_KEY_SIZE_BYTES_MAX, "peerPublicKey");
  reader.end();
  return { nonce, kemPublicKey, peerPublicKey };
}

/** The cleartext part of the responder hello; the transcript covers it before the sealed part. */
export function encodeResponderHelloHead(nonce: Uint8Array, kemCiphertext: Uint8Array): Uint8Array {
  assert(nonce.byteLength === HANDSHAKE_NONCE_SIZE_BYTES, "encodeResponderHelloHead: nonce size");
  assert(kemCiphertext.byteLength === HYBRID_KEM_CIPHERTEXT_SIZE_BYTES, "encodeResponderHelloHead: ciphertext size");
  return concatBytes([header(HandshakeMessageType.responderHello), nonce, kemCiphertext]);
}

/** @throws GhostmeshError P2P_HANDSHAKE_MALFORMED or P2P_HANDSHAKE_UNSUPPORTED_VERSION. */
export function decodeResponderHello(bytes: Uint8Array): ResponderHello {
  const reader = new ByteReader(bytes, "responder hello");
  readHeader(reader, HandshakeMessageType.responderHello);
  const nonce = reader.bytes(HANDSHAKE_NONCE_SIZE_BYTES, "nonce");
  const kemCiphertext = reader.bytes(HYBRID_KEM_CIPHERTEXT_SIZE_BYTES, "kemCiphertext");
  const head = bytes.subarray(0, reader.offset);
  const sealedIdentity = reader.rest();
  if (sealedIdentity.byteLength < AEAD_TAG_SIZE_BYTES) {
    throw qstpError("P2P_HANDSHAKE_MALFORMED", "responder hello: the sealed identity is shorter than an AEAD tag", { sizeBytes: sealedIdentity.byteLength });
  }
  return { head, nonce, kemCiphertext, sealedIdentity };
}

export function encodeInitiatorFinishHead(): Uint8Array {
  return header(HandshakeMessageType.initiatorFinish);
}

/** @throws GhostmeshError P2P_HANDSHAKE_MALFORMED or P2P_HANDSHAKE_UNSUPPORTED_VERSION. */
export function decodeInitiatorFinish(bytes: Uint8Array): { head: Uint8Array; sealedIdentity: Uint8Array } {
  const reader = new ByteReader(bytes, "initiator finish");
  readHeader(reader, HandshakeMessageType.initiatorFinish);
  const head = bytes.subarray(0, reader.offset);
  const sealedIdentity = reader.rest();
  if (sealedIdentity.byteLength < AEAD_TAG_SIZE_BYTES) {
    throw qstpError("P2P_HANDSHAKE_MALFORMED", "initiator finish: the sealed identity is shorter than an AEAD tag", { sizeBytes: sealedIdentity.byteLength });
  }
  return { head, sealedIdentity };
}

/** The signed prefix of an identity payload. */
export function encodeSignedFields(peerPublicKey: Uint8Array | undefined, alg: SignatureAlgorithmId, publicKey: Uint8Array): Uint8Array {
  assert(publicKey.byteLength === publicKeySizeBytes[alg], "encodeSignedFields: ML-DSA public key size");
  const parts = peerPublicKey === undefined ? [] : [u16Bytes(peerPublicKey.byteLength), peerPublicKey];
  return concatBytes([...parts, new Uint8Array([alg]), publicKey]);
}

export function encodeIdentityPayload(signedFields: Uint8Array, signature: Uint8Array, peerSignature: Uint8Array): Uint8Array {
  assert(peerSignature.byteLength <= PEER_SIGNATURE_SIZE_BYTES_MAX, "encodeIdentityPayload: peer signature size");
  return concatBytes([signedFields, signature, u16Bytes(peerSignature.byteLength), peerSignature]);
}

/** @throws GhostmeshError P2P_HANDSHAKE_MALFORMED or P2P_HANDSHAKE_UNSUPPORTED_ALGORITHM. */
export function decodeIdentityPayload(bytes: Uint8Array, withPeerPublicKey: boolean): IdentityPayload {
  const reader = new ByteReader(bytes, "identity payload");
  const peerPublicKey = withPeerPublicKey ? reader.lengthPrefixed(PEER_PUBLIC_KEY_SIZE_BYTES_MAX, "peerPublicKey") : undefined;
  const alg = reader.u8("alg");
  if (!isSignatureAlgorithmId(alg)) {
    throw qstpError("P2P_HANDSHAKE_UNSUPPORTED_ALGORITHM", `identity signature algorithm id ${alg} is unknown`, { alg });
  }
  const publicKey = reader.bytes(publicKeySizeBytes[alg], "publicKey");
  const signedFields = bytes.subarray(0, reader.offset);
  const signature = reader.bytes(signatureSizeBytes[alg], "signature");
  const peerSignature = reader.lengthPrefixed(PEER_SIGNATURE_SIZE_BYTES_MAX, "peerSignature");
  reader.end();
  return { peerPublicKey, alg, publicKey, signature, peerSignature, signedFields };
}
