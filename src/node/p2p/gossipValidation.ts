/**
 * Gossip validators of the validator network, run before gossipsub forwards a message
 * (decision 0501): "reject" penalises the peer that delivered it, so a verdict must be one
 * every honest node reaches on the same bytes. Consensus topics: only validators (genesis, or
 * of a set this node has seen) may deliver; the bytes must decode with the consensus wire decoder to a message of the topic's
 * type. Transactions: a well-formed batch of transactions that decode and pass stateless
 * validation. Signatures are checked later, on the threadpool, by the consensus host and the
 * mempool (what the message's content decides is theirs to decide).
 */
import { COMMITTEE_SIZE_MAX, decodeConsensusMessage, type ConsensusMessage } from "../../consensus/index.ts";
import { decodeSignedTx } from "../../ledger/index.ts";
import { GossipTopic, GossipVerdict, decodeTxBatch, type GossipValidator, type PeerContext } from "../../p2p/index.ts";
import { toHex } from "../../util/index.ts";
import type { ValidatorPeers } from "./validatorPeers.ts";

/** The gossip topic of each broadcast consensus message type; block requests/responses are unicast. */
export function gossipTopicOfMessageType(type: string): GossipTopic | undefined {
  switch (type) {
    case "proposal":
      return GossipTopic.proposal;
    case "vote":
    case "timeout":
      return GossipTopic.vote;
    case "evidence":
      return GossipTopic.evidence;
    default:
      return undefined;
  }
}

export type ConsensusGossipCheck = { readonly verdict: GossipVerdict; readonly fromIndex?: number; readonly message?: ConsensusMessage };

export function checkConsensusGossip(topic: GossipTopic, data: Uint8Array, from: PeerContext, peers: ValidatorPeers): ConsensusGossipCheck {
  const fromIndex = peers.indexOf(from.identity.address);
  if (fromIndex === undefined) return { verdict: GossipVerdict.reject };
  let message: ConsensusMessage;
  try {
    message = decodeConsensusMessage(data);
  } catch {
    return { verdict: GossipVerdict.reject };
  }
  // The sender is an index into the running epoch's set, which the consensus host checks.
  if (gossipTopicOfMessageType(message.type) !== topic || message.sender >= COMMITTEE_SIZE_MAX) return { verdict: GossipVerdict.reject };
  return { verdict: GossipVerdict.accept, fromIndex, message };
}

export function consensusGossipValidator(topic: GossipTopic, peers: ValidatorPeers): GossipValidator {
  return (data, from) => Promise.resolve(checkConsensusGossip(topic, data, from, peers).verdict);
}

export type TxBatchLimits = { readonly txsMax: number; readonly sizeBytesMax: number };

/** A validated tx batch: its transactions and their hashes (hex), in batch order. */
export type DecodedTxBatch = { readonly txs: readonly Uint8Array[]; readonly hashHexes: readonly string[] };

/** Splits a batch and decodes each transaction (stateless validation); throws when any is malformed. */
export function decodeTxBatchChecked(chainId: string, limits: TxBatchLimits, data: Uint8Array): DecodedTxBatch {
  const txs = decodeTxBatch(data, limits);
  return { txs, hashHexes: txs.map((tx) => toHex(decodeSignedTx(tx, chainId).txHash)) };
}

/**
 * Rejects a batch when any of its transactions is malformed. `decoded` remembers the result
 * for the handler that runs next on the same bytes (gossipsub hands both the same
 * Uint8Array), so a batch is split and decoded once.
 */
export function txGossipValidator(chainId: string, limits: TxBatchLimits, decoded: WeakMap<Uint8Array, DecodedTxBatch>): GossipValidator {
  return (data) => {
    let batch: DecodedTxBatch;
    try {
      batch = decodeTxBatchChecked(chainId, limits, data);
    } catch {
      return Promise.resolve(GossipVerdict.reject);
    }
    decoded.set(data, batch);
    return Promise.resolve(GossipVerdict.accept);
  };
}
