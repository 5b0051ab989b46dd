/**
 * The validators' unicast links (src/node/p2p/unicast.ts) between two p2p hosts on 127.0.0.1:
 * frames go as messages on one kept stream, in order; a validator that serves them only as
 * requests (an earlier version) still gets them; a malformed batch costs its sender reputation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { addressFromPublicKey } from "../../../src/crypto/index.ts";
import type { Genesis } from "../../../src/ledger/index.ts";
import { messageProtocolId } from "../../../src/p2p/index.ts";
import { encodeConsensusMessage } from "../../../src/consensus/index.ts";
import { NetworkTopic, type NetworkFrame } from "../../../src/node/consensus/index.ts";
import { Registry } from "prom-client";
import { registerP2pValidatorMetrics } from "../../../src/node/p2p/metrics.ts";
import { P2pConsensusNetwork } from "../../../src/node/p2p/network.ts";
import { UNICAST_PROTOCOL } from "../../../src/node/p2p/unicast.ts";
import { bytesEqual, toHex, utf8 } from "../../../src/util/index.ts";
import { counterValue, startTestHost, stopTestHosts, TEST_CHAIN_ID, waitFor, type TestHost } from "../../p2p/helpersHost.ts";
import { silentLogger } from "../../helpers/testChain.ts";

type Received = { readonly from: number; readonly frame: NetworkFrame };

type Pair = {
  readonly hosts: readonly [TestHost, TestHost];
  readonly networks: readonly [P2pConsensusNetwork, P2pConsensusNetwork];
  readonly received: Received[];
  /** Sends from validator 0 to validator 1. */
  readonly send: (frame: NetworkFrame) => void;
  /** Sends from validator 0 to "all". */
  readonly broadcast: (frame: NetworkFrame) => void;
  /** Dials validator 1 from validator 0 (done before `body` unless `connected: false`). */
  readonly connect: () => Promise<void>;
  /** Detaches validator 0 and attaches it again, as a re-sync does (its links are replaced). */
  readonly reattachSender: () => void;
};

function genesisOf(hosts: readonly TestHost[]): Genesis {
  const validators = hosts.map(({ keys }, i) => ({ name: `v${i}`, address: addressFromPublicKey(keys.signingKey.alg, keys.signingKey.publicKey), alg: keys.signingKey.alg, publicKey: keys.signingKey.publicKey, power: 1 }));
  return { chainId: TEST_CHAIN_ID, genesisTime: 1_700_000_000_000, validators };
}

/** Runs `body` on two validators' networks, connected, validator 1 recording what it receives; stops them after. */
async function withPair(body: (pair: Pair) => Promise<void>, opts: { readonly connected?: boolean } = {}): Promise<void> {
  const hosts: TestHost[] = [];
  const networks: P2pConsensusNetwork[] = [];
  try {
    hosts.push(await startTestHost(), await startTestHost());
    const genesis = genesisOf(hosts);
    for (const { host } of hosts) networks.push(await P2pConsensusNetwork.create({ genesis }, { host, logger: silentLogger }));
    const received: Received[] = [];
    const [v0, v1] = genesis.validators;
    let sender = networks[0]!.attach(0, v0!.address, () => {});
    const reattachSender = () => {
      sender.close();
      sender = networks[0]!.attach(0, v0!.address, () => {});
    };
    networks[1]!.attach(1, v1!.address, (from, frame) => void received.push({ from, frame }));
    const connect = async () => void (await hosts[0]!.host.dial(hosts[1]!.host.multiaddrs()[0]!));
    if (opts.connected !== false) await connect();
    await body({ hosts: [hosts[0]!, hosts[1]!], networks: [networks[0]!, networks[1]!], received, send: (frame) => sender.send(1, frame), broadcast: (frame) => sender.send("all", frame), connect, reattachSender });
  } finally {
    for (const network of networks) network.close();
    await stopTestHosts(hosts);
  }
}

function frames(count: number, label: string): NetworkFrame[] {
  return Array.from({ length: count }, (_, i) => ({ topic: i % 3 === 0 ? NetworkTopic.tx : NetworkTopic.consensus, bytes: utf8(`${label} ${i}`) }));
}

function assertReceivedInOrder(received: readonly Received[], sent: readonly NetworkFrame[]): void {
  assert.equal(received.length, sent.length);
  received.forEach((r, i) => {
    assert.equal(r.from, 0, `frame ${i} from validator 0`);
    assert.equal(r.frame.topic, sent[i]!.topic);
    assert.ok(bytesEqual(r.frame.bytes, sent[i]!.bytes), `frame ${i} in order`);
  });
}

