import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { randomBytes } from "node:crypto";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { Libp2p } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { createLibp2p } from "libp2p";
import { Registry } from "prom-client";
import { channels, isChannelError, type ChannelConfig, type ChannelsTransport } from "../../src/p2p/channels/index.ts";
import { qstp, QSTP_PROTOCOL, type QstpEncrypter } from "../../src/p2p/index.ts";
import { bytesEqual } from "../../src/util/index.ts";
import { createLocalIdentity, handleReverse, requestReverse } from "./helpers.ts";
import { startSocks5Server, type Socks5TestServer } from "./socks5Server.ts";

type ChannelNode = { node: Libp2p; transport: ChannelsTransport; encrypter: QstpEncrypter; register: Registry; peerIdText: string; port: number };

/** A Ghostmesh-style node (channels transport, qstp, yamux) listening on 127.0.0.1. */
async function createChannelNode(configs: ChannelConfig[], cooldownMs = 60_000): Promise<ChannelNode> {
  const identity = await createLocalIdentity();
  const register = new Registry();
  const factory = channels({ channels: configs, cooldownMs }, { register });
  const encrypterFactory = qstp({}, { signingKey: identity.signingKey, allowlist: null });
  let transport: ChannelsTransport | undefined;
  let encrypter: QstpEncrypter | undefined;
  const node = await createLibp2p({
    privateKey: identity.peerPrivateKey,
    addresses: { listen: ["/ip4/127.0.0.1/tcp/0"] },
    transports: [(components) => (transport = factory(components))],
    connectionEncrypters: [(components) => (encrypter = encrypterFactory(components))],
    streamMuxers: [yamux()],
  });
  assert.ok(transport !== undefined && encrypter !== undefined);
  await handleReverse(node);
  const port = Number(node.getMultiaddrs()[0]?.getComponents().find((c) => c.name === "tcp")?.value);
  return { node, transport, encrypter, register, peerIdText: identity.peerId.toString(), port };
}

