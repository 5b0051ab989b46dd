import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeTxBatch, GOSSIP_TOPICS, type GossipTopic, type GossipValidator, type PeerContext } from "../../src/p2p/index.ts";
import { bytesEqual, utf8 } from "../../src/util/index.ts";
import { counterValue, sleep, startTestHost, stopTestHosts, waitFor, type TestHost } from "./helpersHost.ts";

type Received = { topic: GossipTopic; data: Uint8Array; from: PeerContext };

function subscribeAll(h: TestHost, received: Received[], validator: GossipValidator = async () => "accept"): void {
  for (const topic of GOSSIP_TOPICS) h.host.subscribe(topic, validator, (data, from) => void received.push({ topic, data, from }));
}

describe("p2p host gossip over TCP on 127.0.0.1", () => {
  it("a message published on each of the four topics reaches both other hosts, attributed to the ML-DSA identity that delivered it", async () => {
    const hosts: TestHost[] = [];
    try {
      for (let i = 0; i < 3; i++) hosts.push(await startTestHost());
      const [a, b, c] = hosts as [TestHost, TestHost, TestHost];
      const received = hosts.map(() => [] as Received[]);
      hosts.forEach((h, i) => subscribeAll(h, received[i]!));
      await a.host.dial(b.host.multiaddrs()[0]!);
      await a.host.dial(c.host.multiaddrs()[0]!);
      await b.host.dial(c.host.multiaddrs()[0]!);
      for (const h of hosts) for (const topic of GOSSIP_TOPICS) await waitFor(() => h.host.topicPeers(topic).length === 2, `${topic} subscribers known`);
      const sent = GOSSIP_TOPICS.map((topic, i) => ({ topic, publisher: i % 3, data: utf8(`${topic} from host ${i % 3}`) }));
      for (const { topic, publisher, data } of sent) assert.equal((await hosts[publisher]!.host.publish(topic, data)).recipients, 2);
      for (const { topic, publisher, data } of sent) {
        for (let i = 0; i < 3; i++) {
          if (i === publisher) continue;
          await waitFor(() => received[i]!.some((r) => r.topic === topic && bytesEqual(r.data, data)), `host ${i} receives ${topic}`);
        }
      }
      const fromA = received[1]!.find((r) => r.topic === "tx");
      assert.ok(fromA !== undefined && fromA.from.peerId.equals(a.host.peerId), "host b got the tx message from a directly");
      assert.ok(bytesEqual(fromA.from.identity.publicKey, a.keys.signingKey.publicKey), "attributed to a's ML-DSA key");
      for (let i = 0; i < 3; i++) {
        const expected = sent.filter((m) => m.publisher !== i).length;
        assert.equal(received[i]!.length, expected, `host ${i} received each message once, its own never`);
      }
      assert.equal(await counterValue(b.registry, "ghostmesh_p2p_gossip_received_total", { verdict: "accept" }), 3);
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("a rejecting validator stops forwarding: the third host never gets the message and the sender's reputation drops", async () => {
    const hosts: TestHost[] = [];
    try {
      for (let i = 0; i < 3; i++) hosts.push(await startTestHost());
      const [a, b, c] = hosts as [TestHost, TestHost, TestHost];
      // A line a — b — c: whatever reaches c went through b's validator.
      await a.host.dial(b.host.multiaddrs()[0]!);
      await c.host.dial(b.host.multiaddrs()[0]!);
      const atB: Uint8Array[] = [];
      const atC: Uint8Array[] = [];
      a.host.subscribe("vote", async () => "accept", () => {});
      b.host.subscribe("vote", async (data) => (data[0] === 0xff ? "reject" : "accept"), (data) => void atB.push(data));
      c.host.subscribe("vote", async () => "accept", (data) => void atC.push(data));
      // Forwarding goes to mesh peers; c joins b's mesh at a heartbeat (1 s) after subscribing.
      // b knowing a's subscription proves a's outbound gossip stream to b is open (publishes are not dropped).
      await waitFor(() => b.host.meshPeers("vote").includes(c.host.peerId.toString()) && b.host.topicPeers("vote").some((p) => p.equals(a.host.peerId)), "c in b's vote mesh, a's stream to b open");
      const good = utf8("good vote");
      assert.equal((await a.host.publish("vote", good)).recipients, 1);
      await waitFor(() => atC.some((d) => bytesEqual(d, good)), "b forwards an accepted vote to c");
      const bad = new Uint8Array([0xff, 1, 2, 3]);
      assert.equal((await a.host.publish("vote", bad)).recipients, 1);
      await waitFor(() => (b.host.peerRecord(a.keys.address)?.gossipRejects ?? 0) === 1, "b rejects the bad vote");
      await sleep(300);
      assert.ok(!atC.some((d) => bytesEqual(d, bad)), "c never receives the rejected vote");
      assert.ok(!atB.some((d) => bytesEqual(d, bad)), "b's handler never sees it either");
      const record = b.host.peerRecord(a.keys.address);
      assert.ok(record !== undefined && record.score < 0, `a's score at b went below 0 (${String(record?.score)})`);
      assert.equal(record.bannedUntilMs, 0, "one reject is not a ban");
      assert.equal(await counterValue(b.registry, "ghostmesh_p2p_gossip_received_total", { verdict: "reject" }), 1);
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("queued transactions go out in few batch messages and all arrive", async () => {
    const hosts: TestHost[] = [];
    try {
      const a = await startTestHost({ options: { txBatcher: { delayMs: 50 } } });
      hosts.push(a);
      const b = await startTestHost();
      hosts.push(b);
      let messages = 0;
      const txs: Uint8Array[] = [];
      a.host.subscribe("tx", async () => "accept", () => {});
      b.host.subscribe(
        "tx",
        async (data) => {
          try {
            decodeTxBatch(data, { txsMax: 4096, sizeBytesMax: 1024 * 1024 });
            return "accept";
          } catch {
            return "reject";
          }
        },
        (data) => {
          messages += 1;
          txs.push(...decodeTxBatch(data, { txsMax: 4096, sizeBytesMax: 1024 * 1024 }));
        },
      );
      await a.host.dial(b.host.multiaddrs()[0]!);
      await waitFor(() => a.host.topicPeers("tx").length === 1 && b.host.topicPeers("tx").length === 1, "tx subscriptions known both ways (a's stream to b open)");
      const sent = Array.from({ length: 1000 }, (_, i) => utf8(`transaction number ${i} `.padEnd(100, "x")));
      for (const tx of sent) a.host.queueTx(tx);
      await waitFor(() => txs.length === sent.length, "all transactions arrive");
      assert.ok(messages <= 3, `1,000 transactions took ${messages} gossip messages`);
      assert.deepEqual(txs.map((t) => Buffer.from(t).toString()).sort(), sent.map((t) => Buffer.from(t).toString()).sort());
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("the same bytes published again within gossip's seen window are reported as a duplicate and not sent", async () => {
    const hosts: TestHost[] = [];
    try {
      for (let i = 0; i < 2; i++) hosts.push(await startTestHost());
      const [a, b] = hosts as [TestHost, TestHost];
      const received: Received[] = [];
      subscribeAll(a, []);
      subscribeAll(b, received);
      await a.host.dial(b.host.multiaddrs()[0]!);
      await waitFor(() => a.host.topicPeers("vote").length === 1, "vote subscriber known");
      const data = utf8("one vote");
      assert.deepEqual(await a.host.publish("vote", data), { recipients: 1, duplicate: false });
      await waitFor(() => received.length === 1, "the first copy delivered");
      assert.deepEqual(await a.host.publish("vote", data), { recipients: 0, duplicate: true });
      assert.deepEqual(await a.host.publish("vote", utf8("another vote")), { recipients: 1, duplicate: false }, "other bytes still go");
      await waitFor(() => received.length === 2, "the other message delivered");
      assert.ok(bytesEqual(received[1]!.data, utf8("another vote")), "the repeat was not delivered");
      assert.equal(await counterValue(a.registry, "ghostmesh_p2p_gossip_published_total", { topic: "vote" }), 2, "a repeat is not counted as published");
      assert.equal(await counterValue(a.registry, "ghostmesh_p2p_gossip_publish_duplicates_total", { topic: "vote" }), 1);
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("publishing a message above the topic's size limit is refused", async () => {
    const hosts: TestHost[] = [];
    try {
      const a = await startTestHost({ options: { gossipSizeBytesMax: { evidence: 1000 } } });
      hosts.push(a);
      await assert.rejects(a.host.publish("evidence", new Uint8Array(1001)), { code: "P2P_GOSSIP_MESSAGE_TOO_LARGE" });
      assert.equal((await a.host.publish("evidence", new Uint8Array(1000))).recipients, 0);
    } finally {
      await stopTestHosts(hosts);
    }
  });
});