function inboundStreams(receiver: TestHost, sender: TestHost, protocol: string): number {
  return receiver.host.libp2p.getConnections(sender.host.peerId).reduce((sum, c) => sum + c.streams.filter((s) => s.protocol === protocol && s.direction === "inbound").length, 0);
}

describe("validators' unicast links over p2p hosts on 127.0.0.1", () => {
  it("sends frames as messages on one kept stream, in order, batching what queues behind a write", () =>
    withPair(async ({ hosts: [sender, receiver], networks, received, send }) => {
      const sent = frames(300, "frame");
      for (const frame of sent) send(frame);
      await waitFor(() => received.length === sent.length, "every frame delivered");
      assertReceivedInOrder(received, sent);
      assert.equal(inboundStreams(receiver, sender, messageProtocolId(TEST_CHAIN_ID, UNICAST_PROTOCOL)), 1, "one stream carried them all");
      const messages = await counterValue(receiver.registry, "ghostmesh_p2p_messages_total", { protocol: UNICAST_PROTOCOL, direction: "inbound", outcome: "ok" });
      assert.ok(messages >= 1 && messages < sent.length, `frames queued behind a write travel together (${messages} messages for ${sent.length} frames)`);
      assert.equal(await counterValue(receiver.registry, "ghostmesh_p2p_requests_total", { protocol: UNICAST_PROTOCOL, direction: "inbound", outcome: "ok" }), 0, "no request");
      const stats = networks[0].stats();
      assert.equal(stats.unicastFramesSent, sent.length);
      assert.equal(stats.unicastFramesDropped, 0);
      assert.equal(stats.unicastSentByRequest, 0);
    }));

  it("keeps counting the frames sent across a re-sync, which replaces the links", () =>
    withPair(async ({ networks, received, send, reattachSender }) => {
      const before = frames(5, "before");
      for (const frame of before) send(frame);
      await waitFor(() => received.length === before.length, "the first frames delivered");
      reattachSender();
      const after = frames(3, "after");
      for (const frame of after) send(frame);
      await waitFor(() => received.length === before.length + after.length, "the frames after the re-attach delivered");
      assert.equal(networks[0].stats().unicastFramesSent, before.length + after.length, "the counter did not restart with the new links");
      const registry = new Registry();
      registerP2pValidatorMetrics(registry, { network: networks[0], resyncs: () => 1 });
      assert.equal(await counterValue(registry, "ghostmesh_p2p_unicast_frames_total", { outcome: "sent" }), before.length + after.length);
      assert.equal(await counterValue(registry, "ghostmesh_sync_resyncs_total"), 1);
    }));

  it("a validator connected as two peers (its key in a second process) gets every frame on both", async () => {
    const hosts: TestHost[] = [];
    const networks: P2pConsensusNetwork[] = [];
    try {
      hosts.push(await startTestHost(), await startTestHost());
      const genesis = genesisOf(hosts);
      hosts.push(await startTestHost({ keys: { ...hosts[1]!.keys, peerPrivateKey: await generateKeyPair("Ed25519") } }));
      for (const { host } of hosts) networks.push(await P2pConsensusNetwork.create({ genesis }, { host, logger: silentLogger }));
      const [v0, v1] = genesis.validators;
      const sender = networks[0]!.attach(0, v0!.address, () => {});
      const received: [Received[], Received[]] = [[], []];
      networks[1]!.attach(1, v1!.address, (from, frame) => void received[0].push({ from, frame }));
      networks[2]!.attach(1, v1!.address, (from, frame) => void received[1].push({ from, frame }));
      await hosts[1]!.host.dial(hosts[0]!.host.multiaddrs()[0]!);
      await hosts[2]!.host.dial(hosts[0]!.host.multiaddrs()[0]!);
      const sent = frames(40, "twice");
      for (const frame of sent) sender.send(1, frame);
      await waitFor(() => received[0].length === sent.length && received[1].length === sent.length, "every frame at both peers of validator 1");
      assertReceivedInOrder(received[0], sent);
      const sortedHex = (list: readonly NetworkFrame[]) => list.map((frame) => toHex(frame.bytes)).sort();
      assert.deepEqual(sortedHex(received[1].map((r) => r.frame)), sortedHex(sent), "the second peer got each frame (nothing waits for it, so in any order)");
      assert.equal(networks[0]!.stats().unicastFramesSent, sent.length, "counted once, as sent to the validator");
    } finally {
      for (const network of networks) network.close();
      await stopTestHosts(hosts);
    }
  });

  it("sends requests to a validator of an earlier version, which serves the frames only as requests, and keeps their order", () =>
    withPair(async ({ hosts: [, receiver], networks, received, send }) => {
      // An earlier version serves `req/consensus/2` and no message protocol.
      await receiver.host.libp2p.unhandle(messageProtocolId(TEST_CHAIN_ID, UNICAST_PROTOCOL));
      const sent = frames(50, "old");
      for (const frame of sent) send(frame);
      await waitFor(() => received.length === sent.length, "every frame delivered by request");
      assertReceivedInOrder(received, sent);
      const stats = networks[0].stats();
      assert.ok(stats.unicastSentByRequest >= 1, "sent by request");
      assert.equal(stats.unicastFramesDropped, 0, "nothing lost in the fallback");
      assert.ok((await counterValue(receiver.registry, "ghostmesh_p2p_requests_total", { protocol: UNICAST_PROTOCOL, direction: "inbound", outcome: "ok" })) >= 1);
    }));

  it("a timeout sent again unchanged goes link by link, since gossip drops a repeat: its first copy, published before the peer joined, was lost", () =>
    withPair(
      async ({ hosts, networks, received, broadcast, connect }) => {
        const timeoutOfView = (view: number): NetworkFrame => ({
          topic: NetworkTopic.consensus,
          bytes: encodeConsensusMessage({ type: "timeout", epoch: 0, view, highQc: null, tc: null, sender: 0, signature: new Uint8Array(64).fill(view) }),
        });
        broadcast(timeoutOfView(1));
        broadcast(timeoutOfView(2));
        await waitFor(() => networks[0].stats().gossipPublished === 2, "both published, to no one");
        await connect();
        broadcast(timeoutOfView(1));
        await waitFor(() => received.length === 1, "the repeat delivered");
        assertReceivedInOrder(received, [timeoutOfView(1)]);
        const stats = networks[0].stats();
        assert.equal(stats.timeoutRepeatsSentByLinks, 1, "only the repeat went by the links");
        assert.equal(stats.gossipPublished, 2);
        // Operators see it on /metrics, and gossip does not count the repeat as published.
        const registry = new Registry();
        registerP2pValidatorMetrics(registry, { network: networks[0], resyncs: () => 0 });
        assert.equal(await counterValue(registry, "ghostmesh_p2p_timeout_repeats_sent_by_links_total"), 1);
        assert.equal(await counterValue(registry, "ghostmesh_p2p_unicast_frames_total", { outcome: "sent" }), 1);
        assert.equal(await counterValue(hosts[0].registry, "ghostmesh_p2p_gossip_published_total", { topic: "vote" }), 2);
        assert.equal(await counterValue(hosts[0].registry, "ghostmesh_p2p_gossip_publish_duplicates_total", { topic: "vote" }), 1);
        // Any other repeat (a vote gossip brought here, sent on) goes nowhere and is not counted as published either.
        const vote: NetworkFrame = {
          topic: NetworkTopic.consensus,
          bytes: encodeConsensusMessage({ type: "vote", epoch: 0, view: 3, height: 2, blockHash: new Uint8Array(32).fill(7), sender: 0, signature: new Uint8Array(64).fill(3) }),
        };
        broadcast(vote);
        broadcast(vote);
        const voteDuplicates = () => counterValue(hosts[0].registry, "ghostmesh_p2p_gossip_publish_duplicates_total", { topic: "vote" });
        for (let polls = 0; (await voteDuplicates()) < 2; polls++) {
          assert.ok(polls < 500, "the vote's repeat refused within 10 s");
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal(networks[0].stats().gossipPublished, 3);
        assert.equal(networks[0].stats().timeoutRepeatsSentByLinks, 1);
      },
      { connected: false },
    ));

  it("a malformed batch is penalised and handed to no one; frames sent after it still arrive", () =>
    withPair(async ({ hosts: [sender, receiver], received, send }) => {
      // A frame header with an unknown topic code: a hostile or broken validator.
      await sender.host.sendMessage(receiver.host.peerId, UNICAST_PROTOCOL, new Uint8Array([9, 0, 0, 0, 1, 7]));
      await waitFor(() => receiver.host.peerRecord(sender.keys.address)?.malformedFrames === 1, "the malformed batch penalised");
      assert.equal(received.length, 0);
      const sent = frames(3, "after");
      for (const frame of sent) send(frame);
      await waitFor(() => received.length === sent.length, "frames after the malformed batch");
      assertReceivedInOrder(received, sent);
    }));
});
