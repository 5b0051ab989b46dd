/**
 * Ghostmesh peer-to-peer layer (DESIGN §3 "Network"). The only import surface of src/p2p.
 * So far: the post-quantum connection encrypter `/ghostmesh/qstp/1`.
 */
export * from "./qstp/index.ts";
// The libp2p host: gossip topics, request/response, peer reputation (docs/decisions/0501-p2p-host.md).
export { createP2pHost } from "./host.ts";
export type { P2pHostModules } from "./host.ts";
export { defaultP2pHostOptions, defaultReputationOptions, resolveP2pHostOptions, dialTimeoutsOf } from "./options.ts";
export type { P2pHostOptions, P2pHostOptionsInput, ReputationOptions, PeerPenalties, TxBatcherOptions } from "./options.ts";
export { GossipTopic, GOSSIP_TOPICS, GOSSIP_SEEN_TTL_MS, gossipTopicName, gossipMessageId, GOSSIP_MESSAGE_ID_SIZE_BYTES } from "./topics.ts";
export { GossipVerdict, PeerAction } from "./types.ts";
export type { P2pHost, P2pLogger, P2pClock, PeerContext, ConnectedPeer, GossipValidator, GossipHandler, PublishResult, RequestHandler, RequestHandlerOptions, RequestOptions, MessageHandler, MessageHandlerOptions, MessageOptions, PeerRecord } from "./types.ts";
export { RequestProtocol, ResponseStatus, requestProtocolId, ERROR_MESSAGE_BYTES_MAX } from "./reqrespFrames.ts";
export { defaultRequestHandlerOptions } from "./reqresp.ts";
export { defaultMessageHandlerOptions, messageProtocolId, MESSAGES_QUEUED_PER_PEER_MAX } from "./messageStreams.ts";
export { TxBatcher, encodeTxBatch, decodeTxBatch } from "./txBatcher.ts";
export { loadOrCreateNodeKey, NODE_KEY_FILE, NODE_KEY_FILE_MODE } from "./nodeKey.ts";
export { PEER_RECORDS_MAX } from "./peerTable.ts";
export { p2pError, isP2pHostError } from "./errors.ts";
export type { P2pHostError, P2pHostErrorCode } from "./errors.ts";
export { createP2pMetrics } from "./metrics.ts";
export type { P2pMetrics } from "./metrics.ts";
export * from "./channels/index.ts";
export * from "./dandelion/index.ts";
