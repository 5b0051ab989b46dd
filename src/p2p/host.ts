import type { DatabaseSync } from "node:sqlite";
import type { Libp2p, PeerId, PrivateKey } from "@libp2p/interface";
import { peerIdFromString } from "@libp2p/peer-id";
import { multiaddr, type Multiaddr } from "@multiformats/multiaddr";
import type { Registry } from "prom-client";
import { formatAddress, type SigningKey } from "../crypto/index.ts";
import { CHAIN_ID_BYTES_MAX, CHAIN_ID_PATTERN } from "../ledger/index.ts";
import { bytesEqual, errorMessage } from "../util/index.ts";
import { p2pError } from "./errors.ts";
import { admissionPolicy, banGater } from "./gating.ts";
import { GossipRouter } from "./gossip.ts";
import { createLibp2pNode, type GossipsubService } from "./libp2pNode.ts";
import { createP2pMetrics, type P2pMetrics } from "./metrics.ts";
import { resolveP2pHostOptions, type P2pHostOptions, type P2pHostOptionsInput } from "./options.ts";
import { PeerTable } from "./peerTable.ts";
import { AddressAllowlist, type QstpEncrypter } from "./qstp/index.ts";
import { Redialer, peerIdOf } from "./redialer.ts";
import { MessageStreams } from "./messageStreams.ts";
import { ReqResp } from "./reqresp.ts";
import { PeerReputation } from "./reputation.ts";
import type { GossipTopic } from "./topics.ts";
import { TxBatcher } from "./txBatcher.ts";
import type * as T from "./types.ts";

export type P2pHostModules = {
  /** The libp2p Ed25519 key (see loadOrCreateNodeKey); fixes the PeerId. */
  readonly peerPrivateKey: PrivateKey;
  /** The node's ML-DSA identity, proven to peers in every handshake. */
  readonly signingKey: SigningKey;
  readonly logger: T.P2pLogger;
  readonly registry?: Registry | null;
  /** Holds the p2p_peers table (created if missing). */
  readonly db: DatabaseSync;
  readonly clock?: T.P2pClock;
};

const systemClock: T.P2pClock = { nowMs: () => Date.now() };

/**
 * Builds (does not start) the libp2p host of a Ghostmesh node.
 * @throws GhostmeshError P2P_INVALID_OPTIONS
 */
export async function createP2pHost(input: P2pHostOptionsInput, modules: P2pHostModules): Promise<T.P2pHost> {
  const opts = resolveP2pHostOptions(input);
  if (!CHAIN_ID_PATTERN.test(opts.chainId) || opts.chainId.length > CHAIN_ID_BYTES_MAX) {
    throw p2pError("P2P_INVALID_OPTIONS", `chainId ${JSON.stringify(opts.chainId)} is not a valid chain id`, { field: "chainId" });
  }
  const host = new Libp2pHost(opts, modules);
  await host.init();
  return host;
}

class Libp2pHost implements T.P2pHost {
  readonly chainId: string;
  readonly #opts: P2pHostOptions;
  readonly #modules: P2pHostModules;
  readonly #clock: T.P2pClock;
  readonly #metrics: P2pMetrics | null;
  readonly #reputation: PeerReputation;
  #node: { libp2p: Libp2p; gossipsub: GossipsubService; encrypter: QstpEncrypter } | undefined;
  #gossip: GossipRouter | undefined;
  #reqresp: ReqResp | undefined;
  #messages: MessageStreams | undefined;
  #txBatcher: TxBatcher | undefined;
  #redialer: Redialer | undefined;
  #flushTimer: NodeJS.Timeout | undefined;
  #started = false;
  /** Null in open mode (no allowlist). */
  #allowlist: AddressAllowlist | null = null;

