import type { Libp2p, PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import type { RemoteIdentity } from "./qstp/index.ts";
import type { GossipTopic } from "./topics.ts";

/** The pino subset the host logs through: (fields, constant message). node/types.ts Logger fits. */
export interface P2pLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export type P2pClock = { nowMs(): number };

/** A peer as the transport proved it: its PeerId and the ML-DSA identity bound to it. */
export type PeerContext = { readonly peerId: PeerId; readonly identity: RemoteIdentity };

export type ConnectedPeer = PeerContext & { readonly remoteAddress: Multiaddr; readonly direction: "inbound" | "outbound" };

/** What a validator decides for one gossip message (libp2p gossipsub semantics). */
export const GossipVerdict = { accept: "accept", ignore: "ignore", reject: "reject" } as const;
export type GossipVerdict = (typeof GossipVerdict)[keyof typeof GossipVerdict];

/**
 * Runs before the message is forwarded. "accept": deliver and forward; "ignore": drop without
 * penalty (stale, duplicate, not yet decidable); "reject": provably invalid, drop and penalise
 * the peer that delivered it (`from` is that peer: with StrictNoSign there is no origin).
 * Must not throw; a throw counts as "ignore".
 */
export type GossipValidator = (data: Uint8Array, from: PeerContext) => Promise<GossipVerdict>;
/** Receives accepted messages only; errors it throws are logged, not propagated. */
export type GossipHandler = (data: Uint8Array, from: PeerContext) => void;

export type PublishResult = {
  readonly recipients: number;
  /**
   * Gossip had these bytes in its seen window (GOSSIP_SEEN_TTL_MS: message ids are content
   * hashes) and sent nothing: a message published again unchanged does not leave by gossip.
   */
  readonly duplicate: boolean;
};

/** Request handler: the response bytes, or a throw (see reqresp.ts for how errors map to statuses). */
export type RequestHandler = (request: Uint8Array, from: PeerContext, signal: AbortSignal) => Promise<Uint8Array>;

export type RequestHandlerOptions = {
  readonly requestSizeBytesMax?: number;
  readonly responseSizeBytesMax?: number;
  /** Reading the request plus running the handler. */
  readonly timeoutMs?: number;
  /** Requests from one peer on this protocol served at once; more get "resource unavailable". */
  readonly concurrentPerPeerMax?: number;
};

/** Runs for each message a peer sends on the protocol; what it throws is logged and counted, not answered. */
export type MessageHandler = (message: Uint8Array, from: PeerContext) => Promise<void>;

export type MessageHandlerOptions = {
  /** A larger message is penalised (oversizedMessage) and its stream reset. */
  readonly messageSizeBytesMax?: number;
  /** Handlers running at once for one peer's stream; at the cap, reading waits. */
  readonly concurrentPerPeerMax?: number;
};

export type MessageOptions = {
  /** Refused before queueing when larger (the receiver's limit for the protocol). */
  readonly messageSizeBytesMax?: number;
};

export type RequestOptions = {
  readonly timeoutMs?: number;
  readonly responseSizeBytesMax?: number;
  readonly signal?: AbortSignal;
  /**
   * Whether a timeout lowers the peer's reputation (default true). False for a request sent
   * to every peer again and again (a head probe): under load its short timeout would fire on
   * honest peers each time, and the penalties would add up to bans of the whole committee.
   */
  readonly penalizeTimeout?: boolean;
};

/** Reputation of one ML-DSA identity, as kept in p2p_peers. */
export type PeerRecord = {
  /** "gm..." address of the identity. */
  readonly address: string;
  readonly peerId: string;
  readonly score: number;
  readonly scoreUpdatedMs: number;
  /** 0 when not banned. */
  readonly bannedUntilMs: number;
  readonly banReason: string | null;
  readonly gossipRejects: number;
  readonly malformedFrames: number;
  readonly oversizedMessages: number;
  readonly timeouts: number;
};

export interface P2pHost {
  readonly chainId: string;
  readonly peerId: PeerId;
  /** The underlying libp2p node, for diagnostics and for the node's wiring; prefer the methods here. */
  readonly libp2p: Libp2p;
  start(): Promise<void>;
  /** Stops redials, flushes reputation to the database and closes every connection. */
  stop(): Promise<void>;
  multiaddrs(): Multiaddr[];
  peers(): ConnectedPeer[];
  /** @throws GhostmeshError P2P_PEER_BANNED, P2P_DIAL_FAILED */
  dial(address: Multiaddr | string): Promise<ConnectedPeer>;
  hangUp(peerId: PeerId): Promise<void>;
  /** Whether `peerId` is a bootstrap peer: one this host dials again after every disconnect. */
  isBootstrapPeer(peerId: PeerId): boolean;
  /** Permissioned mode: admit this ML-DSA identity from now on (no-op in open mode). */
  allowIdentity(address: Uint8Array): void;
  /** @throws GhostmeshError P2P_GOSSIP_MESSAGE_TOO_LARGE, P2P_HOST_NOT_STARTED */
  publish(topic: GossipTopic, data: Uint8Array): Promise<PublishResult>;
  /** Queues a signed transaction for the next tx batch (TxBatcher: up to delayMs / sizeBytesMax / txsMax). */
  queueTx(tx: Uint8Array): void;
  /** @throws GhostmeshError P2P_ALREADY_SUBSCRIBED */
  subscribe(topic: GossipTopic, validator: GossipValidator, handler: GossipHandler): void;
  unsubscribe(topic: GossipTopic): void;
  /** Peers known to be subscribed to a topic (they will receive what we publish). */
  topicPeers(topic: GossipTopic): PeerId[];
  /** PeerIds in our gossipsub mesh for a topic: the peers we forward its messages to. */
  meshPeers(topic: GossipTopic): string[];
  /** Serves `/ghostmesh/<chainId>/req/<name>/<version>` (reqrespFrames.ts). @throws GhostmeshError P2P_PROTOCOL_ALREADY_HANDLED */
  handle(name: string, handler: RequestHandler, options?: RequestHandlerOptions): Promise<void>;
  /** One request, one response. @throws GhostmeshError P2P_REQUEST_* / P2P_RESPONSE_* / P2P_REMOTE_* */
  request(peer: PeerId, name: string, data: Uint8Array, options?: RequestOptions): Promise<Uint8Array>;
  /** Serves one-way messages on `/ghostmesh/<chainId>/msg/<name>/1` (messageStreams.ts). @throws GhostmeshError P2P_PROTOCOL_ALREADY_HANDLED */
  handleMessages(name: string, handler: MessageHandler, options?: MessageHandlerOptions): Promise<void>;
  /**
   * One message on the long-lived stream to the peer; resolves once written.
   * @throws GhostmeshError P2P_MESSAGE_TOO_LARGE, P2P_MESSAGE_QUEUE_FULL, P2P_PROTOCOL_UNSUPPORTED, P2P_MESSAGE_SEND_FAILED
   */
  sendMessage(peer: PeerId, name: string, data: Uint8Array, options?: MessageOptions): Promise<void>;
  /** Lowers the reputation of the identity behind `peerId` (e.g. a sync response that fails verification). */
  penalize(peerId: PeerId, action: PeerAction, reason: string): void;
  peerRecord(address: string): PeerRecord | undefined;
  isBanned(peerId: PeerId): boolean;
}

export const PeerAction = {
  gossipReject: "gossipReject",
  malformedFrame: "malformedFrame",
  oversizedMessage: "oversizedMessage",
  timeout: "timeout",
} as const;
export type PeerAction = (typeof PeerAction)[keyof typeof PeerAction];
