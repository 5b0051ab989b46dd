import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isP2pHostError, messageProtocolId, p2pError, type PeerContext } from "../../src/p2p/index.ts";
import { bytesEqual, utf8 } from "../../src/util/index.ts";
import { counterValue, startTestHost, stopTestHosts, TEST_CHAIN_ID, waitFor, type TestHost } from "./helpersHost.ts";

/** Test-only message protocols. */
const ECHO = "echoTest";
const SLOW = "slowTest";
const LIMIT_BYTES = 1_000;

type Received = { readonly message: Uint8Array; readonly from: PeerContext };

async function connectedPair(): Promise<{ sender: TestHost; receiver: TestHost; received: Received[] }> {
  const sender = await startTestHost();
  const receiver = await startTestHost();
  const received: Received[] = [];
  await receiver.host.handleMessages(ECHO, async (message, from) => void received.push({ message, from }), { messageSizeBytesMax: LIMIT_BYTES });
  await sender.host.dial(receiver.host.multiaddrs()[0]!);
  return { sender, receiver, received };
}

/** Streams of `protocol` open on the receiver's connection from the sender. */
function inboundStreams(receiver: TestHost, sender: TestHost, protocol: string): number {
  return receiver.host.libp2p.getConnections(sender.host.peerId).reduce((sum, c) => sum + c.streams.filter((s) => s.protocol === protocol && s.direction === "inbound").length, 0);
}

