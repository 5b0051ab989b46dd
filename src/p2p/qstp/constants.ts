import { HYBRID_KEM_CIPHERTEXT_SIZE_BYTES, HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES, publicKeySizeBytes, signatureSizeBytes } from "../../crypto/index.ts";
import { assert } from "../../util/index.ts";

/** The multistream-select protocol id; also hashed into every transcript (no cross-protocol reuse). */
export const QSTP_PROTOCOL = "/ghostmesh/qstp/1";
/** First byte of every handshake message; a new layout gets a new version and a new protocol id. */
export const QSTP_VERSION = 1;

export const HandshakeMessageType = { initiatorHello: 1, responderHello: 2, initiatorFinish: 3 } as const;
export type HandshakeMessageTypeId = (typeof HandshakeMessageType)[keyof typeof HandshakeMessageType];

/** Record types travel in the clear (authenticated as associated data). */
export const RecordType = { data: 0, keyUpdate: 1 } as const;
export type RecordTypeId = (typeof RecordType)[keyof typeof RecordType];

export const HANDSHAKE_NONCE_SIZE_BYTES = 32;
/** u16 big-endian length before each handshake message. */
export const HANDSHAKE_LENGTH_PREFIX_SIZE_BYTES = 2;
/**
 * The largest honest message is the responder hello with ML-DSA-87: 2 + 32 + 1,120 +
 * (2 + 36 + 1 + 2,592 + 4,627 + 2 + 64) + 16 = 8,494 bytes. 16 KiB leaves room, and the u16
 * prefix caps any claim at 64 KiB before a byte is buffered.
 */
export const HANDSHAKE_MESSAGE_SIZE_BYTES_MAX = 16 * 1024;
/** An Ed25519 public key in libp2p's protobuf envelope is 36 bytes; nothing longer is read. */
export const PEER_PUBLIC_KEY_SIZE_BYTES_MAX = 64;
export const PEER_SIGNATURE_SIZE_BYTES_MAX = 64;

/** Record frame: u32 length of (sealed) || u8 type || sealed (ciphertext || 16-byte tag). */
export const FRAME_LENGTH_SIZE_BYTES = 4;
export const FRAME_HEADER_SIZE_BYTES = FRAME_LENGTH_SIZE_BYTES + 1;

export const transcriptTag = "ghostmesh/v1/qstp/transcript";
export const responderSignatureTag = "ghostmesh/v1/qstp/sig/responder";
export const initiatorSignatureTag = "ghostmesh/v1/qstp/sig/initiator";
export const handshakeKeysInfo = "ghostmesh/v1/qstp/handshake-keys";
export const trafficKeysInfo = "ghostmesh/v1/qstp/traffic-keys";
export const rekeyInfo = "ghostmesh/v1/qstp/rekey";

const identityPayloadSizeBytesMax =
  2 + PEER_PUBLIC_KEY_SIZE_BYTES_MAX + 1 + publicKeySizeBytes[3] + signatureSizeBytes[3] + 2 + PEER_SIGNATURE_SIZE_BYTES_MAX + 16;
assert(
  2 + HANDSHAKE_NONCE_SIZE_BYTES + HYBRID_KEM_CIPHERTEXT_SIZE_BYTES + identityPayloadSizeBytesMax <= HANDSHAKE_MESSAGE_SIZE_BYTES_MAX,
  "qstp constants: the largest responder hello must fit the handshake message limit",
);
assert(
  2 + HANDSHAKE_NONCE_SIZE_BYTES + HYBRID_KEM_PUBLIC_KEY_SIZE_BYTES + 2 + PEER_PUBLIC_KEY_SIZE_BYTES_MAX <= HANDSHAKE_MESSAGE_SIZE_BYTES_MAX,
  "qstp constants: the initiator hello must fit the handshake message limit",
);
assert(HANDSHAKE_MESSAGE_SIZE_BYTES_MAX < 2 ** 16, "qstp constants: handshake lengths travel as u16");