  constructor(opts: P2pHostOptions, modules: P2pHostModules) {
    this.chainId = opts.chainId;
    this.#opts = opts;
    this.#modules = modules;
    this.#clock = modules.clock ?? systemClock;
    this.#metrics = modules.registry ? createP2pMetrics(modules.registry) : null;
    this.#reputation = new PeerReputation(opts.reputation, {
      table: new PeerTable(modules.db),
      clock: this.#clock,
      logger: modules.logger,
      metrics: this.#metrics,
      onBan: (record) => void this.#disconnectBanned(record.peerId),
    });
  }

  /**
   * Admits an identity in permissioned mode from now on (a validator that joined a later
   * epoch's set, decision 0605); no-op in open mode. Never removes: a validator that left the
   * set still serves blocks and relays gossip.
   */
  allowIdentity(address: Uint8Array): void {
    if (this.#allowlist !== null && !this.#allowlist.has(address)) this.#allowlist.add(address);
  }

  async init(): Promise<void> {
    const allowlist = this.#opts.allowlist === null ? null : new AddressAllowlist(this.#opts.allowlist);
    this.#allowlist = allowlist;
    const node = await createLibp2pNode(this.#opts, {
      peerPrivateKey: this.#modules.peerPrivateKey,
      signingKey: this.#modules.signingKey,
      admission: admissionPolicy(this.#reputation, allowlist),
      gater: banGater(this.#reputation),
      reputationOfPeer: (peerId) => this.#reputation.scoreOfPeer(peerId),
      clock: this.#clock,
      registry: this.#modules.registry ?? null,
    });
    this.#node = node;
    const shared = { identityOf: (peerId: PeerId) => node.encrypter.remoteIdentity(peerId), penalize: this.#penalizePeer, logger: this.#modules.logger, metrics: this.#metrics };
    this.#gossip = new GossipRouter({ chainId: this.chainId, sizeBytesMax: this.#opts.gossipSizeBytesMax, validationsPendingMax: this.#opts.gossipValidationsPendingMax }, { gossipsub: node.gossipsub, ...shared });
    this.#reqresp = new ReqResp(this.chainId, { libp2p: node.libp2p, ...shared });
    this.#messages = new MessageStreams(this.chainId, { libp2p: node.libp2p, ...shared });
    this.#txBatcher = new TxBatcher(this.#opts.txBatcher, { publish: (batch) => this.publish("tx", batch), logger: this.#modules.logger, metrics: this.#metrics });
    this.#redialer = new Redialer(this.#opts.bootstrapAddresses.map((address) => multiaddr(address)), { delayMsMin: this.#opts.redialDelayMsMin, delayMsMax: this.#opts.redialDelayMsMax }, {
      dial: async (address) => (await this.dial(address)).peerId,
      isConnected: (peerId) => node.libp2p.getConnections(peerIdFromString(peerId)).length > 0,
      bannedUntilMs: (peerId) => this.#reputation.bannedUntilMsOfPeer(peerId),
      clock: this.#clock,
      logger: this.#modules.logger,
    });
    this.#listen(node);
  }

  get libp2p(): Libp2p {
    return this.#parts().node.libp2p;
  }

  get peerId(): PeerId {
    return this.#parts().node.libp2p.peerId;
  }

  async start(): Promise<void> {
    const { node, gossip, redialer } = this.#parts();
    if (this.#started) return;
    await node.libp2p.start();
    this.#started = true;
    gossip.onStarted();
    redialer.start();
    this.#flushTimer = setInterval(() => this.#flushReputation(), this.#opts.reputation.flushIntervalMs);
    this.#flushTimer.unref();
    this.#modules.logger.info({ peerId: this.peerId.toString(), addresses: this.multiaddrs().map(String) }, "p2p host started");
  }

  async stop(): Promise<void> {
    const { node, redialer, txBatcher } = this.#parts();
    if (!this.#started) return;
    redialer.stop();
    clearInterval(this.#flushTimer);
    await txBatcher.close();
    this.#started = false;
    await node.libp2p.stop();
    this.#flushReputation();
    this.#modules.logger.info({ peerId: this.peerId.toString() }, "p2p host stopped");
  }

  multiaddrs(): Multiaddr[] {
    return this.#parts().node.libp2p.getMultiaddrs();
  }

  peers(): T.ConnectedPeer[] {
    const { node } = this.#parts();
    const seen = new Map<string, T.ConnectedPeer>();
    for (const connection of node.libp2p.getConnections()) {
      const identity = node.encrypter.remoteIdentity(connection.remotePeer);
      const key = connection.remotePeer.toString();
      if (identity === undefined || seen.has(key) || connection.status !== "open") continue;
      seen.set(key, { peerId: connection.remotePeer, identity, remoteAddress: connection.remoteAddr, direction: connection.direction });
    }
    return [...seen.values()];
  }

  async dial(address: Multiaddr | string): Promise<T.ConnectedPeer> {
    const { node } = this.#parts();
    const target = typeof address === "string" ? multiaddr(address) : address;
    const namedPeer = peerIdOf(target);
    if (namedPeer !== undefined && this.#reputation.isBannedPeer(namedPeer)) {
      this.#metrics?.dialsTotal.inc({ outcome: "banned" });
      throw p2pError("P2P_PEER_BANNED", `peer ${namedPeer} is banned until ${new Date(this.#reputation.bannedUntilMsOfPeer(namedPeer)).toISOString()}`, { peerId: namedPeer });
    }
    try {
      const connection = await node.libp2p.dial(target);
      const identity = node.encrypter.remoteIdentity(connection.remotePeer);
      if (identity === undefined) throw new Error("the connection closed right after the handshake");
      this.#metrics?.dialsTotal.inc({ outcome: "ok" });
      return { peerId: connection.remotePeer, identity, remoteAddress: connection.remoteAddr, direction: connection.direction };
    } catch (err) {
      this.#metrics?.dialsTotal.inc({ outcome: "failed" });
      throw p2pError("P2P_DIAL_FAILED", `cannot connect to ${target.toString()}: ${errorMessage(err)}`, { address: target.toString() }, err);
    }
  }

  async hangUp(peerId: PeerId): Promise<void> {
    await this.#parts().node.libp2p.hangUp(peerId);
  }

  isBootstrapPeer(peerId: PeerId): boolean {
    return this.#redialer?.isTarget(peerId.toString()) ?? false;
  }

  async publish(topic: GossipTopic, data: Uint8Array): Promise<T.PublishResult> {
    if (!this.#started) throw p2pError("P2P_HOST_NOT_STARTED", "start the p2p host before publishing", { topic });
    return this.#parts().gossip.publish(topic, data);
  }

  queueTx(tx: Uint8Array): void {
    this.#parts().txBatcher.add(tx);
  }

  subscribe(topic: GossipTopic, validator: T.GossipValidator, handler: T.GossipHandler): void {
    this.#parts().gossip.subscribe(topic, validator, handler);
  }

  unsubscribe(topic: GossipTopic): void {
    this.#parts().gossip.unsubscribe(topic);
  }

  topicPeers(topic: GossipTopic): PeerId[] {
    return this.#parts().gossip.topicPeers(topic);
  }

  meshPeers(topic: GossipTopic): string[] {
    return this.#parts().gossip.meshPeers(topic);
  }

  handle(name: string, handler: T.RequestHandler, options?: T.RequestHandlerOptions): Promise<void> {
    return this.#parts().reqresp.handle(name, handler, options);
  }

  request(peer: PeerId, name: string, data: Uint8Array, options?: T.RequestOptions): Promise<Uint8Array> {
    return this.#parts().reqresp.request(peer, name, data, options);
  }

  handleMessages(name: string, handler: T.MessageHandler, options?: T.MessageHandlerOptions): Promise<void> {
    return this.#parts().messages.handle(name, handler, options);
  }

  sendMessage(peer: PeerId, name: string, data: Uint8Array, options?: T.MessageOptions): Promise<void> {
    return this.#parts().messages.send(peer, name, data, options);
  }

  penalize(peerId: PeerId, action: T.PeerAction, reason: string): void {
    const identity = this.#parts().node.encrypter.remoteIdentity(peerId);
    if (identity === undefined) return this.#modules.logger.debug({ peerId: peerId.toString(), action, reason }, "penalty for a peer no longer connected dropped");
    this.#penalizePeer({ peerId, identity }, action, reason);
  }

  peerRecord(address: string): T.PeerRecord | undefined {
    return this.#reputation.record(address);
  }

  isBanned(peerId: PeerId): boolean {
    return this.#reputation.isBannedPeer(peerId.toString());
  }

  readonly #penalizePeer = (peer: T.PeerContext, action: T.PeerAction, reason: string): void => {
    this.#reputation.penalize(peer.peerId.toString(), formatAddress(peer.identity.address), action, reason);
  };

  async #disconnectBanned(peerId: string): Promise<void> {
    try {
      await this.#parts().node.libp2p.hangUp(peerIdFromString(peerId));
    } catch (err) {
      this.#modules.logger.warn({ peerId, err: errorMessage(err) }, "closing a banned peer's connections failed");
    }
  }

  #flushReputation(): void {
    try {
      this.#reputation.flush();
    } catch (err) {
      this.#modules.logger.error({ err: errorMessage(err) }, "writing peer reputation to p2p_peers failed");
    }
  }

  #listen(node: { libp2p: Libp2p; encrypter: QstpEncrypter }): void {
    node.libp2p.addEventListener("peer:connect", (event) => {
      const identity = node.encrypter.remoteIdentity(event.detail);
      this.#metrics?.peers.set(node.libp2p.getPeers().length);
      this.#modules.logger.info({ peerId: event.detail.toString(), address: identity ? formatAddress(identity.address) : undefined }, "peer connected");
      if (identity !== undefined) this.#warnIfIdentityShared(event.detail, identity.address);
    });
    node.libp2p.addEventListener("peer:disconnect", (event) => {
      this.#metrics?.peers.set(node.libp2p.getPeers().length);
      this.#modules.logger.info({ peerId: event.detail.toString() }, "peer disconnected");
      if (this.#started) this.#redialer?.onDisconnect(event.detail.toString());
    });
    node.encrypter.addEventListener("handshake:failed", (event) => {
      this.#metrics?.handshakesFailedTotal.inc({ code: event.detail.error.code });
      this.#modules.logger.debug({ direction: event.detail.direction, code: event.detail.error.code, err: event.detail.error.message }, "handshake failed");
    });
  }

  /**
   * A second connected peer proving an identity another connected peer proved: a node that
   * restarted under a new PeerId (its old connection not closed yet), or one key running in two
   * processes (never meant to happen: its operator should hear of it).
   */
  #warnIfIdentityShared(peerId: PeerId, address: Uint8Array): void {
    const others = this.peers().filter((peer) => !peer.peerId.equals(peerId) && bytesEqual(peer.identity.address, address));
    if (others.length === 0) return;
    this.#metrics?.sharedIdentityConnectionsTotal.inc();
    this.#modules.logger.warn(
      { address: formatAddress(address), peerId: peerId.toString(), alsoConnectedAs: others.map((peer) => peer.peerId.toString()) },
      "Two connected peers prove one identity: a node restarted under a new peer ID (the old connection closes soon), or one key runs in two processes (never run two processes with one validator key)",
    );
  }

  #parts() {
    const node = this.#node;
    const gossip = this.#gossip;
    const reqresp = this.#reqresp;
    const messages = this.#messages;
    const txBatcher = this.#txBatcher;
    const redialer = this.#redialer;
    if (node === undefined || gossip === undefined || reqresp === undefined || messages === undefined || txBatcher === undefined || redialer === undefined) {
      throw p2pError("P2P_HOST_NOT_STARTED", "the p2p host is not initialised; build it with createP2pHost", {});
    }
    return { node, gossip, reqresp, messages, txBatcher, redialer };
  }
}
