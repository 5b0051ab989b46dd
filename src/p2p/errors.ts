import { GhostmeshError } from "../util/index.ts";

/**
 * Operating errors of the p2p host (gossip, request/response, peers). The transport's own
 * codes are in qstp/errors.ts. For gossip, the verdict a peer earns is separate from these
 * codes: the host rejects (penalises) only what is provably invalid and ignores the rest.
 */
export type P2pHostErrorCode =
  | "P2P_INVALID_OPTIONS"
  | "P2P_HOST_NOT_STARTED"
  | "P2P_ALREADY_SUBSCRIBED"
  | "P2P_GOSSIP_MESSAGE_TOO_LARGE"
  | "P2P_GOSSIP_BATCH_MALFORMED"
  | "P2P_DIAL_FAILED"
  | "P2P_PEER_BANNED"
  | "P2P_PROTOCOL_ALREADY_HANDLED"
  /** Thrown by a request handler: the request is bad (answered with status invalidRequest). */
  | "P2P_REQUEST_INVALID"
  /** Thrown by a request handler: cannot serve it now or do not have it (status resourceUnavailable). */
  | "P2P_RESOURCE_UNAVAILABLE"
  | "P2P_REQUEST_TOO_LARGE"
  | "P2P_REQUEST_TIMEOUT"
  | "P2P_REQUEST_FAILED"
  /** The peer serves no version of the request (or message) protocol that this node speaks (for requests, meta.peerVersions: the ones it serves). */
  | "P2P_PROTOCOL_UNSUPPORTED"
  | "P2P_REQUEST_CONCURRENCY_EXCEEDED"
  | "P2P_RESPONSE_TOO_LARGE"
  | "P2P_RESPONSE_MALFORMED"
  /** The remote answered with an error status: these three mirror the response statuses. */
  | "P2P_REMOTE_INVALID_REQUEST"
  | "P2P_REMOTE_SERVER_ERROR"
  | "P2P_REMOTE_RESOURCE_UNAVAILABLE"
  /** One-way messages (messageStreams.ts): above the size given, too many waiting for the peer, or no stream to write on. */
  | "P2P_MESSAGE_TOO_LARGE"
  | "P2P_MESSAGE_QUEUE_FULL"
  | "P2P_MESSAGE_SEND_FAILED"
  | "P2P_NODE_KEY_INVALID"
  | "P2P_NODE_KEY_IO_FAILED";

export type P2pHostError = GhostmeshError<P2pHostErrorCode>;

export function p2pError(code: P2pHostErrorCode, message: string, meta: Record<string, unknown> = {}, cause?: unknown): P2pHostError {
  return new GhostmeshError(code, message, meta, cause === undefined ? undefined : { cause });
}

export function isP2pHostError(err: unknown, code?: P2pHostErrorCode): err is P2pHostError {
  return err instanceof GhostmeshError && typeof err.code === "string" && err.code.startsWith("P2P_") && (code === undefined || err.code === code);
}
