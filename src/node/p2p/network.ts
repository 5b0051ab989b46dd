/**
 * The ConsensusNetwork of a validator over its libp2p host (decision 0503):
 * - send("all", consensus frame) → gossip on the message's topic (proposal, vote for votes
 *   and timeouts, evidence), validated by every node before it forwards it;
 *   block requests/responses sent to "all" go link by link instead (they are unicast only),
 *   and so does a timeout that gossip reports as a repeat (PublishResult.duplicate);
 * - send("all", tx frame) → the host's tx batcher, gossiped on the tx topic;
 * - send(index, frame) → the unicast link to that validator (unicast.ts): messages on a kept
 *   stream, requests to a validator of an earlier version (both are served here).
 * The handler's `from` is the slot (validatorPeers.ts) of the validator whose ML-DSA identity
 * qstp proved on the connection the frame arrived on; for transactions relayed by a configured
 * non-validator peer it is -1 (transactions carry their own signatures; no one uses `from`).
 */
import { defaultP2pHostOptions, GossipTopic, p2pError, PeerAction, type DandelionOptions, type P2pHostError, type GossipHandler, type P2pHost, type PeerContext } from "../../p2p/index.ts";
import type { Genesis } from "../../ledger/index.ts";
import { assert } from "../../util/index.ts";
import { NetworkTopic, type ConsensusNetwork, type FrameHandler, type NetworkEndpoint, type NetworkFrame } from "../consensus/index.ts";
import { monotonicClock, type Logger } from "../types.ts";
import { consensusGossipValidator, decodeTxBatchChecked, gossipTopicOfMessageType, txGossipValidator, type DecodedTxBatch, type TxBatchLimits } from "./gossipValidation.ts";
import { GossipWatchdog, defaultGossipWatchdogOptions, type GossipWatchdogOptions } from "./gossipWatchdog.ts";
import { StemRelay, type StemRelayEvent } from "./stemRelay.ts";
import { peekConsensusMessageType } from "./messageType.ts";
import { decodeUnicastFrames } from "./unicastFrames.ts";
import { emptyUnicastStats, UNICAST_MESSAGE_BYTES_MAX, UNICAST_MESSAGE_FRAMES_MAX, UNICAST_PROTOCOL, UnicastLinks } from "./unicast.ts";
import { ValidatorPeers } from "./validatorPeers.ts";

export type P2pConsensusNetworkOptions = {
  readonly genesis: Genesis;
  readonly txBatchLimits?: TxBatchLimits;
  /** Dandelion++ for this validator's own transactions (decision 0502); absent or disabled: immediate gossip. */
  readonly dandelion?: Partial<DandelionOptions>;
  readonly gossipWatchdog?: Partial<GossipWatchdogOptions>;
};
export type P2pConsensusNetworkModules = {
  readonly host: P2pHost;
  readonly logger: Logger;
  /** Sees every stem and fluff of this node (tests). */
  readonly stemObserver?: (event: StemRelayEvent) => void;
};

/** Transaction batches as the host's batcher builds them (decision 0501 defaults). */
const defaultTxBatchLimits: TxBatchLimits = { txsMax: defaultP2pHostOptions.txBatcher.txsMax, sizeBytesMax: defaultP2pHostOptions.gossipSizeBytesMax.tx };
const CONSENSUS_GOSSIP_TOPICS = [GossipTopic.proposal, GossipTopic.vote, GossipTopic.evidence] as const;

/** A unicast batch refused: the error its sender gets (as a request), and whether the bytes broke the format. */
type UnicastRefusal = { readonly error: P2pHostError; readonly malformed: boolean };

export type P2pConsensusNetworkStats = {
  /** Consensus messages gossip took; repeats it refused within its seen window are not counted (as on /metrics). */
  gossipPublished: number;
  gossipPublishFailed: number;
  gossipReconnects: number;
  unicastFramesSent: number;
  unicastFramesDropped: number;
  unicastSendsFailed: number;
  /** Unicast batches sent as requests, to validators of an earlier version. */
  unicastSentByRequest: number;
  /** Timeouts sent again unchanged (view timer re-fired), link by link since gossip drops repeats. */
  timeoutRepeatsSentByLinks: number;
};

export class P2pConsensusNetwork implements ConsensusNetwork {
  readonly peers: ValidatorPeers;
  private readonly host: P2pHost;
  private readonly logger: Logger;
  /** Links of the attached validator; replaced when it detaches, so a later attach (a validator restarted in process after a re-sync) gets open ones. */
  private unicast: UnicastLinks;
  private readonly txBatches = new WeakMap<Uint8Array, DecodedTxBatch>();
  /** Dandelion++ routing of own transactions; null when disabled (every transaction gossiped at once). */
  readonly stemRelay: StemRelay | null;
  private readonly chainId: string;
  private readonly txBatchLimits: TxBatchLimits;
  private handler: FrameHandler | null = null;
  /** Slots found directly connected: a consensus message delivered by it, or a connection at an ask of isKnownDown. */
  private readonly slotsSeenConnected = new Set<number>();
  private gossipPublished = 0;
  private gossipPublishFailed = 0;
  private timeoutRepeatsSentByLinks = 0;
  /** Over every set of links this network has had. */
  private readonly unicastStats = emptyUnicastStats();
  private readonly watchdog: GossipWatchdog;

