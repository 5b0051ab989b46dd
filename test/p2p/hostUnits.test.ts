import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { decodeTxBatch, defaultReputationOptions, encodeTxBatch, gossipTopicName, GossipTopic, isP2pHostError, loadOrCreateNodeKey, NODE_KEY_FILE, resolveP2pHostOptions } from "../../src/p2p/index.ts";
import { PeerTable } from "../../src/p2p/peerTable.ts";
import { PeerReputation } from "../../src/p2p/reputation.ts";
import { encodeCanonical } from "../../src/codec/index.ts";
import { recordingLogger } from "./helpersHost.ts";

function reputationOn(db: DatabaseSync, clock: { nowMs(): number }, bans: string[] = []) {
  return new PeerReputation(defaultReputationOptions, { table: new PeerTable(db), clock, logger: recordingLogger(), metrics: null, onBan: (r) => void bans.push(r.address) });
}

describe("p2p host parts", () => {
  it("reputation: the fifth reject bans, the ban is persisted at once, reloads, and expires leaving room for one more offence", () => {
    const db = new DatabaseSync(":memory:");
    let nowMs = 1_000_000;
    const clock = { nowMs: () => nowMs };
    const bans: string[] = [];
    const reputation = reputationOn(db, clock, bans);
    for (let i = 0; i < 4; i++) reputation.penalize("peerA", "gmA", "gossipReject", "test");
    assert.equal(reputation.isBannedPeer("peerA"), false, "four rejects (-100) are not yet a ban");
    reputation.penalize("peerA", "gmA", "gossipReject", "test");
    assert.deepEqual(bans, ["gmA"]);
    const reloaded = reputationOn(db, clock);
    assert.ok(reloaded.isBannedPeer("peerA") && reloaded.isBannedAddress("gmA"), "the ban was written without a flush");
    nowMs += defaultReputationOptions.banDurationMs;
    assert.equal(reloaded.isBannedAddress("gmA"), false, "the ban ends after banDurationMs");
    const score = reloaded.record("gmA")?.score ?? Number.NaN;
    assert.ok(score >= defaultReputationOptions.banScoreThreshold / 2 && score < 0, `score after the ban ${score}`);
    reloaded.penalize("peerA", "gmA", "gossipReject", "test");
    assert.equal(reloaded.isBannedAddress("gmA"), false, "one offence after a ban is not an immediate re-ban");
    nowMs += 20 * defaultReputationOptions.scoreHalfLifeMs;
    reloaded.flush();
    assert.equal(reloaded.record("gmA"), undefined, "a score decayed to nothing is forgotten");
    assert.equal(reputationOn(db, clock).record("gmA"), undefined, "and removed from p2p_peers");
  });

  it("reputation: timeouts alone never ban (the score stops at timeoutScoreFloor); other offences still do", () => {
    const db = new DatabaseSync(":memory:");
    const bans: string[] = [];
    const reputation = reputationOn(db, { nowMs: () => 0 }, bans);
    for (let i = 0; i < 100; i++) reputation.penalize("peerT", "gmT", "timeout", "a slow peer");
    assert.deepEqual([reputation.record("gmT")?.score, reputation.record("gmT")?.timeouts, bans], [defaultReputationOptions.timeoutScoreFloor, 100, []]);
    reputation.penalize("peerT", "gmT", "gossipReject", "test");
    reputation.penalize("peerT", "gmT", "gossipReject", "test");
    assert.deepEqual(bans, [], "at -100 (timeouts, then two rejects) not yet banned");
    reputation.penalize("peerT", "gmT", "timeout", "test");
    assert.equal(reputation.record("gmT")?.score, -100, "a timeout does not lower a score already below the floor, nor raise it");
    reputation.penalize("peerT", "gmT", "gossipReject", "test");
    assert.deepEqual(bans, ["gmT"]);
    assert.throws(() => resolveP2pHostOptions({ chainId: "c", reputation: { timeoutScoreFloor: -101 } }), /timeoutScoreFloor must be from reputation.banScoreThreshold \(-100\) to 0/);
    assert.throws(() => resolveP2pHostOptions({ chainId: "c", reputation: { timeoutScoreFloor: 5 } }), (err: unknown) => isP2pHostError(err, "P2P_INVALID_OPTIONS"));
  });

  it("reputation: scores halve every half-life and are flushed to p2p_peers", () => {
    const db = new DatabaseSync(":memory:");
    let nowMs = 0;
    const reputation = reputationOn(db, { nowMs: () => nowMs });
    reputation.penalize("peerB", "gmB", "malformedFrame", "test");
    nowMs += defaultReputationOptions.scoreHalfLifeMs;
    assert.equal(reputation.record("gmB")?.score, -25);
    assert.equal(reputationOn(db, { nowMs: () => nowMs }).record("gmB"), undefined, "not written before a flush");
    reputation.flush();
    const row = reputationOn(db, { nowMs: () => nowMs }).record("gmB");
    assert.equal(row?.score, -25);
    assert.equal(row?.malformedFrames, 1);
  });

  it("tx batches round-trip, and a batch that is not an array of byte strings is refused", () => {
    const txs = [new Uint8Array([1, 2]), new Uint8Array([3])];
    assert.deepEqual(decodeTxBatch(encodeTxBatch(txs), { txsMax: 10, sizeBytesMax: 1000 }), txs);
    assert.throws(() => decodeTxBatch(encodeCanonical(["text"]), { txsMax: 10, sizeBytesMax: 1000 }), { code: "P2P_GOSSIP_BATCH_MALFORMED" });
    assert.throws(() => decodeTxBatch(encodeTxBatch(txs), { txsMax: 1, sizeBytesMax: 1000 }), { code: "P2P_GOSSIP_BATCH_MALFORMED" });
    assert.throws(() => decodeTxBatch(new Uint8Array([0xff, 0x00]), { txsMax: 10, sizeBytesMax: 1000 }), { code: "P2P_GOSSIP_BATCH_MALFORMED" });
  });

  it("the node key is created with mode 0600, keeps its PeerId across loads, and is refused when others can read it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ghostmesh-node-key-"));
    try {
      const path = join(dir, NODE_KEY_FILE);
      const created = await loadOrCreateNodeKey(path);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const loaded = await loadOrCreateNodeKey(path);
      assert.ok(peerIdFromPrivateKey(loaded).equals(peerIdFromPrivateKey(created)));
      chmodSync(path, 0o644);
      await assert.rejects(loadOrCreateNodeKey(path), { code: "P2P_NODE_KEY_INVALID" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gossip topics carry their version: proposals are at 2 since a proposal's signature is its leader's vote", () => {
    assert.equal(gossipTopicName("c", GossipTopic.proposal), "/ghostmesh/c/proposal/2");
    for (const topic of [GossipTopic.tx, GossipTopic.vote, GossipTopic.evidence]) assert.equal(gossipTopicName("c", topic), `/ghostmesh/c/${topic}/1`);
  });
});
