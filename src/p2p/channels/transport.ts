/**
 * A libp2p 3 transport that dials through an ordered list of channels (direct TCP, SOCKS5
 * proxies) with fallback, and listens on plain TCP (delegated to @libp2p/tcp's listener:
 * inbound peers reach us the same way whatever channel they used).
 *
 * A channel "fails" when it cannot open a byte stream to the target (connect error, proxy
 * refusal, timeout); the next channel is then tried. A failure after the stream is open
 * (qstp handshake, multistream) is the peer's, not the channel's: it is not retried elsewhere.
 */
import { serviceCapabilities, transportSymbol } from "@libp2p/interface";
import type { ComponentLogger, Connection, CreateListenerOptions, DialTransportOptions, Listener, Logger, Metrics, Transport } from "@libp2p/interface";
import { tcp } from "@libp2p/tcp";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { Registry } from "prom-client";
import type { Socket } from "node:net";
import { dialTargetFromMultiaddr, type DialTarget } from "./address.ts";
import { ChannelConnection, SOCKET_INACTIVITY_TIMEOUT_MS_DEFAULT } from "./connection.ts";
import { channelCanDial, openChannelSocket } from "./dialers.ts";
import { channelError, channelErrorCode } from "./errors.ts";
import { ChannelHealth, type ChannelHealthState } from "./health.ts";
import { createChannelMetrics, type ChannelMetrics } from "./metrics.ts";
import { resolveChannelsOptions, type ChannelsOptions, type ResolvedChannel, type ResolvedChannelsOptions } from "./options.ts";

export type ChannelsClock = { nowMs(): number };

export type ChannelsModules = {
  /** Metrics registry; null runs without metrics. */
  readonly register: Registry | null;
  /** Wall clock for cool-downs and dial durations; defaults to performance.now. */
  readonly clock?: ChannelsClock;
};

export type ChannelsComponents = { readonly logger: ComponentLogger; readonly metrics?: Metrics };

/** One channel attempt of a dial, kept in P2P_CHANNEL_ALL_FAILED's meta. */
export type ChannelAttempt = { readonly channel: string; readonly code: string; readonly message: string };

const monotonicClock: ChannelsClock = { nowMs: () => Math.floor(performance.now()) };

export class ChannelsTransport implements Transport {
  readonly [transportSymbol] = true as const;
  readonly [Symbol.toStringTag] = "@ghostmesh/p2p-channels";
  readonly [serviceCapabilities]: string[] = ["@libp2p/transport"];
  readonly options: ResolvedChannelsOptions;
  private readonly health: ChannelHealth;
  private readonly metrics: ChannelMetrics | null;
  private readonly clock: ChannelsClock;
  private readonly listenTransport: Transport;
  private readonly log: Logger;

  constructor(opts: Partial<ChannelsOptions>, modules: ChannelsModules, components: ChannelsComponents) {
    this.options = resolveChannelsOptions(opts);
    this.health = new ChannelHealth(
      this.options.channels.map((channel) => channel.name),
      this.options.cooldownMs,
    );
    this.metrics = modules.register === null ? null : createChannelMetrics(modules.register);
    this.clock = modules.clock ?? monotonicClock;
    this.listenTransport = tcp()(components);
    this.log = components.logger.forComponent("ghostmesh:p2p:channels");
  }

  async dial(ma: Multiaddr, options: DialTransportOptions): Promise<Connection> {
    const target = dialTargetFromMultiaddr(ma);
    if (target === undefined) {
      throw channelError("P2P_CHANNEL_UNSUPPORTED_ADDRESS", "no channel can dial this address; expected /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>", { address: ma.toString() });
    }
    const { socket, channel } = await this.openThroughChannels(target, options.signal);
    const connection = new ChannelConnection({
      socket,
      remoteAddr: ma,
      channel,
      log: this.log.newScope(channel),
      metrics: this.metrics,
      inactivityTimeoutMs: SOCKET_INACTIVITY_TIMEOUT_MS_DEFAULT,
    });
    try {
      return await options.upgrader.upgradeOutbound(connection, options);
    } catch (err) {
      connection.abort(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  /** Tries each channel able to reach the target, healthy ones first; the first open stream wins. */
  async openThroughChannels(target: DialTarget, signal: AbortSignal | undefined): Promise<{ socket: Socket; channel: string }> {
    const candidates = this.dialOrder().filter((channel) => channelCanDial(channel, target));
    if (candidates.length === 0) {
      throw channelError("P2P_CHANNEL_UNSUPPORTED_ADDRESS", "only a proxy channel can dial an overlay name (.onion, .i2p); configure a socks5 channel", { host: target.host });
    }
    const attempts: ChannelAttempt[] = [];
    let lastError: unknown;
    for (const channel of candidates) {
      const startMs = this.clock.nowMs();
      try {
        const socket = await openChannelSocket(channel, target, signal);
        this.health.recordSuccess(channel.name);
        this.metrics?.dialsTotal.inc({ channel: channel.name, result: "success" });
        this.metrics?.dialSeconds.observe({ channel: channel.name }, (this.clock.nowMs() - startMs) / 1000);
        return { socket, channel: channel.name };
      } catch (err) {
        // The caller gave up: not the channel's fault, and no point trying the next one.
        if (signal?.aborted === true) throw err;
        this.health.recordFailure(channel.name, this.clock.nowMs());
        this.metrics?.dialsTotal.inc({ channel: channel.name, result: "failure" });
        attempts.push({ channel: channel.name, code: channelErrorCode(err), message: err instanceof Error ? err.message : String(err) });
        this.log("dial through channel %s failed, trying the next - %e", channel.name, err);
        lastError = err;
      }
    }
    throw channelError("P2P_CHANNEL_ALL_FAILED", `every channel failed to reach ${target.host}:${target.port}: ${attempts.map((a) => `${a.channel} (${a.code})`).join(", ")}`, { attempts }, lastError);
  }

  /** Channels in the order the next dial tries them. */
  dialOrder(): ResolvedChannel[] {
    const byName = new Map(this.options.channels.map((channel) => [channel.name, channel]));
    return this.health.order(this.clock.nowMs()).map((name) => byName.get(name)).filter((channel) => channel !== undefined);
  }

  healthStates(): ChannelHealthState[] {
    return this.health.states();
  }

  createListener(options: CreateListenerOptions): Listener {
    return this.listenTransport.createListener(options);
  }

  listenFilter = (multiaddrs: Multiaddr[]): Multiaddr[] => this.listenTransport.listenFilter(multiaddrs);

  dialFilter = (multiaddrs: Multiaddr[]): Multiaddr[] =>
    multiaddrs.filter((ma) => {
      const target = dialTargetFromMultiaddr(ma);
      return target !== undefined && this.options.channels.some((channel) => channelCanDial(channel, target));
    });
}

/** libp2p transport factory: `createLibp2p({ transports: [channels(opts, { register })] })`. */
export function channels(opts: Partial<ChannelsOptions>, modules: ChannelsModules): (components: ChannelsComponents) => ChannelsTransport {
  // Validate at configuration time, not at the first dial.
  resolveChannelsOptions(opts);
  return (components) => new ChannelsTransport(opts, modules, components);
}
