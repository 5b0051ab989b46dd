/** Transport channels (direct TCP, SOCKS5 proxies) with fallback: the only import surface of p2p/channels. */
export { channels, ChannelsTransport } from "./transport.ts";
export type { ChannelsModules, ChannelsComponents, ChannelsClock, ChannelAttempt } from "./transport.ts";
export {
  defaultChannelsOptions,
  resolveChannelsOptions,
  parseHostPort,
  ChannelKind,
  CHANNELS_MAX,
  CHANNEL_NAME_PATTERN,
  DIRECT_CONNECT_TIMEOUT_MS_DEFAULT,
  SOCKS5_CONNECT_TIMEOUT_MS_DEFAULT,
} from "./options.ts";
export type { ChannelConfig, ChannelsOptions, ResolvedChannel, ResolvedChannelsOptions } from "./options.ts";
export { ChannelHealth } from "./health.ts";
export type { ChannelHealthState } from "./health.ts";
export { createChannelMetrics, DialResult, ByteDirection } from "./metrics.ts";
export type { ChannelMetrics } from "./metrics.ts";
export { dialTargetFromMultiaddr, HostKind } from "./address.ts";
export type { DialTarget } from "./address.ts";
export { socks5Connect } from "./socks5Client.ts";
export type { Socks5ConnectOptions, HostPort } from "./socks5Client.ts";
export {
  SOCKS5_VERSION,
  SOCKS5_AUTH_VERSION,
  SOCKS5_COMMAND_CONNECT,
  SOCKS5_REPLY_REASONS,
  Socks5Method,
  Socks5AddressType,
  encodeConnectRequest,
  ipv6Bytes,
} from "./socks5Wire.ts";
export type { Socks5Target, Socks5Credentials } from "./socks5Wire.ts";
export { channelError, isChannelError } from "./errors.ts";
export type { ChannelError, ChannelErrorCode } from "./errors.ts";
