/**
 * Gossipsub reaches a peer over one outbound stream, opened once when the connection comes up:
 * our subscriptions and everything we publish travel on it. If that single attempt fails (a
 * stream negotiation timing out on a loaded machine, a connection replaced during simultaneous
 * dials), it is not tried again while the connection lasts, and every consensus message to
 * that peer is lost in silence (publishing to no subscriber succeeds). Seen in the e2e
 * perturbation test under heavy CPU load: four validators connected, consensus running, and not
 * one block in 60 s.
 *
 * The failure shows on the other side of the link: a connected validator that gossip does not
 * know as a subscriber of the vote topic (every validator subscribes to it before consensus
 * starts). One that stays so for `silentMsMax` is hung up on, and the redialer connects again,
 * with fresh streams both ways. Only bootstrap peers are hung up on: the redialer dials those back.
 */
import { GossipTopic, type P2pHost } from "../../p2p/index.ts";
import { assert, errorMessage } from "../../util/index.ts";
import { monotonicClock, type Clock, type Logger } from "../types.ts";
import type { ValidatorPeers } from "./validatorPeers.ts";

export type GossipWatchdogOptions = {
  readonly checkIntervalMs: number;
  /** How long a connected validator may stay unknown to gossip before its connection is replaced. */
  readonly silentMsMax: number;
};

export const defaultGossipWatchdogOptions: GossipWatchdogOptions = {
  checkIntervalMs: 2_000,
  // Subscriptions cross a healthy link within a round trip of the connection coming up; 10 s
  // also covers a machine too loaded to run the exchange promptly.
  silentMsMax: 10_000,
};

export type GossipWatchdogModules = { readonly host: P2pHost; readonly peers: ValidatorPeers; readonly logger: Logger; readonly clock?: Clock };

export class GossipWatchdog {
  private readonly opts: GossipWatchdogOptions;
  private readonly modules: GossipWatchdogModules;
  private readonly clock: Clock;
  /** Connected validators gossip does not know as subscribers, by PeerId: since when (clock ms). */
  private readonly silentSince = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Connections replaced so far. */
  reconnects = 0;

  constructor(opts: GossipWatchdogOptions, modules: GossipWatchdogModules) {
    assert(opts.checkIntervalMs >= 1 && opts.silentMsMax >= opts.checkIntervalMs, "GossipWatchdog: a positive check interval, within the silence allowed");
    this.opts = opts;
    this.modules = modules;
    this.clock = modules.clock ?? monotonicClock;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.check(), this.opts.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.silentSince.clear();
  }

  check(): void {
    const { host, peers, logger } = this.modules;
    const nowMs = this.clock.nowMs();
    const subscribed = new Set(host.topicPeers(GossipTopic.vote).map((peerId) => peerId.toString()));
    const connected = new Set<string>();
    for (const peer of host.peers()) {
      if (peers.indexOf(peer.identity.address) === undefined) continue;
      const id = peer.peerId.toString();
      connected.add(id);
      if (subscribed.has(id)) {
        this.silentSince.delete(id);
        continue;
      }
      const since = this.silentSince.get(id);
      if (since === undefined) {
        this.silentSince.set(id, nowMs);
        continue;
      }
      if (nowMs - since < this.opts.silentMsMax || !host.isBootstrapPeer(peer.peerId)) continue;
      this.silentSince.delete(id);
      this.reconnects++;
      logger.warn({ peer: id, silentMs: nowMs - since }, "A connected validator is unknown to gossip; reconnecting to it");
      host.hangUp(peer.peerId).catch((err: unknown) => logger.debug({ peer: id, err: errorMessage(err) }, "Hanging up on a validator unknown to gossip failed"));
    }
    for (const id of this.silentSince.keys()) if (!connected.has(id)) this.silentSince.delete(id);
  }
}
