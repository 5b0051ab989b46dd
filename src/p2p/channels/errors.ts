import { GhostmeshError } from "../../util/index.ts";

/**
 * Operating errors of the transport channels. A SOCKS5 error means the proxy or the route
 * behind it failed this dial (the channel is marked unhealthy and the next channel is tried);
 * it never says anything about the remote peer, whose identity the qstp handshake proves later.
 */
export type ChannelErrorCode =
  | "P2P_CHANNEL_INVALID_OPTIONS"
  | "P2P_CHANNEL_UNSUPPORTED_ADDRESS"
  | "P2P_CHANNEL_CONNECT_FAILED"
  | "P2P_CHANNEL_CONNECT_TIMEOUT"
  | "P2P_CHANNEL_DIAL_ABORTED"
  | "P2P_CHANNEL_ALL_FAILED"
  | "P2P_SOCKS5_INVALID_TARGET"
  | "P2P_SOCKS5_INVALID_CREDENTIALS"
  | "P2P_SOCKS5_PROXY_UNREACHABLE"
  | "P2P_SOCKS5_TIMEOUT"
  | "P2P_SOCKS5_PROXY_CLOSED"
  | "P2P_SOCKS5_MALFORMED_REPLY"
  | "P2P_SOCKS5_NO_ACCEPTABLE_METHOD"
  | "P2P_SOCKS5_AUTH_FAILED"
  | "P2P_SOCKS5_CONNECT_REFUSED";

export type ChannelError = GhostmeshError<ChannelErrorCode>;

export function channelError(code: ChannelErrorCode, message: string, meta: Record<string, unknown> = {}, cause?: unknown): ChannelError {
  return new GhostmeshError(code, message, meta, cause === undefined ? undefined : { cause });
}

export function isChannelError(err: unknown): err is ChannelError {
  return err instanceof GhostmeshError && (err.code.startsWith("P2P_CHANNEL_") || err.code.startsWith("P2P_SOCKS5_"));
}

/** The code to count a failed attempt under: ours, or a generic one for anything foreign. */
export function channelErrorCode(err: unknown): string {
  return isChannelError(err) ? err.code : "P2P_CHANNEL_CONNECT_FAILED";
}
