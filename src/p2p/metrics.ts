import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Metrics of the p2p host; names `ghostmesh_p2p_<thing>_<unit>`. */
export function createP2pMetrics(register: Registry) {
  const registers = [register];
  return {
    peers: new Gauge({ name: "ghostmesh_p2p_peers", help: "Peers with an open connection", registers }),
    dialsTotal: new Counter({ name: "ghostmesh_p2p_dials_total", help: "Outbound dials, by outcome", labelNames: ["outcome"] as const, registers }),
    sharedIdentityConnectionsTotal: new Counter({
      name: "ghostmesh_p2p_shared_identity_connections_total",
      help: "Peers that connected proving an identity another connected peer proved (a node back under a new PeerId, or one key in two processes)",
      registers,
    }),
    handshakesFailedTotal: new Counter({
      name: "ghostmesh_p2p_handshakes_failed_total",
      help: "qstp handshakes that failed, by error code (P2P_PEER_NOT_ALLOWED includes banned identities)",
      labelNames: ["code"] as const,
      registers,
    }),
    gossipPublishedTotal: new Counter({
      name: "ghostmesh_p2p_gossip_published_total",
      help: "Gossip messages published (repeats gossipsub refused are counted apart)",
      labelNames: ["topic"] as const,
      registers,
    }),
    gossipPublishDuplicatesTotal: new Counter({
      name: "ghostmesh_p2p_gossip_publish_duplicates_total",
      help: "Publishes not sent: gossipsub had sent the same bytes within its seen window",
      labelNames: ["topic"] as const,
      registers,
    }),
    gossipPublishedBytesTotal: new Counter({
      name: "ghostmesh_p2p_gossip_published_bytes_total",
      help: "Payload bytes of gossip messages published",
      labelNames: ["topic"] as const,
      registers,
    }),
    gossipReceivedTotal: new Counter({
      name: "ghostmesh_p2p_gossip_received_total",
      help: "Gossip messages received, by validation verdict",
      labelNames: ["topic", "verdict"] as const,
      registers,
    }),
    gossipReceivedBytesTotal: new Counter({
      name: "ghostmesh_p2p_gossip_received_bytes_total",
      help: "Payload bytes of gossip messages received",
      labelNames: ["topic"] as const,
      registers,
    }),
    gossipValidationSeconds: new Histogram({
      name: "ghostmesh_p2p_gossip_validation_seconds",
      help: "Time a topic validator took",
      labelNames: ["topic"] as const,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    gossipValidationDroppedTotal: new Counter({
      name: "ghostmesh_p2p_gossip_validation_dropped_total",
      help: "Gossip messages ignored because too many were waiting for validation",
      labelNames: ["topic"] as const,
      registers,
    }),
    txBatchesTotal: new Counter({ name: "ghostmesh_p2p_tx_batches_total", help: "Transaction batches published", registers }),
    txBatchTxs: new Histogram({
      name: "ghostmesh_p2p_tx_batch_txs",
      help: "Transactions per published batch",
      buckets: [1, 4, 16, 64, 256, 1024, 4096],
      registers,
    }),
    requestsTotal: new Counter({
      name: "ghostmesh_p2p_requests_total",
      help: "Request/response exchanges, by protocol name, direction and outcome",
      labelNames: ["protocol", "direction", "outcome"] as const,
      registers,
    }),
    requestSeconds: new Histogram({
      name: "ghostmesh_p2p_request_seconds",
      help: "Duration of outbound requests",
      labelNames: ["protocol"] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    }),
    messagesTotal: new Counter({
      name: "ghostmesh_p2p_messages_total",
      help: "One-way messages on long-lived streams, by protocol name, direction and outcome",
      labelNames: ["protocol", "direction", "outcome"] as const,
      registers,
    }),
    penaltiesTotal: new Counter({ name: "ghostmesh_p2p_peer_penalties_total", help: "Reputation penalties, by action", labelNames: ["action"] as const, registers }),
    bansTotal: new Counter({ name: "ghostmesh_p2p_peer_bans_total", help: "Identities banned", registers }),
    bannedPeers: new Gauge({ name: "ghostmesh_p2p_banned_peers", help: "Identities currently banned", registers }),
  };
}
export type P2pMetrics = ReturnType<typeof createP2pMetrics>;
