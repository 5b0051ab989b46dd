import { TopicValidatorResult, type GossipsubMessage } from "@libp2p/gossipsub";
import type { PeerId } from "@libp2p/interface";
import { errorMessage } from "../util/index.ts";
import type { GossipsubService } from "./libp2pNode.ts";
import { p2pError } from "./errors.ts";
import type { P2pMetrics } from "./metrics.ts";
import type { RemoteIdentity } from "./qstp/index.ts";
import { GOSSIP_TOPICS, gossipTopicName, type GossipTopic } from "./topics.ts";
import { PeerAction, type GossipHandler, type GossipValidator, type GossipVerdict, type P2pLogger, type PeerContext, type PublishResult } from "./types.ts";

/** What gossipsub throws when asked, per publish, not to ignore a duplicate. */
const GOSSIPSUB_DUPLICATE_PUBLISH_ERROR = "PublishError.Duplicate";

/** gossipsub's own enum for validation results. */
const validationResultOf: Readonly<Record<GossipVerdict, TopicValidatorResult>> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject,
};

export type GossipRouterOptions = {
  readonly chainId: string;
  readonly sizeBytesMax: Readonly<Record<GossipTopic, number>>;
  readonly validationsPendingMax: number;
};

export type GossipRouterModules = {
  readonly gossipsub: GossipsubService;
  readonly identityOf: (peerId: PeerId) => RemoteIdentity | undefined;
  readonly penalize: (peer: PeerContext, action: PeerAction, reason: string) => void;
  readonly logger: P2pLogger;
  readonly metrics: P2pMetrics | null;
};

type Subscription = { readonly topic: GossipTopic; readonly validator: GossipValidator; readonly handler: GossipHandler; pending: number };

/**
 * Topic subscriptions over gossipsub with application validation before forwarding
 * (asyncValidation: gossipsub holds each message until we report a verdict for it).
 */
