import { channelError } from "./errors.ts";
import type { HostPort } from "./socks5Client.ts";
import type { Socks5Credentials } from "./socks5Wire.ts";

export const ChannelKind = { tcp: "tcp", socks5: "socks5" } as const;
export type ChannelKind = (typeof ChannelKind)[keyof typeof ChannelKind];

/** One way out, as written in the node's configuration. */
export type ChannelConfig =
  | { readonly name: string; readonly kind: "tcp"; readonly connectTimeoutMs?: number }
  | {
      readonly name: string;
      readonly kind: "socks5";
      /** "host:port" or "[ipv6]:port" of the proxy, e.g. Tor's "127.0.0.1:9050". */
      readonly proxy: string;
      readonly username?: string;
      readonly password?: string;
      readonly connectTimeoutMs?: number;
    };

export type ChannelsOptions = {
  /** In order of preference; a dial tries them in this order, healthy ones first. */
  readonly channels: readonly ChannelConfig[];
  /** How long a channel that failed a dial is tried last. */
  readonly cooldownMs: number;
};

export type ResolvedChannel =
  | { readonly name: string; readonly kind: "tcp"; readonly connectTimeoutMs: number }
  | {
      readonly name: string;
      readonly kind: "socks5";
      readonly proxy: HostPort;
      readonly credentials: Socks5Credentials | undefined;
      readonly connectTimeoutMs: number;
    };

export type ResolvedChannelsOptions = { readonly channels: readonly ResolvedChannel[]; readonly cooldownMs: number };

/** Channel names become metric labels: short, lowercase, stable. */
export const CHANNEL_NAME_PATTERN = /^[a-z0-9_-]{1,32}$/;
export const CHANNELS_MAX = 8;
/** Direct TCP: a live host answers in well under a second; libp2p's own per-address dial budget is 6 s. */
export const DIRECT_CONNECT_TIMEOUT_MS_DEFAULT = 5_000;
/** Through a proxy: Tor may build a circuit first (seconds to tens of seconds). */
export const SOCKS5_CONNECT_TIMEOUT_MS_DEFAULT = 20_000;

export const defaultChannelsOptions: ChannelsOptions = {
  channels: [{ name: "direct", kind: "tcp" }],
  // A minute: long enough not to hammer a dead proxy on every dial, short enough to notice it came back.
  cooldownMs: 60_000,
};

export function resolveChannelsOptions(opts: Partial<ChannelsOptions> = {}): ResolvedChannelsOptions {
  const merged: ChannelsOptions = { ...defaultChannelsOptions, ...opts };
  if (!Number.isSafeInteger(merged.cooldownMs) || merged.cooldownMs < 0) {
    throw channelError("P2P_CHANNEL_INVALID_OPTIONS", "channels: cooldownMs must be a non-negative integer", { cooldownMs: merged.cooldownMs });
  }
  if (merged.channels.length < 1 || merged.channels.length > CHANNELS_MAX) {
    throw channelError("P2P_CHANNEL_INVALID_OPTIONS", `channels: configure 1..${CHANNELS_MAX} channels`, { count: merged.channels.length });
  }
  const names = new Set<string>();
  const channels = merged.channels.map((config) => {
    if (!CHANNEL_NAME_PATTERN.test(config.name) || names.has(config.name)) {
      throw channelError("P2P_CHANNEL_INVALID_OPTIONS", "channels: each name must be unique, 1..32 of a-z 0-9 _ -", { name: config.name });
    }
    names.add(config.name);
    return resolveChannel(config);
  });
  return { channels, cooldownMs: merged.cooldownMs };
}

function resolveChannel(config: ChannelConfig): ResolvedChannel {
  if (config.kind === "tcp") {
    return { name: config.name, kind: "tcp", connectTimeoutMs: timeoutOf(config.name, config.connectTimeoutMs, DIRECT_CONNECT_TIMEOUT_MS_DEFAULT) };
  }
  if (config.kind !== "socks5") {
    throw channelError("P2P_CHANNEL_INVALID_OPTIONS", 'channels: kind must be "tcp" or "socks5"', { name: (config as { name: string }).name });
  }
  if ((config.username === undefined) !== (config.password === undefined)) {
    throw channelError("P2P_CHANNEL_INVALID_OPTIONS", "channels: give both username and password, or neither", { name: config.name });
  }
  return {
    name: config.name,
    kind: "socks5",
    proxy: parseHostPort(config.name, config.proxy),
    credentials: config.username === undefined || config.password === undefined ? undefined : { username: config.username, password: config.password },
    connectTimeoutMs: timeoutOf(config.name, config.connectTimeoutMs, SOCKS5_CONNECT_TIMEOUT_MS_DEFAULT),
  };
}

function timeoutOf(name: string, value: number | undefined, fallback: number): number {
  const timeoutMs = value ?? fallback;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
    throw channelError("P2P_CHANNEL_INVALID_OPTIONS", "channels: connectTimeoutMs must be a positive integer", { name, connectTimeoutMs: timeoutMs });
  }
  return timeoutMs;
}

/** "127.0.0.1:9050", "localhost:9050", "[::1]:9050". */
export function parseHostPort(name: string, text: string): HostPort {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isSafeInteger(port) || port < 1 || port > 65_535) {
    throw channelError("P2P_CHANNEL_INVALID_OPTIONS", 'channels: proxy must be "host:port" or "[ipv6]:port"', { name, proxy: text });
  }
  return { host, port };
}