  private constructor(opts: P2pConsensusNetworkOptions, modules: P2pConsensusNetworkModules) {
    this.host = modules.host;
    this.logger = modules.logger;
    this.peers = new ValidatorPeers(opts.genesis);
    this.txBatchLimits = opts.txBatchLimits ?? defaultTxBatchLimits;
    this.unicast = this.newUnicastLinks();
    this.chainId = opts.genesis.chainId;
    this.watchdog = new GossipWatchdog({ ...defaultGossipWatchdogOptions, ...opts.gossipWatchdog }, { host: this.host, peers: this.peers, logger: this.logger });
    const dandelionOn = opts.dandelion !== undefined && opts.dandelion.enabled !== false;
    this.stemRelay = dandelionOn
      ? new StemRelay(opts.dandelion ?? {}, { host: this.host, peers: this.peers, logger: this.logger.child({ module: "dandelion" }), ...(modules.stemObserver ? { observer: modules.stemObserver } : {}) })
      : null;
  }

  /** Subscribes to the four topics and serves the unicast protocol (messages and requests); frames wait for `attach`. */
  static async create(opts: P2pConsensusNetworkOptions, modules: P2pConsensusNetworkModules): Promise<P2pConsensusNetwork> {
    assert(modules.host.chainId === opts.genesis.chainId, "P2pConsensusNetwork: the host serves the genesis chain");
    const network = new P2pConsensusNetwork(opts, modules);
    const { host } = modules;
    for (const topic of CONSENSUS_GOSSIP_TOPICS) host.subscribe(topic, consensusGossipValidator(topic, network.peers), network.onConsensusGossip);
    host.subscribe(GossipTopic.tx, txGossipValidator(opts.genesis.chainId, network.txBatchLimits, network.txBatches), network.onTxGossip);
    await host.handleMessages(UNICAST_PROTOCOL, async (message, from) => network.onUnicastMessage(message, from), { messageSizeBytesMax: UNICAST_MESSAGE_BYTES_MAX });
    // Validators of an earlier version send their frames as requests.
    await host.handle(UNICAST_PROTOCOL, (request, from) => network.onUnicastRequest(request, from), {
      requestSizeBytesMax: UNICAST_MESSAGE_BYTES_MAX,
      responseSizeBytesMax: 16,
      // Sending one request at a time per link, an honest peer never has more than one open.
      concurrentPerPeerMax: 2,
    });
    await network.stemRelay?.start();
    network.watchdog.start();
    return network;
  }

  stats(): P2pConsensusNetworkStats {
    const unicast = this.unicastStats;
    return {
      gossipPublished: this.gossipPublished,
      gossipPublishFailed: this.gossipPublishFailed,
      gossipReconnects: this.watchdog.reconnects,
      unicastFramesSent: unicast.framesSent,
      unicastFramesDropped: unicast.framesDropped,
      unicastSendsFailed: unicast.sendsFailed,
      unicastSentByRequest: unicast.sentByRequest,
      timeoutRepeatsSentByLinks: this.timeoutRepeatsSentByLinks,
    };
  }

  slotOf(address: Uint8Array): number | undefined {
    return this.peers.register(address);
  }

  addressOf(slot: number): Uint8Array | undefined {
    return this.peers.addressOf(slot);
  }

  slots(): readonly number[] {
    return Array.from({ length: this.peers.count }, (_, slot) => slot);
  }

  /**
   * Known down: this node found the validator directly connected before (it delivered a
   * consensus message itself, or was connected at an earlier ask: the host asks for each view's
   * leader), and no open connection proves its identity now. A validator reached only through
   * sentries is never directly connected, so never known down.
   */
  isKnownDown(slot: number): boolean {
    if (slot >= this.peers.count) return false;
    if (this.peers.peerIdsOf(this.host, slot).length > 0) {
      this.slotsSeenConnected.add(slot);
      return false;
    }
    return this.slotsSeenConnected.has(slot);
  }

  attach(index: number, address: Uint8Array, handler: FrameHandler): NetworkEndpoint {
    assert(this.peers.indexOf(address) === index, `attach: slot ${index} is this validator's`);
    assert(this.handler === null, "attach: one validator per p2p network");
    this.handler = handler;
    let open = true;
    return {
      index,
      send: (to, frame) => {
        if (!open) return;
        if (to === "all") this.broadcast(index, frame);
        else {
          assert(to !== index && to >= 0 && to < this.peers.count, `send: ${index} to ${to} is a link of the network`);
          this.unicast.send(to, frame);
        }
      },
      close: () => {
        if (!open) return;
        open = false;
        this.handler = null;
        this.unicast.close();
        this.unicast = this.newUnicastLinks();
      },
    };
  }

