import { GhostmeshError } from "../../util/index.ts";

/**
 * Every operating error of the qstp connection encrypter. Each one closes the connection it
 * happened on (the peer is rejected, never ignored: a transport that misbehaves once cannot be
 * trusted with the next byte) and none of them may crash the process.
 */
export type QstpErrorCode =
  | "P2P_INVALID_OPTIONS"
  | "P2P_HANDSHAKE_TIMEOUT"
  | "P2P_HANDSHAKE_CONNECTION_CLOSED"
  | "P2P_HANDSHAKE_MESSAGE_TOO_LARGE"
  | "P2P_HANDSHAKE_MALFORMED"
  | "P2P_HANDSHAKE_UNSUPPORTED_VERSION"
  | "P2P_HANDSHAKE_UNSUPPORTED_ALGORITHM"
  | "P2P_HANDSHAKE_KEM_FAILED"
  | "P2P_HANDSHAKE_KEY_CONFIRMATION_FAILED"
  | "P2P_HANDSHAKE_BAD_SIGNATURE"
  | "P2P_HANDSHAKE_UNEXPECTED_PEER"
  | "P2P_PEER_NOT_ALLOWED"
  | "P2P_FRAME_TOO_LARGE"
  | "P2P_FRAME_MALFORMED"
  | "P2P_RECORD_AUTH_FAILED"
  | "P2P_NONCE_EXHAUSTED"
  | "P2P_CONNECTION_FAILED";

export type QstpError = GhostmeshError<QstpErrorCode>;

export function qstpError(code: QstpErrorCode, message: string, meta: Record<string, unknown> = {}, cause?: unknown): QstpError {
  return new GhostmeshError(code, message, meta, cause === undefined ? undefined : { cause });
}

export function isQstpError(err: unknown): err is QstpError {
  return err instanceof GhostmeshError && typeof err.code === "string" && err.code.startsWith("P2P_");
}
