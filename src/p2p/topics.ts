import { hashTagged } from "../crypto/index.ts";
import { utf8 } from "../util/index.ts";

/** The four gossip topics of DESIGN §3; votes and timeouts share one topic. */
export const GossipTopic = { tx: "tx", proposal: "proposal", vote: "vote", evidence: "evidence" } as const;
export type GossipTopic = (typeof GossipTopic)[keyof typeof GossipTopic];
export const GOSSIP_TOPICS: readonly GossipTopic[] = [GossipTopic.tx, GossipTopic.proposal, GossipTopic.vote, GossipTopic.evidence];

/**
 * The version of each topic whose messages changed since version 1, as for request protocols
 * (reqrespFrames.ts): nodes of different versions then share no topic rather than misread each
 * other. proposal 2: a proposal's signature is its leader's vote (docs/decisions/0200, session 21).
 */
const GOSSIP_TOPIC_VERSIONS: { readonly [topic in GossipTopic]?: number } = { proposal: 2 };

/** `/ghostmesh/<chainId>/<topic>/<version>`: the chain id keeps two chains on one host apart. */
export function gossipTopicName(chainId: string, topic: GossipTopic): string {
  return `/ghostmesh/${chainId}/${topic}/${GOSSIP_TOPIC_VERSIONS[topic] ?? 1}`;
}

/** Truncated like Ethereum's 20-byte ids: IHAVE/IWANT carry many ids, 160 bits cannot collide by chance. */
export const GOSSIP_MESSAGE_ID_SIZE_BYTES = 20;
/**
 * How long gossipsub remembers a message id (its own default, set explicitly so that callers
 * can count on it). Ids are content hashes: a message published again within this window,
 * byte for byte, is not sent (PublishResult.duplicate; P2pConsensusNetwork sends a repeated
 * timeout link by link).
 */
export const GOSSIP_SEEN_TTL_MS = 120_000;

const MESSAGE_ID_TAG = "ghostmesh/v1/gossip/msg-id";

/**
 * Content-addressed id (StrictNoSign has no sender or sequence number): the same bytes on the
 * same topic are the same message whoever sends them, so re-broadcasts are deduplicated.
 * The topic is hashed in so that one payload on two topics is two messages.
 */
export function gossipMessageId(topicName: string, data: Uint8Array): Uint8Array {
  const name = utf8(topicName);
  // The name's length goes first so that (name, data) pairs cannot run into each other.
  const nameLength = new Uint8Array([name.byteLength >>> 8, name.byteLength & 0xff]);
  return hashTagged(MESSAGE_ID_TAG, nameLength, name, data).subarray(0, GOSSIP_MESSAGE_ID_SIZE_BYTES);
}
