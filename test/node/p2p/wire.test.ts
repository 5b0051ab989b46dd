/**
 * The pure parts of the validator network: the type peek that picks a gossip topic, the
 * gossip verdicts (reject what no honest node forwards), and unicast batch framing.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { peerIdFromString } from "@libp2p/peer-id";
import { addressFromPublicKey, generateSigningKey } from "../../../src/crypto/index.ts";
import { COMMITTEE_SIZE_MAX, encodeConsensusMessage, type ConsensusMessage } from "../../../src/consensus/index.ts";
import type { Genesis } from "../../../src/ledger/index.ts";
import { NetworkTopic } from "../../../src/node/consensus/index.ts";
import { checkConsensusGossip, peekConsensusMessageType, ValidatorPeers } from "../../../src/node/p2p/index.ts";
import { decodeUnicastFrames, encodeUnicastFrames } from "../../../src/node/p2p/unicastFrames.ts";
import { GossipTopic, type PeerContext } from "../../../src/p2p/index.ts";

const keys = [generateSigningKey(), generateSigningKey()];
const genesis: Genesis = {
  chainId: "p2p-wire-test",
  genesisTime: 0,
  validators: keys.map((key, i) => ({ name: `v${i}`, address: addressFromPublicKey(key.alg, key.publicKey), alg: key.alg, publicKey: key.publicKey, power: 1 })),
};
const peers = new ValidatorPeers(genesis);
const PEER_ID = peerIdFromString("12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK");

function peerWith(key: (typeof keys)[number]): PeerContext {
  return { peerId: PEER_ID, identity: { peerId: PEER_ID, alg: key.alg, publicKey: key.publicKey, address: addressFromPublicKey(key.alg, key.publicKey) } };
}

const vote: ConsensusMessage = { type: "vote", epoch: 0, view: 3, height: 2, blockHash: new Uint8Array(32).fill(7), sender: 1, signature: new Uint8Array(8).fill(1) };
const timeout: ConsensusMessage = { type: "timeout", epoch: 0, view: 4, highQc: null, tc: { view: 3, signers: new Uint8Array([3]), highQcViews: [1, 2], signatures: [new Uint8Array(4), new Uint8Array(4)] }, sender: 0, signature: new Uint8Array(8) };
const request: ConsensusMessage = { type: "blockRequest", epoch: 0, blockHash: new Uint8Array(32), countMax: 4, heightMin: 0, sender: 0 };

describe("node/p2p wire", () => {
  it("peeks the type of an encoded consensus message, past a preceding tc, without decoding it", () => {
    assert.equal(peekConsensusMessageType(encodeConsensusMessage(vote)), "vote");
    assert.equal(peekConsensusMessageType(encodeConsensusMessage(timeout)), "timeout");
    assert.equal(peekConsensusMessageType(encodeConsensusMessage(request)), "blockRequest");
    assert.equal(peekConsensusMessageType(new Uint8Array([0xa1, 0x62])), undefined, "truncated");
    assert.equal(peekConsensusMessageType(new Uint8Array([0x01])), undefined, "not a map");
  });

  it("accepts a vote delivered by a genesis validator on the vote topic, attributing it to that validator", () => {
    const check = checkConsensusGossip(GossipTopic.vote, encodeConsensusMessage(vote), peerWith(keys[1]!), peers);
    assert.equal(check.verdict, "accept");
    assert.equal(check.fromIndex, 1);
  });

  it("rejects consensus gossip from a non-validator, on the wrong topic, with a sender no set can hold, or malformed", () => {
    const outsider = generateSigningKey();
    assert.equal(checkConsensusGossip(GossipTopic.vote, encodeConsensusMessage(vote), peerWith(outsider), peers).verdict, "reject");
    assert.equal(checkConsensusGossip(GossipTopic.proposal, encodeConsensusMessage(vote), peerWith(keys[0]!), peers).verdict, "reject");
    // Senders index the running epoch's set, which nodes switch at slightly different moments:
    // gossip only refuses what no set can hold; the consensus host checks the running one.
    assert.equal(checkConsensusGossip(GossipTopic.vote, encodeConsensusMessage({ ...vote, sender: 5 }), peerWith(keys[0]!), peers).verdict, "accept");
    assert.equal(checkConsensusGossip(GossipTopic.vote, encodeConsensusMessage({ ...vote, sender: COMMITTEE_SIZE_MAX }), peerWith(keys[0]!), peers).verdict, "reject");
    assert.equal(checkConsensusGossip(GossipTopic.vote, encodeConsensusMessage(request), peerWith(keys[0]!), peers).verdict, "reject", "block requests are unicast only");
    assert.equal(checkConsensusGossip(GossipTopic.vote, new Uint8Array([1, 2, 3]), peerWith(keys[0]!), peers).verdict, "reject");
  });

  it("round-trips a batch of unicast frames in order and refuses truncated or unknown ones", () => {
    const frames = [
      { topic: NetworkTopic.consensus, bytes: encodeConsensusMessage(vote) },
      { topic: NetworkTopic.tx, bytes: new Uint8Array([9, 9]) },
    ];
    const encoded = encodeUnicastFrames(frames);
    assert.deepEqual(decodeUnicastFrames(encoded, 10), frames);
    assert.ok("problem" in decodeUnicastFrames(encoded.subarray(0, encoded.byteLength - 1), 10));
    assert.ok("problem" in decodeUnicastFrames(encoded, 1), "more frames than allowed");
    const badTopic = encoded.slice();
    badTopic[0] = 7;
    assert.ok("problem" in decodeUnicastFrames(badTopic, 10));
    assert.ok("problem" in decodeUnicastFrames(new Uint8Array(0), 10));
  });
});
