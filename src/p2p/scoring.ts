import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from "@libp2p/gossipsub/score";
import { GOSSIP_TOPICS } from "./topics.ts";
import { gossipTopicName } from "./topics.ts";

/** Counters decay once per interval (gossipsub's unit of time for all decays below). */
const DECAY_INTERVAL_MS = 1_000;
/** Decay factor per interval so that a counter halves in `halfLifeMs`. */
function decayPerInterval(halfLifeMs: number): number {
  return 0.5 ** (DECAY_INTERVAL_MS / halfLifeMs);
}

/**
 * Topic parameters (gossipsub v1.1 P1–P4). Rewards are small and capped; the one heavy term is
 * P4, invalid deliveries: -10 × count², decaying with a 10-minute half-life, so 3 rejects put a
 * peer past the gossip threshold and 10 past the graylist. P3 (mesh delivery rate) is off:
 * consensus traffic is bursty (a vote per view, a proposal per block) and a validator set of
 * 4–100 cannot tell a quiet honest peer from a withholding one by rate; withholding is
 * consensus's problem (timeouts), not the mesh's.
 */
export function topicScoreParams(): TopicScoreParams {
  return {
    topicWeight: 1,
    // P1: up to +10 for an hour in the mesh, so long-standing peers survive a few penalties.
    timeInMeshWeight: 10 / 3600,
    timeInMeshQuantum: 1_000,
    timeInMeshCap: 3600,
    // P2: +0.1 per first delivery, capped at +10, halving every 10 minutes.
    firstMessageDeliveriesWeight: 0.1,
    firstMessageDeliveriesDecay: decayPerInterval(10 * 60_000),
    firstMessageDeliveriesCap: 100,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 100,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5_000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: -10,
    invalidMessageDeliveriesDecay: decayPerInterval(10 * 60_000),
  };
}

/**
 * Peer parameters. P5 (application score) is our own reputation of the peer's ML-DSA identity
 * (0 down to the ban threshold), so what request/response and the transport learn about a
 * peer also moves its gossip score. P6 (IP colocation) is off: validators of one organisation
 * may share an address or a NAT, and membership is gated by ML-DSA identity, not by IP.
 */
export function peerScoreParams(chainId: string, reputationOfPeer: (peerId: string) => number): Partial<PeerScoreParams> {
  const topics: Record<string, TopicScoreParams> = {};
  for (const topic of GOSSIP_TOPICS) topics[gossipTopicName(chainId, topic)] = topicScoreParams();
  return {
    topics,
    topicScoreCap: 50,
    appSpecificScore: reputationOfPeer,
    appSpecificWeight: 1,
    IPColocationFactorWeight: 0,
    IPColocationFactorThreshold: 1,
    // P7: broken promises (IHAVE without IWANT answer) and early re-grafts, square of the excess over 6.
    behaviourPenaltyWeight: -1,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: decayPerInterval(10 * 60_000),
    decayInterval: DECAY_INTERVAL_MS,
    decayToZero: 0.01,
    // A peer that disconnects keeps its score for an hour: reconnecting does not wash it.
    retainScore: 60 * 60_000,
  };
}

/**
 * Below gossipThreshold a peer gets no IHAVE gossip from us, below publishThreshold none of our
 * own messages, below graylistThreshold we drop everything it sends. Our reputation bans (and
 * disconnects) below -100 of P5, before the graylist is reached, so bans, not the graylist, are
 * how a misbehaving validator is removed.
 */
export const peerScoreThresholds: PeerScoreThresholds = {
  gossipThreshold: -100,
  publishThreshold: -200,
  graylistThreshold: -1000,
  // Peer exchange is off (doPX: false); kept high so that turning it on trusts nobody by accident.
  acceptPXThreshold: 1000,
  opportunisticGraftThreshold: 1,
};
