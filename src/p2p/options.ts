import { TX_WIRE_BYTES_MAX } from "../ledger/index.ts";
import type { QstpOptions } from "./qstp/index.ts";
import { ChannelKind, defaultChannelsOptions, resolveChannelsOptions, type ChannelsOptions } from "./channels/index.ts";
import { p2pError } from "./errors.ts";
import type { GossipTopic } from "./topics.ts";

/** How much one kind of misbehaviour lowers a peer's reputation (subtracted from its score). */
export type PeerPenalties = {
  /** A gossip validator answered "reject": the peer forwarded something provably invalid. */
  readonly gossipReject: number;
  /** A frame that does not parse (bad status byte, bad CBOR where we decode it). */
  readonly malformedFrame: number;
  /** A message or frame above the limit for its topic or protocol. */
  readonly oversizedMessage: number;
  /** A request the peer did not answer in time. */
  readonly timeout: number;
};

export type ReputationOptions = {
  /** Below this score the identity is banned; scores start at 0, penalties subtract, decay restores. */
  readonly banScoreThreshold: number;
  readonly banDurationMs: number;
  /** Penalties fade: the score halves toward 0 every this many ms. */
  readonly scoreHalfLifeMs: number;
  readonly penalties: PeerPenalties;
  /**
   * Timeouts alone never ban: they lower a score at most to this (above banScoreThreshold). A
   * slow peer, or one on a loaded machine, is not an attacker; only other offences take a score
   * below it, and with it towards a ban.
   */
  readonly timeoutScoreFloor: number;
  /** Scores are written to p2p_peers at most this often (bans are written at once). */
  readonly flushIntervalMs: number;
};

export type TxBatcherOptions = {
  /** A batch is published at most this long after its first transaction arrived. */
  readonly delayMs: number;
  /** ... or as soon as its encoding would pass this size. */
  readonly sizeBytesMax: number;
  readonly txsMax: number;
};

export type P2pHostOptions = {
  readonly chainId: string;
  readonly listenAddresses: readonly string[];
  /** Peers dialled at start and re-dialled with backoff whenever the connection drops. */
  readonly bootstrapAddresses: readonly string[];
  /** Permissioned mode: only these ML-DSA addresses ("gm...") may connect. null: anyone. */
  readonly allowlist: readonly string[] | null;
  readonly connectionsMax: number;
  readonly incomingPendingConnectionsMax: number;
  /** Inbound connection attempts per second accepted from one host. */
  readonly inboundConnectionsPerSecondMax: number;
  readonly redialDelayMsMin: number;
  readonly redialDelayMsMax: number;
  /** Largest gossip message per topic; bigger ones are refused on publish and rejected on receipt. */
  readonly gossipSizeBytesMax: Readonly<Record<GossipTopic, number>>;
  /** Messages waiting for their validator per topic; past it new ones are ignored (dropped). */
  readonly gossipValidationsPendingMax: number;
  readonly txBatcher: TxBatcherOptions;
  readonly reputation: ReputationOptions;
  readonly qstp: Partial<QstpOptions>;
  /** The ways out for dialing (direct TCP, SOCKS5 proxies), in order of preference (decision 0502). */
  readonly channels: ChannelsOptions;
};

/** Framing of the CBOR array around a batch's transactions: head bytes plus one byte-string head per tx. */
const TX_BATCH_OVERHEAD_BYTES_MAX = 64 * 1024;

export const defaultReputationOptions: ReputationOptions = {
  // The ban takes a score strictly below -100: with the penalties below, the fifth reject (or
  // the third malformed or oversized frame) in quick succession bans. Malformed frames weigh
  // double because honest software never sends one; timeouts happen to honest peers too.
  banScoreThreshold: -100,
  // An hour keeps a faulty validator away long enough for an operator to notice, short enough
  // that a fixed one rejoins without manual unbanning.
  banDurationMs: 60 * 60 * 1000,
  // Ten minutes: occasional timeouts of an honest but slow peer fade before they add up.
  scoreHalfLifeMs: 10 * 60 * 1000,
  penalties: { gossipReject: 25, malformedFrame: 50, oversizedMessage: 50, timeout: 5 },
  // Half the ban threshold: a validator that timed out a lot needs three more rejects to be banned, as after a ban.
  timeoutScoreFloor: -50,
  flushIntervalMs: 10_000,
};

