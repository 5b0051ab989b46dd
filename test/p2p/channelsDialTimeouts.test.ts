import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { dialTimeoutsOf, resolveP2pHostOptions, SOCKS5_CONNECT_TIMEOUT_MS_DEFAULT, DIRECT_CONNECT_TIMEOUT_MS_DEFAULT } from "../../src/p2p/index.ts";

describe("p2p host: libp2p dial budgets for the configured channels", () => {
  it("keeps libp2p's defaults (6 s per address, 10 s per dial) with direct TCP only", () => {
    assert.deepEqual(dialTimeoutsOf({ channels: [{ name: "direct", kind: "tcp" }], cooldownMs: 60_000 }), { addressDialTimeoutMs: 6_000, dialTimeoutMs: 10_000 });
  });

  it("raises the per-address budget past every channel's connect timeout when a SOCKS5 channel is configured", () => {
    const { addressDialTimeoutMs, dialTimeoutMs } = dialTimeoutsOf({
      channels: [
        { name: "tor", kind: "socks5", proxy: "127.0.0.1:9050" },
        { name: "direct", kind: "tcp" },
      ],
      cooldownMs: 60_000,
    });
    assert.ok(addressDialTimeoutMs > SOCKS5_CONNECT_TIMEOUT_MS_DEFAULT + DIRECT_CONNECT_TIMEOUT_MS_DEFAULT, `a slow proxy can fail and hand over to direct within ${addressDialTimeoutMs} ms`);
    assert.ok(dialTimeoutMs > addressDialTimeoutMs);
  });

  it("refuses bad channels when the host options are resolved, before any dial", () => {
    assert.throws(() => resolveP2pHostOptions({ chainId: "c", channels: { channels: [{ name: "tor", kind: "socks5", proxy: "nowhere" }] } }), { code: "P2P_CHANNEL_INVALID_OPTIONS" });
  });
});