export class GossipRouter {
  readonly #opts: GossipRouterOptions;
  readonly #modules: GossipRouterModules;
  readonly #topicByName = new Map<string, GossipTopic>();
  readonly #subscriptions = new Map<GossipTopic, Subscription>();
  readonly #onMessage = (event: CustomEvent<GossipsubMessage>): void => {
    void this.#receive(event.detail);
  };

  constructor(opts: GossipRouterOptions, modules: GossipRouterModules) {
    this.#opts = opts;
    this.#modules = modules;
    for (const topic of GOSSIP_TOPICS) this.#topicByName.set(gossipTopicName(opts.chainId, topic), topic);
    modules.gossipsub.addEventListener("gossipsub:message", this.#onMessage);
  }

  close(): void {
    this.#modules.gossipsub.removeEventListener("gossipsub:message", this.#onMessage);
    this.#subscriptions.clear();
  }

  /** gossipsub forgets its topics when it stops and refuses them before it starts: (re)joins ours. */
  onStarted(): void {
    for (const topic of this.#subscriptions.keys()) this.#modules.gossipsub.subscribe(gossipTopicName(this.#opts.chainId, topic));
  }

  subscribe(topic: GossipTopic, validator: GossipValidator, handler: GossipHandler): void {
    if (this.#subscriptions.has(topic)) throw p2pError("P2P_ALREADY_SUBSCRIBED", `already subscribed to gossip topic ${topic}; unsubscribe first`, { topic });
    this.#subscriptions.set(topic, { topic, validator, handler, pending: 0 });
    if (this.#modules.gossipsub.isStarted()) this.#modules.gossipsub.subscribe(gossipTopicName(this.#opts.chainId, topic));
  }

  unsubscribe(topic: GossipTopic): void {
    if (!this.#subscriptions.delete(topic)) return;
    if (this.#modules.gossipsub.isStarted()) this.#modules.gossipsub.unsubscribe(gossipTopicName(this.#opts.chainId, topic));
  }

  topicPeers(topic: GossipTopic): PeerId[] {
    return this.#modules.gossipsub.getSubscribers(gossipTopicName(this.#opts.chainId, topic));
  }

  meshPeers(topic: GossipTopic): string[] {
    return this.#modules.gossipsub.getMeshPeers(gossipTopicName(this.#opts.chainId, topic));
  }

  /** @throws GhostmeshError P2P_GOSSIP_MESSAGE_TOO_LARGE */
  async publish(topic: GossipTopic, data: Uint8Array): Promise<PublishResult> {
    const sizeBytesMax = this.#opts.sizeBytesMax[topic];
    if (data.byteLength > sizeBytesMax) {
      throw p2pError("P2P_GOSSIP_MESSAGE_TOO_LARGE", `a ${topic} gossip message is at most ${sizeBytesMax} bytes, got ${data.byteLength}`, {
        topic,
        sizeBytes: data.byteLength,
        sizeBytesMax,
      });
    }
    const result = await this.#publishOrDuplicate(gossipTopicName(this.#opts.chainId, topic), data);
    const metrics = this.#modules.metrics;
    if (result.duplicate) metrics?.gossipPublishDuplicatesTotal.inc({ topic });
    else {
      metrics?.gossipPublishedTotal.inc({ topic });
      metrics?.gossipPublishedBytesTotal.inc({ topic }, data.byteLength);
    }
    return result;
  }

  /** Gossipsub tells a repeat within its seen window only by this error; the caller decides what a repeat needs. */
  async #publishOrDuplicate(topicName: string, data: Uint8Array): Promise<PublishResult> {
    try {
      const result = await this.#modules.gossipsub.publish(topicName, data, { ignoreDuplicatePublishError: false });
      return { recipients: result.recipients.length, duplicate: false };
    } catch (err) {
      if (err instanceof Error && err.message === GOSSIPSUB_DUPLICATE_PUBLISH_ERROR) return { recipients: 0, duplicate: true };
      throw err;
    }
  }

  async #receive(message: GossipsubMessage): Promise<void> {
    const { msgId, propagationSource, msg } = message;
    const topic = this.#topicByName.get(msg.topic);
    const subscription = topic === undefined ? undefined : this.#subscriptions.get(topic);
    if (topic === undefined || subscription === undefined) return this.#report(msgId, propagationSource, "ignore");
    const identity = this.#modules.identityOf(propagationSource);
    // The connection is already gone: nobody to attribute the message to, so no verdict on it.
    if (identity === undefined) return this.#report(msgId, propagationSource, "ignore");
    const from: PeerContext = { peerId: propagationSource, identity };
    const sizeBytesMax = this.#opts.sizeBytesMax[topic];
    this.#modules.metrics?.gossipReceivedBytesTotal.inc({ topic }, msg.data.byteLength);
    if (msg.data.byteLength > sizeBytesMax) {
      this.#modules.penalize(from, PeerAction.oversizedMessage, `${topic} gossip of ${msg.data.byteLength} bytes > ${sizeBytesMax}`);
      return this.#finish(topic, msgId, from, "reject");
    }
    if (subscription.pending >= this.#opts.validationsPendingMax) {
      this.#modules.metrics?.gossipValidationDroppedTotal.inc({ topic });
      return this.#finish(topic, msgId, from, "ignore");
    }
    subscription.pending += 1;
    const stopTimer = this.#modules.metrics?.gossipValidationSeconds.startTimer({ topic });
    let verdict: GossipVerdict;
    try {
      verdict = await subscription.validator(msg.data, from);
    } catch (err) {
      this.#modules.logger.error({ topic, peerId: from.peerId.toString(), err: errorMessage(err) }, "gossip validator threw; message ignored");
      verdict = "ignore";
    } finally {
      subscription.pending -= 1;
      stopTimer?.();
    }
    if (verdict === "reject") this.#modules.penalize(from, PeerAction.gossipReject, `${topic} gossip rejected by its validator`);
    this.#finish(topic, msgId, from, verdict);
    // Only if still subscribed: an unsubscribe during validation stops delivery.
    if (verdict === "accept" && this.#subscriptions.get(topic) === subscription) this.#deliver(subscription, msg.data, from);
  }

  #finish(topic: GossipTopic, msgId: string, from: PeerContext, verdict: GossipVerdict): void {
    this.#modules.metrics?.gossipReceivedTotal.inc({ topic, verdict });
    this.#report(msgId, from.peerId, verdict);
  }

  #report(msgId: string, propagationSource: { toString(): string }, verdict: GossipVerdict): void {
    this.#modules.gossipsub.reportMessageValidationResult(msgId, propagationSource.toString(), validationResultOf[verdict]);
  }

  #deliver(subscription: Subscription, data: Uint8Array, from: PeerContext): void {
    try {
      subscription.handler(data, from);
    } catch (err) {
      this.#modules.logger.error({ topic: subscription.topic, peerId: from.peerId.toString(), err: errorMessage(err) }, "gossip handler threw");
    }
  }
}