export const defaultP2pHostOptions: Omit<P2pHostOptions, "chainId"> = {
  // Loopback by default: exposing a validator is an explicit operator decision.
  listenAddresses: ["/ip4/127.0.0.1/tcp/0"],
  bootstrapAddresses: [],
  allowlist: null,
  // A validator set is at most a few hundred; 128 leaves room for full nodes and sentries.
  connectionsMax: 128,
  incomingPendingConnectionsMax: 16,
  // Each inbound handshake costs an ML-DSA sign before we know the peer (decision 0500).
  inboundConnectionsPerSecondMax: 5,
  redialDelayMsMin: 1_000,
  // A minute between attempts: a restarted validator is found within a minute of coming back.
  redialDelayMsMax: 60_000,
  gossipSizeBytesMax: {
    // One audit.batch transaction can be 8 MiB on its own (ledger limits).
    tx: TX_WIRE_BYTES_MAX + TX_BATCH_OVERHEAD_BYTES_MAX,
    // A proposal carries a block and its parent's QC.
    proposal: 16 * 1024 * 1024,
    // A timeout carries the sender's highest QC: ~222 KB at n = 100 (decision 0103).
    vote: 1024 * 1024,
    evidence: 1024 * 1024,
  },
  gossipValidationsPendingMax: 4096,
  // 20 ms adds little to a transaction's latency next to a block interval and turns a
  // loopback limit of ~1,200 messages/s (DESIGN §6) into tens of thousands of txs/s.
  txBatcher: { delayMs: 20, sizeBytesMax: 512 * 1024, txsMax: 2048 },
  reputation: defaultReputationOptions,
  qstp: {},
  channels: defaultChannelsOptions,
};

export type P2pHostOptionsInput = Partial<Omit<P2pHostOptions, "reputation" | "txBatcher" | "gossipSizeBytesMax" | "channels">> & {
  readonly channels?: Partial<ChannelsOptions>;
  readonly chainId: string;
  readonly reputation?: Partial<Omit<ReputationOptions, "penalties">> & { readonly penalties?: Partial<PeerPenalties> };
  readonly txBatcher?: Partial<TxBatcherOptions>;
  readonly gossipSizeBytesMax?: Partial<Record<GossipTopic, number>>;
};

/**
 * Defaults overlaid with `opts`, checked.
 * @throws GhostmeshError P2P_INVALID_OPTIONS naming the field.
 */
export function resolveP2pHostOptions(opts: P2pHostOptionsInput): P2pHostOptions {
  const reputationInput = opts.reputation ?? {};
  const resolved: P2pHostOptions = {
    ...defaultP2pHostOptions,
    ...opts,
    gossipSizeBytesMax: { ...defaultP2pHostOptions.gossipSizeBytesMax, ...opts.gossipSizeBytesMax },
    txBatcher: { ...defaultP2pHostOptions.txBatcher, ...opts.txBatcher },
    channels: { ...defaultChannelsOptions, ...opts.channels },
    reputation: {
      ...defaultReputationOptions,
      ...reputationInput,
      penalties: { ...defaultReputationOptions.penalties, ...reputationInput.penalties },
    },
  };
  checkIntegers(resolved);
  // Channel names, proxies and timeouts are checked now, not at the first dial (P2P_CHANNEL_INVALID_OPTIONS).
  resolveChannelsOptions(resolved.channels);
  if (resolved.redialDelayMsMin > resolved.redialDelayMsMax) {
    throw p2pError("P2P_INVALID_OPTIONS", "redialDelayMsMin must not exceed redialDelayMsMax", {
      field: "redialDelayMsMin",
      redialDelayMsMin: resolved.redialDelayMsMin,
      redialDelayMsMax: resolved.redialDelayMsMax,
    });
  }
  if (resolved.txBatcher.sizeBytesMax > resolved.gossipSizeBytesMax.tx) {
    throw p2pError("P2P_INVALID_OPTIONS", "txBatcher.sizeBytesMax must fit the tx topic's gossipSizeBytesMax", {
      field: "txBatcher.sizeBytesMax",
      sizeBytesMax: resolved.txBatcher.sizeBytesMax,
      topicSizeBytesMax: resolved.gossipSizeBytesMax.tx,
    });
  }
  if (resolved.reputation.banScoreThreshold >= 0) {
    throw p2pError("P2P_INVALID_OPTIONS", "reputation.banScoreThreshold must be negative", { field: "reputation.banScoreThreshold" });
  }
  const { timeoutScoreFloor, banScoreThreshold } = resolved.reputation;
  if (!(timeoutScoreFloor <= 0 && timeoutScoreFloor >= banScoreThreshold)) {
    throw p2pError("P2P_INVALID_OPTIONS", `reputation.timeoutScoreFloor must be from reputation.banScoreThreshold (${banScoreThreshold}) to 0, got ${timeoutScoreFloor}`, {
      field: "reputation.timeoutScoreFloor",
    });
  }
  return resolved;
}