  /** Stops serving: topics are left; the host is the caller's to stop. */
  close(): void {
    this.handler = null;
    this.watchdog.stop();
    this.stemRelay?.close();
    this.unicast.close();
    for (const topic of [...CONSENSUS_GOSSIP_TOPICS, GossipTopic.tx]) this.host.unsubscribe(topic);
  }

  private newUnicastLinks(): UnicastLinks {
    return new UnicastLinks({ host: this.host, peers: this.peers, logger: this.logger, clock: monotonicClock, stats: this.unicastStats });
  }

  private broadcast(self: number, frame: NetworkFrame): void {
    if (frame.topic === NetworkTopic.tx) {
      if (this.stemRelay === null) this.host.queueTx(frame.bytes);
      else this.stemRelay.submitLocal(frame.bytes);
      return;
    }
    const type = peekConsensusMessageType(frame.bytes);
    const topic = type === undefined ? undefined : gossipTopicOfMessageType(type);
    if (topic === undefined) {
      // Block requests/responses have no topic: every other validator gets its own copy.
      this.sendToEveryOther(this.unicast, self, frame);
      return;
    }
    // The links of now: if the validator detaches meanwhile, they are closed and send nothing.
    const links = this.unicast;
    this.host.publish(topic, frame.bytes).then(
      (result) => {
        // The engine re-sends its unchanged timeout each time its view timer re-fires (loss
        // recovery), and gossip does not send the same bytes twice within its seen window: a
        // timeout whose first copy went out before the others had joined the topic (twenty
        // validators starting on one machine) left no more, and with too few timeouts for a TC
        // every validator sat in view 1 until the window passed. Other repeats are messages
        // that gossip brought here, which the peers have.
        if (!result.duplicate) this.gossipPublished++;
        else if (type === "timeout") {
          this.timeoutRepeatsSentByLinks++;
          this.sendToEveryOther(links, self, frame);
        }
      },
      (err: unknown) => {
        this.gossipPublishFailed++;
        this.logger.warn({ topic, sizeBytes: frame.bytes.byteLength, err: (err as Error).message }, "Gossip publish failed; message lost");
      },
    );
  }

  private sendToEveryOther(links: UnicastLinks, self: number, frame: NetworkFrame): void {
    for (let other = 0; other < this.peers.count; other++) if (other !== self) links.send(other, frame);
  }

  private readonly onConsensusGossip: GossipHandler = (data, from) => {
    const fromIndex = this.peers.indexOf(from.identity.address);
    // The validator accepted it, so the delivering peer holds a slot.
    if (fromIndex === undefined) return;
    this.slotsSeenConnected.add(fromIndex);
    this.handler?.(fromIndex, { topic: NetworkTopic.consensus, bytes: data });
  };

  private readonly onTxGossip: GossipHandler = (data, from) => {
    const handler = this.handler;
    if (handler === null) return;
    const batch = this.txBatches.get(data) ?? decodeTxBatchChecked(this.chainId, this.txBatchLimits, data);
    const fromIndex = this.peers.indexOf(from.identity.address) ?? -1;
    // Seen diffused: the stem phase of these transactions is over here.
    if (this.stemRelay !== null) for (const hashHex of batch.hashHexes) this.stemRelay.onFluffSeen(hashHex);
    for (const tx of batch.txs) handler(fromIndex, { topic: NetworkTopic.tx, bytes: tx });
  };

  /** A batch of frames a validator sent as a message; a malformed one costs its sender reputation. */
  private onUnicastMessage(message: Uint8Array, from: PeerContext): void {
    const refusal = this.deliverUnicast(message, from);
    if (refusal === null) return;
    if (refusal.malformed) this.host.penalize(from.peerId, PeerAction.malformedFrame, refusal.error.message);
    throw refusal.error;
  }

  private onUnicastRequest(request: Uint8Array, from: PeerContext): Promise<Uint8Array> {
    const refusal = this.deliverUnicast(request, from);
    return refusal === null ? Promise.resolve(new Uint8Array(0)) : Promise.reject(refusal.error);
  }

  /** Hands the frames of one batch to the validator in order; null, or why the batch was refused (nothing handed on). */
  private deliverUnicast(bytes: Uint8Array, from: PeerContext): UnicastRefusal | null {
    const fromIndex = this.peers.indexOf(from.identity.address);
    if (fromIndex === undefined) return { error: p2pError("P2P_REQUEST_INVALID", "consensus unicast is for validators only", {}), malformed: false };
    const frames = decodeUnicastFrames(bytes, UNICAST_MESSAGE_FRAMES_MAX);
    if (!Array.isArray(frames)) return { error: p2pError("P2P_REQUEST_INVALID", `malformed consensus unicast: ${"problem" in frames ? frames.problem : ""}`, {}), malformed: true };
    const handler = this.handler;
    if (handler === null) return { error: p2pError("P2P_RESOURCE_UNAVAILABLE", "this validator is not running consensus", {}), malformed: false };
    this.slotsSeenConnected.add(fromIndex);
    for (const frame of frames) handler(fromIndex, frame);
    return null;
  }
}
