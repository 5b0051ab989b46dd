import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export const DialResult = { success: "success", failure: "failure" } as const;
export type DialResult = (typeof DialResult)[keyof typeof DialResult];
export const ByteDirection = { sent: "sent", received: "received" } as const;
export type ByteDirection = (typeof ByteDirection)[keyof typeof ByteDirection];

/** Per-channel dial and traffic statistics. Labels are channel names from the configuration. */
export function createChannelMetrics(register: Registry) {
  return {
    dialsTotal: new Counter({
      name: "ghostmesh_p2p_channel_dials_total",
      help: "Outbound connection attempts through each channel, by result (the byte stream opened or not; the handshake is counted by qstp)",
      labelNames: ["channel", "result"] as const,
      registers: [register],
    }),
    dialSeconds: new Histogram({
      name: "ghostmesh_p2p_channel_dial_seconds",
      help: "Time to open a byte stream through each channel (TCP connect, plus SOCKS5 negotiation for proxies), successful attempts",
      labelNames: ["channel"] as const,
      // Direct dials land in the first buckets, Tor circuits in the last.
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40],
      registers: [register],
    }),
    bytesTotal: new Counter({
      name: "ghostmesh_p2p_channel_bytes_total",
      help: "Bytes carried by connections opened through each channel (after the SOCKS5 negotiation)",
      labelNames: ["channel", "direction"] as const,
      registers: [register],
    }),
    activeConnections: new Gauge({
      name: "ghostmesh_p2p_channel_active_connections",
      help: "Open outbound connections per channel",
      labelNames: ["channel"] as const,
      registers: [register],
    }),
  };
}
export type ChannelMetrics = ReturnType<typeof createChannelMetrics>;
