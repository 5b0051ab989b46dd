import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { multiaddr } from "@multiformats/multiaddr";
import { ChannelHealth, dialTargetFromMultiaddr, isChannelError, resolveChannelsOptions, type ChannelConfig } from "../../src/p2p/channels/index.ts";

describe("channel options, health and addresses", () => {
  it("resolves proxies and defaults and refuses bad configurations with P2P_CHANNEL_INVALID_OPTIONS", () => {
    const resolved = resolveChannelsOptions({
      channels: [
        { name: "direct", kind: "tcp" },
        { name: "tor", kind: "socks5", proxy: "127.0.0.1:9050", username: "u", password: "p" },
        { name: "i2p", kind: "socks5", proxy: "[::1]:4447", connectTimeoutMs: 60_000 },
      ],
    });
    assert.deepEqual(resolved.channels[1], { name: "tor", kind: "socks5", proxy: { host: "127.0.0.1", port: 9050 }, credentials: { username: "u", password: "p" }, connectTimeoutMs: 20_000 });
    assert.deepEqual(resolved.channels[2]?.kind === "socks5" && resolved.channels[2].proxy, { host: "::1", port: 4447 });
    const bad: ChannelConfig[][] = [
      [],
      [{ name: "Direct!", kind: "tcp" }],
      [{ name: "a", kind: "tcp" }, { name: "a", kind: "tcp" }],
      [{ name: "tor", kind: "socks5", proxy: "127.0.0.1" }],
      [{ name: "tor", kind: "socks5", proxy: "127.0.0.1:70000" }],
      [{ name: "tor", kind: "socks5", proxy: "127.0.0.1:9050", username: "only" }],
      [{ name: "direct", kind: "tcp", connectTimeoutMs: 0 }],
    ];
    for (const channels of bad) {
      assert.throws(() => resolveChannelsOptions({ channels }), (err) => isChannelError(err) && err.code === "P2P_CHANNEL_INVALID_OPTIONS", JSON.stringify(channels));
    }
  });

  it("orders healthy channels first and a failed one last until its cool-down ends, then restores it on success", () => {
    const health = new ChannelHealth(["direct", "tor", "i2p"], 1_000);
    assert.deepEqual(health.order(0), ["direct", "tor", "i2p"]);
    health.recordFailure("direct", 100);
    health.recordFailure("tor", 50);
    assert.deepEqual(health.order(200), ["i2p", "tor", "direct"], "cooling channels last, earliest recovery first");
    assert.deepEqual(health.order(1_100), ["direct", "tor", "i2p"], "cool-downs over");
    health.recordFailure("direct", 2_000);
    health.recordSuccess("direct");
    assert.deepEqual(health.order(2_001), ["direct", "tor", "i2p"]);
    assert.equal(health.states().find((s) => s.name === "tor")?.failuresConsecutive, 1);
  });

  it("reads dial targets from TCP multiaddrs and marks overlay names proxy-only", () => {
    assert.deepEqual(dialTargetFromMultiaddr(multiaddr("/ip4/127.0.0.1/tcp/4001")), { host: "127.0.0.1", port: 4001, hostKind: "ip4", family: 4, proxyOnly: false });
    assert.deepEqual(dialTargetFromMultiaddr(multiaddr("/ip6/::1/tcp/4001")), { host: "::1", port: 4001, hostKind: "ip6", family: 6, proxyOnly: false });
    assert.equal(dialTargetFromMultiaddr(multiaddr("/dns4/abcdefghij.onion/tcp/4001"))?.proxyOnly, true);
    assert.equal(dialTargetFromMultiaddr(multiaddr("/dns/node.example.i2p/tcp/4001"))?.proxyOnly, true);
    assert.equal(dialTargetFromMultiaddr(multiaddr("/dns6/node.example.org/tcp/4001"))?.family, 6);
    assert.equal(dialTargetFromMultiaddr(multiaddr("/ip4/127.0.0.1/udp/4001")), undefined);
    assert.equal(dialTargetFromMultiaddr(multiaddr("/ip4/127.0.0.1/tcp/4001/ws")), undefined);
  });
});
