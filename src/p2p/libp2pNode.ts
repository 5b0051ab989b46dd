import { gossipsub, type GossipSub, type TopicValidatorResult } from "@libp2p/gossipsub";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify, type Identify } from "@libp2p/identify";
import type { ConnectionGater, Libp2p, PrivateKey } from "@libp2p/interface";
import { createLibp2p } from "libp2p";
import type { Registry } from "prom-client";
import { channels } from "./channels/index.ts";
import { assert, toHex } from "../util/index.ts";
import { dialTimeoutsOf, type P2pHostOptions } from "./options.ts";
import { qstp, type QstpAllowlist, type QstpEncrypter } from "./qstp/index.ts";
import { peerScoreParams, peerScoreThresholds } from "./scoring.ts";
import { GOSSIP_SEEN_TTL_MS, GOSSIP_TOPICS, gossipMessageId, gossipTopicName } from "./topics.ts";
import type { SigningKey } from "../crypto/index.ts";
import type { P2pClock } from "./types.ts";

/** Room in a gossipsub RPC frame for control messages and protobuf framing around the largest message. */
const GOSSIP_RPC_OVERHEAD_BYTES = 64 * 1024;
/**
 * libp2p's connection monitor pings every connection every 10 s and aborts one whose ping does
 * not come back in time: the only way a half-open link (a peer whose host vanished) is noticed
 * before the operating system's keepalive, hours later. Its default floor, 5 s, cut validator
 * links whenever their machine was loaded: twenty validators on two cores lost hundreds of links
 * a minute, each reconnection cost a qstp handshake on the same cores, and consensus stalled
 * behind the churn (docs/decisions/0501, "Links under load"). A live peer answers within 30 s
 * even when starved; one that does not is no use to consensus either.
 */
const PING_TIMEOUT_MS_MIN = 30_000;

export type Libp2pNodeParts = {
  readonly peerPrivateKey: PrivateKey;
  readonly signingKey: SigningKey;
  readonly admission: QstpAllowlist;
  readonly gater: ConnectionGater;
  readonly reputationOfPeer: (peerId: string) => number;
  readonly clock: P2pClock;
  /** Per-channel dial metrics go here (decision 0502); null runs without them. */
  readonly registry: Registry | null;
};

/**
 * The gossipsub methods the router uses beyond the package's public `GossipSub` interface;
 * the object `gossipsub()` builds (its GossipSub class) has them all, checked at creation.
 */
export type GossipsubService = Omit<GossipSub, "publish"> & {
  /** The class's publish takes per-call options; false here makes a repeat throw "PublishError.Duplicate". */
  publish(topic: string, data: Uint8Array, opts?: { readonly ignoreDuplicatePublishError?: boolean }): ReturnType<GossipSub["publish"]>;
  isStarted(): boolean;
  getMeshPeers(topic: string): string[];
  reportMessageValidationResult(msgId: string, propagationSource: string, acceptance: TopicValidatorResult): void;
};

function asGossipsubService(pubsub: GossipSub): GossipsubService {
  const methods = pubsub as Partial<Record<keyof GossipsubService, unknown>>;
  assert(
    typeof methods.isStarted === "function" && typeof methods.getMeshPeers === "function" && typeof methods.reportMessageValidationResult === "function",
    "@libp2p/gossipsub provides isStarted, getMeshPeers and reportMessageValidationResult",
  );
  return pubsub as GossipsubService;
}

export type Libp2pNode = { readonly libp2p: Libp2p<{ identify: Identify; pubsub: GossipSub }>; readonly gossipsub: GossipsubService; readonly encrypter: QstpEncrypter };

/** Channels (direct TCP, SOCKS5; listening on TCP) → qstp → yamux, identify, and gossipsub configured for the four Ghostmesh topics (not started). */
export async function createLibp2pNode(opts: P2pHostOptions, parts: Libp2pNodeParts): Promise<Libp2pNode> {
  const encrypterFactory = qstp(opts.qstp, { signingKey: parts.signingKey, allowlist: parts.admission, clock: parts.clock });
  let encrypter = undefined as QstpEncrypter | undefined;
  const topicNames = GOSSIP_TOPICS.map((topic) => gossipTopicName(opts.chainId, topic));
  const gossipSizeBytesMax = Math.max(...Object.values(opts.gossipSizeBytesMax));
  const { addressDialTimeoutMs, dialTimeoutMs } = dialTimeoutsOf(opts.channels);
  const libp2p = await createLibp2p<{ identify: Identify; pubsub: GossipSub }>({
    start: false,
    privateKey: parts.peerPrivateKey,
    addresses: { listen: [...opts.listenAddresses] },
    transports: [channels(opts.channels, { register: parts.registry })],
    connectionEncrypters: [(components) => (encrypter = encrypterFactory(components))],
    streamMuxers: [yamux()],
    connectionGater: parts.gater,
    connectionMonitor: { pingTimeout: { minTimeout: PING_TIMEOUT_MS_MIN, maxTimeout: 2 * PING_TIMEOUT_MS_MIN } },
    connectionManager: {
      maxConnections: opts.connectionsMax,
      maxIncomingPendingConnections: opts.incomingPendingConnectionsMax,
      inboundConnectionThreshold: opts.inboundConnectionsPerSecondMax,
      // Our Redialer owns reconnection to bootstrap peers, without a retry limit.
      reconnectRetries: 0,
      // Raised when a proxy channel is configured (options.ts dialTimeoutsOf).
      addressDialTimeout: addressDialTimeoutMs,
      dialTimeout: dialTimeoutMs,
    },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        // Messages are authenticated per connection by qstp (ML-DSA) and each payload carries its
        // own ML-DSA signatures; Ed25519 message signatures would add cost and no PQ security.
        globalSignaturePolicy: "StrictNoSign",
        msgIdFn: (msg) => gossipMessageId(msg.topic, msg.data),
        msgIdToStrFn: (id) => toHex(id),
        asyncValidation: true,
        emitSelf: false,
        floodPublish: true,
        fallbackToFloodsub: false,
        doPX: false,
        allowPublishToZeroTopicPeers: true,
        seenTTL: GOSSIP_SEEN_TTL_MS,
        allowedTopics: topicNames,
        maxInboundDataLength: gossipSizeBytesMax + GOSSIP_RPC_OVERHEAD_BYTES,
        scoreParams: peerScoreParams(opts.chainId, parts.reputationOfPeer),
        scoreThresholds: peerScoreThresholds,
      }),
    },
  });
  assert(encrypter !== undefined, "libp2p builds the qstp encrypter while it is created");
  return { libp2p, gossipsub: asGossipsubService(libp2p.services.pubsub), encrypter };
}