async function metricValue(register: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = register.getSingleMetric(name);
  assert.ok(metric !== undefined, `metric ${name} is registered`);
  const { values } = await metric.get();
  // Histograms list _bucket, _sum and _count values under their metricName; use _count.
  const nameOf = (v: object): string => ("metricName" in v && typeof v.metricName === "string" ? v.metricName : name);
  const matches = values.filter((v) => !nameOf(v).endsWith("_bucket") && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  const count = matches.find((v) => nameOf(v).endsWith("_count"));
  return (count ?? matches[0])?.value ?? 0;
}

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

async function cleanup(nodes: (ChannelNode | undefined)[], proxies: (Socks5TestServer | undefined)[]): Promise<void> {
  await Promise.all(nodes.map((n) => n?.node.stop()));
  await Promise.all(proxies.map((p) => p?.close()));
}

describe("channels transport in libp2p on 127.0.0.1", () => {
  it("a dialer reaches the listener through an authenticating SOCKS5 proxy, with qstp and yamux on top, and the proxy relayed it", async () => {
    const proxy = await startSocks5Server({ credentials: { username: "ghost", password: "mesh" }, names: { "listenerhiddenservice.onion": "127.0.0.1" } });
    const nodes: ChannelNode[] = [];
    try {
      const listener = await createChannelNode([{ name: "direct", kind: "tcp" }]);
      nodes.push(listener);
      const dialer = await createChannelNode([{ name: "tor", kind: "socks5", proxy: `127.0.0.1:${proxy.port}`, username: "ghost", password: "mesh" }]);
      nodes.push(dialer);
      const request = new Uint8Array(randomBytes(50_000));
      const response = await requestReverse(dialer.node, listener.node.getMultiaddrs()[0]!, request);
      assert.ok(bytesEqual(response, request.slice().reverse()), "the reversed bytes came back");
      assert.equal(proxy.stats.connectionsRelayed, 1, "the connection went through the proxy");
      assert.ok(proxy.stats.bytesRelayed > 100_000, `the proxy carried the traffic (${proxy.stats.bytesRelayed} bytes)`);
      assert.equal(dialer.node.getConnections()[0]?.encryption, QSTP_PROTOCOL);
      assert.ok(dialer.encrypter.remoteIdentity(listener.node.peerId) !== undefined, "qstp proved the listener's identity");
      assert.equal(await metricValue(dialer.register, "ghostmesh_p2p_channel_dials_total", { channel: "tor", result: "success" }), 1);
      assert.equal(await metricValue(dialer.register, "ghostmesh_p2p_channel_active_connections", { channel: "tor" }), 1);
      assert.ok((await metricValue(dialer.register, "ghostmesh_p2p_channel_bytes_total", { channel: "tor", direction: "sent" })) > 50_000);
      assert.ok((await metricValue(dialer.register, "ghostmesh_p2p_channel_bytes_total", { channel: "tor", direction: "received" })) > 50_000);
      assert.equal(await metricValue(dialer.register, "ghostmesh_p2p_channel_dial_seconds", { channel: "tor" }), 1, "one observation");

      // An overlay name: only the proxy knows it; the name travels unresolved.
      const onion = multiaddr(`/dns4/listenerhiddenservice.onion/tcp/${listener.port}/p2p/${listener.peerIdText}`);
      await dialer.node.hangUp(listener.node.peerId);
      assert.ok(bytesEqual(await requestReverse(dialer.node, onion, request.subarray(0, 10)), request.subarray(0, 10).reverse()));
      assert.equal(proxy.stats.targets.at(-1), `listenerhiddenservice.onion:${listener.port}`);
      assert.equal(proxy.stats.connectionsRelayed, 2);
    } finally {
      await cleanup(nodes, [proxy]);
    }
  });

  it("falls back from a dead proxy to direct TCP, counts both, and tries the failed channel last during its cool-down", async () => {
    const nodes: ChannelNode[] = [];
    try {
      const first = await createChannelNode([{ name: "direct", kind: "tcp" }]);
      nodes.push(first);
      const second = await createChannelNode([{ name: "direct", kind: "tcp" }]);
      nodes.push(second);
      const dialer = await createChannelNode([
        { name: "tor", kind: "socks5", proxy: `127.0.0.1:${await deadPort()}` },
        { name: "direct", kind: "tcp" },
      ]);
      nodes.push(dialer);
      const request = new Uint8Array([1, 2, 3]);
      assert.ok(bytesEqual(await requestReverse(dialer.node, first.node.getMultiaddrs()[0]!, request), new Uint8Array([3, 2, 1])));
      const count = (channel: string, result: string): Promise<number> => metricValue(dialer.register, "ghostmesh_p2p_channel_dials_total", { channel, result });
      assert.equal(await count("tor", "failure"), 1);
      assert.equal(await count("direct", "success"), 1);
      assert.equal(await metricValue(dialer.register, "ghostmesh_p2p_channel_active_connections", { channel: "direct" }), 1);
      assert.deepEqual(
        dialer.transport.dialOrder().map((c) => c.name),
        ["direct", "tor"],
        "tor is cooling down",
      );
      assert.equal(dialer.transport.healthStates().find((s) => s.name === "tor")?.failuresConsecutive, 1);

      assert.ok(bytesEqual(await requestReverse(dialer.node, second.node.getMultiaddrs()[0]!, request), new Uint8Array([3, 2, 1])));
      assert.equal(await count("direct", "success"), 2);
      assert.equal(await count("tor", "failure"), 1, "the cooling channel was not tried while direct worked");
      await dialer.node.hangUp(first.node.peerId);
      await dialer.node.hangUp(second.node.peerId);
      assert.equal(await metricValue(dialer.register, "ghostmesh_p2p_channel_active_connections", { channel: "direct" }), 0);
    } finally {
      await cleanup(nodes, []);
    }
  });

  it("a dial fails with every channel's error when no channel gets through, and a direct-only node cannot dial an .onion address", async () => {
    const proxy = await startSocks5Server({ behaviour: { kind: "refuse", replyCode: 0x01 } });
    const nodes: ChannelNode[] = [];
    try {
      const listener = await createChannelNode([{ name: "direct", kind: "tcp" }]);
      nodes.push(listener);
      const dialer = await createChannelNode([{ name: "tor", kind: "socks5", proxy: `127.0.0.1:${proxy.port}` }], 0);
      nodes.push(dialer);
      await assert.rejects(requestReverse(dialer.node, listener.node.getMultiaddrs()[0]!, new Uint8Array([1])), (err: Error) => {
        assert.ok(isChannelError(err) && err.code === "P2P_CHANNEL_ALL_FAILED", `typed error, got ${err.message}`);
        assert.deepEqual(
          (err.meta.attempts as { channel: string; code: string }[]).map((a) => [a.channel, a.code]),
          [["tor", "P2P_SOCKS5_CONNECT_REFUSED"]],
        );
        return true;
      });
      assert.equal(await metricValue(dialer.register, "ghostmesh_p2p_channel_dials_total", { channel: "tor", result: "failure" }), 1);
      assert.equal(proxy.stats.connectionsAccepted, 1);
      assert.equal(dialer.node.getConnections().length, 0);

      const onion = multiaddr(`/dns4/listenerhiddenservice.onion/tcp/${listener.port}/p2p/${listener.peerIdText}`);
      assert.deepEqual(listener.transport.dialFilter([onion]), [], "a direct channel never dials an overlay name");
      assert.deepEqual(dialer.transport.dialFilter([onion]).length, 1);
    } finally {
      await cleanup(nodes, [proxy]);
    }
  });
});