describe("p2p host one-way messages on long-lived streams over TCP on 127.0.0.1", () => {
  it("delivers messages in order, with the sender's proven identity, all on one stream", async () => {
    const hosts: TestHost[] = [];
    try {
      const { sender, receiver, received } = await connectedPair();
      hosts.push(sender, receiver);
      const messages = Array.from({ length: 200 }, (_, i) => utf8(`message ${i}`));
      await Promise.all(messages.map((message) => sender.host.sendMessage(receiver.host.peerId, ECHO, message)));
      await waitFor(() => received.length === messages.length, "every message handled");
      received.forEach((r, i) => assert.ok(bytesEqual(r.message, messages[i]!), `message ${i} in order`));
      assert.ok(received.every((r) => r.from.peerId.equals(sender.host.peerId) && bytesEqual(r.from.identity.address, received[0]!.from.identity.address)));
      assert.equal(inboundStreams(receiver, sender, messageProtocolId(TEST_CHAIN_ID, ECHO)), 1, "one stream carried them all");
      assert.equal(await counterValue(sender.registry, "ghostmesh_p2p_messages_total", { protocol: ECHO, direction: "outbound", outcome: "ok" }), 200);
      assert.equal(await counterValue(receiver.registry, "ghostmesh_p2p_messages_total", { protocol: ECHO, direction: "inbound", outcome: "ok" }), 200);
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("a message above the receiver's limit is penalised and its stream reset; the next message opens another stream and arrives", async () => {
    const hosts: TestHost[] = [];
    try {
      const { sender, receiver, received } = await connectedPair();
      hosts.push(sender, receiver);
      await sender.host.sendMessage(receiver.host.peerId, ECHO, utf8("before"));
      await waitFor(() => received.length === 1, "the first message");
      // The sender lets it through (a hostile or misconfigured peer); the receiver refuses it.
      await sender.host.sendMessage(receiver.host.peerId, ECHO, new Uint8Array(LIMIT_BYTES + 1), { messageSizeBytesMax: 1_000_000 }).catch(() => {});
      await waitFor(() => receiver.host.peerRecord(sender.keys.address)?.oversizedMessages === 1, "the oversized message penalised");
      await waitFor(() => inboundStreams(receiver, sender, messageProtocolId(TEST_CHAIN_ID, ECHO)) === 0, "its stream reset");
      await sender.host.sendMessage(receiver.host.peerId, ECHO, utf8("after"));
      await waitFor(() => received.length === 2, "the message after the reset");
      assert.ok(bytesEqual(received[1]!.message, utf8("after")));
      assert.equal(await counterValue(receiver.registry, "ghostmesh_p2p_messages_total", { protocol: ECHO, direction: "inbound", outcome: "tooLarge" }), 1);
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("a frame length that never ends (continuation bytes) is penalised as malformed and its stream reset", async () => {
    const hosts: TestHost[] = [];
    try {
      const { sender, receiver, received } = await connectedPair();
      hosts.push(sender, receiver);
      // A hostile peer writes raw bytes on the protocol: 0xff forever would be one endless varint.
      const raw = await sender.host.libp2p.dialProtocol(receiver.host.peerId, messageProtocolId(TEST_CHAIN_ID, ECHO));
      raw.send(new Uint8Array(4096).fill(0xff));
      await waitFor(() => receiver.host.peerRecord(sender.keys.address)?.malformedFrames === 1, "the endless length penalised");
      await waitFor(() => raw.status !== "open", "its stream reset");
      assert.equal(received.length, 0);
      assert.equal(await counterValue(receiver.registry, "ghostmesh_p2p_messages_total", { protocol: ECHO, direction: "inbound", outcome: "malformed" }), 1);
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("refuses typed, without sending: a message above the sender's limit, and a protocol the peer does not serve", async () => {
    const hosts: TestHost[] = [];
    try {
      const { sender, receiver, received } = await connectedPair();
      hosts.push(sender, receiver);
      await assert.rejects(sender.host.sendMessage(receiver.host.peerId, ECHO, new Uint8Array(70_000)), (err: unknown) => isP2pHostError(err, "P2P_MESSAGE_TOO_LARGE") && err.meta.sizeBytesMax === 64 * 1024);
      await assert.rejects(sender.host.sendMessage(receiver.host.peerId, "notServed", utf8("?")), { code: "P2P_PROTOCOL_UNSUPPORTED" });
      await assert.rejects(sender.host.handleMessages("twice", async () => {}).then(() => sender.host.handleMessages("twice", async () => {})), { code: "P2P_PROTOCOL_ALREADY_HANDLED" });
      assert.equal(received.length, 0);
      assert.equal(await counterValue(sender.registry, "ghostmesh_p2p_messages_total", { protocol: ECHO, direction: "outbound", outcome: "P2P_MESSAGE_TOO_LARGE" }), 1);
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("runs at most concurrentPerPeerMax handlers at once for a peer, and a handler's failure does not end the stream", async () => {
    const hosts: TestHost[] = [];
    try {
      const { sender, receiver } = await connectedPair();
      hosts.push(sender, receiver);
      let running = 0;
      let runningMax = 0;
      const releases: (() => void)[] = [];
      const handled: string[] = [];
      await receiver.host.handleMessages(
        SLOW,
        async (message) => {
          running += 1;
          runningMax = Math.max(runningMax, running);
          await new Promise<void>((resolve) => releases.push(resolve));
          running -= 1;
          const text = new TextDecoder().decode(message);
          handled.push(text);
          if (text === "fail") throw new Error("a handler that fails");
          if (text === "busy") throw p2pError("P2P_RESOURCE_UNAVAILABLE", "not serving this now", {});
        },
        { concurrentPerPeerMax: 2 },
      );
      const texts = ["fail", "1", "2", "busy", "3", "4"];
      await Promise.all(texts.map((text) => sender.host.sendMessage(receiver.host.peerId, SLOW, utf8(text))));
      for (let released = 0; released < texts.length; released++) {
        await waitFor(() => releases.length > released, `handler ${released} started`);
        assert.ok(running <= 2, `at most two handlers at once (now ${running})`);
        releases[released]!();
      }
      await waitFor(() => handled.length === texts.length, "every message handled");
      assert.equal(runningMax, 2);
      assert.equal(await counterValue(receiver.registry, "ghostmesh_p2p_messages_total", { protocol: SLOW, direction: "inbound", outcome: "handlerFailed" }), 1);
      assert.equal(await counterValue(receiver.registry, "ghostmesh_p2p_messages_total", { protocol: SLOW, direction: "inbound", outcome: "unavailable" }), 1, "a service not running now is told apart");
    } finally {
      await stopTestHosts(hosts);
    }
  });
});