function checkIntegers(o: P2pHostOptions): void {
  const fields: [string, number, number, number][] = [
    ["connectionsMax", o.connectionsMax, 1, 100_000],
    ["incomingPendingConnectionsMax", o.incomingPendingConnectionsMax, 1, 100_000],
    ["inboundConnectionsPerSecondMax", o.inboundConnectionsPerSecondMax, 1, 100_000],
    ["redialDelayMsMin", o.redialDelayMsMin, 1, 24 * 3600_000],
    ["redialDelayMsMax", o.redialDelayMsMax, 1, 24 * 3600_000],
    ["gossipValidationsPendingMax", o.gossipValidationsPendingMax, 1, 1_000_000],
    ["txBatcher.delayMs", o.txBatcher.delayMs, 0, 60_000],
    ["txBatcher.sizeBytesMax", o.txBatcher.sizeBytesMax, 1, 64 * 1024 * 1024],
    ["txBatcher.txsMax", o.txBatcher.txsMax, 1, 1_000_000],
    ["reputation.banDurationMs", o.reputation.banDurationMs, 1, Number.MAX_SAFE_INTEGER],
    ["reputation.scoreHalfLifeMs", o.reputation.scoreHalfLifeMs, 1, Number.MAX_SAFE_INTEGER],
    ["reputation.flushIntervalMs", o.reputation.flushIntervalMs, 1, 24 * 3600_000],
    ...Object.entries(o.gossipSizeBytesMax).map(([topic, size]): [string, number, number, number] => [`gossipSizeBytesMax.${topic}`, size, 1, 64 * 1024 * 1024]),
    ...Object.entries(o.reputation.penalties).map(([action, penalty]): [string, number, number, number] => [`reputation.penalties.${action}`, penalty, 0, 1_000_000]),
  ];
  for (const [field, value, min, max] of fields) {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw p2pError("P2P_INVALID_OPTIONS", `p2p option ${field} must be an integer in ${min}..${max}, got ${String(value)}`, { field, value, min, max });
    }
  }
  if (o.listenAddresses.length === 0) throw p2pError("P2P_INVALID_OPTIONS", "listenAddresses must name at least one address", { field: "listenAddresses" });
}

/** libp2p's own per-address dial budget (connectionManager.addressDialTimeout default). */
export const LIBP2P_ADDRESS_DIAL_TIMEOUT_MS_DEFAULT = 6_000;
/** libp2p's whole-dial budget (connectionManager.dialTimeout default). */
export const LIBP2P_DIAL_TIMEOUT_MS_DEFAULT = 10_000;
/** Room after the byte stream opens: multistream-select, the qstp handshake (ML-KEM + ML-DSA), yamux. */
const UPGRADE_MS_MARGIN = 10_000;

/**
 * libp2p's dial budgets for these channels. With direct TCP only, libp2p's defaults stand. With
 * a SOCKS5 channel, libp2p would abort each address after 6 s, before a Tor circuit (20 s
 * connect timeout) or the fallback to the next channel could finish (decision 0502): the
 * budget becomes every channel's connect timeout in turn plus the upgrade.
 */
export function dialTimeoutsOf(channels: ChannelsOptions): { readonly addressDialTimeoutMs: number; readonly dialTimeoutMs: number } {
  const resolved = resolveChannelsOptions(channels);
  if (!resolved.channels.some((channel) => channel.kind === ChannelKind.socks5)) {
    return { addressDialTimeoutMs: LIBP2P_ADDRESS_DIAL_TIMEOUT_MS_DEFAULT, dialTimeoutMs: LIBP2P_DIAL_TIMEOUT_MS_DEFAULT };
  }
  const channelsMs = resolved.channels.reduce((sum, channel) => sum + channel.connectTimeoutMs, 0);
  const addressDialTimeoutMs = Math.max(LIBP2P_ADDRESS_DIAL_TIMEOUT_MS_DEFAULT, channelsMs + UPGRADE_MS_MARGIN);
  return { addressDialTimeoutMs, dialTimeoutMs: Math.max(LIBP2P_DIAL_TIMEOUT_MS_DEFAULT, addressDialTimeoutMs + UPGRADE_MS_MARGIN) };
}
