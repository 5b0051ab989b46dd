import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { isP2pHostError, p2pError, RequestProtocol, requestProtocolId } from "../../src/p2p/index.ts";
import { bytesEqual, utf8 } from "../../src/util/index.ts";
import { startTestHost, stopTestHosts, TEST_CHAIN_ID, waitFor as waitForCondition, type TestHost } from "./helpersHost.ts";

/** Test-only protocols; the node registers blocksByRange and consensus. */
const REVERSE = "reverseTest";
const SLOW = "slowTest";
const BIG = "bigTest";

async function pair(): Promise<[TestHost, TestHost]> {
  const client = await startTestHost();
  const server = await startTestHost();
  await server.host.handle(REVERSE, async (request) => {
    if (request.byteLength === 0) throw p2pError("P2P_REQUEST_INVALID", "empty request", {});
    return request.slice().reverse();
  });
  await server.host.handle(
    SLOW,
    (_request, _from, signal) => delay(1000, utf8("late"), { signal }),
    { concurrentPerPeerMax: 1 },
  );
  await server.host.handle(BIG, async () => new Uint8Array(100_000));
  await client.host.dial(server.host.multiaddrs()[0]!);
  return [client, server];
}

/** Until identify has told `client` which protocols `server` serves. */
async function waitForProtocols(client: TestHost, server: TestHost): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const known = await client.host.libp2p.peerStore.get(server.host.peerId).then((peer) => peer.protocols, () => []);
    if (known.some((p) => p.includes("/req/reverseTest/"))) return;
    if (Date.now() > deadline) throw new Error("identify never reported the server's protocols");
    await delay(20);
  }
}

describe("p2p host request/response over TCP on 127.0.0.1", () => {
  it("answers a request with its response, and a handler's invalid-request error arrives typed", async () => {
    const hosts: TestHost[] = [];
    try {
      const [client, server] = await pair();
      hosts.push(client, server);
      const request = new Uint8Array(randomBytes(50_000));
      const response = await client.host.request(server.host.peerId, REVERSE, request);
      assert.ok(bytesEqual(response, request.slice().reverse()));
      await assert.rejects(client.host.request(server.host.peerId, REVERSE, new Uint8Array(0)), { code: "P2P_REMOTE_INVALID_REQUEST", meta: { protocol: REVERSE, status: 1, remoteMessage: "empty request" } });
      await assert.rejects(client.host.request(server.host.peerId, "notServed", utf8("?")), (err: unknown) => isP2pHostError(err, "P2P_PROTOCOL_UNSUPPORTED") && Array.isArray(err.meta.peerVersions) && err.meta.peerVersions.length === 0);
      assert.equal(client.logger.entries.filter((e) => e.level === "warn").length, 0, "a protocol the peer does not serve at all is no version mismatch");
      assert.equal(requestProtocolId("ghostmesh-test", RequestProtocol.blocksByRange), "/ghostmesh/ghostmesh-test/req/blocksByRange/2");
      assert.equal(requestProtocolId("ghostmesh-test", "stem"), "/ghostmesh/ghostmesh-test/req/stem/1", "a protocol that never changed is version 1");
      assert.equal(requestProtocolId("ghostmesh-test", "consensus"), "/ghostmesh/ghostmesh-test/req/consensus/2", "a proposal's signature is its leader's vote since version 2");
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("a peer that serves only other versions of a protocol fails typed, with its versions, and is warned about once until a request gets through", async () => {
    const hosts: TestHost[] = [];
    try {
      const client = await startTestHost();
      hosts.push(client);
      const server = await startTestHost();
      hosts.push(server);
      // What a node of another ghostmesh version serves: the same protocol name, other versions.
      const ours = requestProtocolId(TEST_CHAIN_ID, REVERSE);
      assert.ok(ours.endsWith("/1"));
      // Also ids that are no version of ours (a hostile or foreign peer's announcements): not counted.
      for (const version of ["3", "7", "07", "beta", "1e3"]) await server.host.libp2p.handle(ours.replace(/1$/, version), (stream) => stream.abort(new Error("not in this test")));
      await client.host.dial(server.host.multiaddrs()[0]!);
      await waitForProtocols(client, server);
      for (let attempt = 0; attempt < 3; attempt++) {
        await assert.rejects(client.host.request(server.host.peerId, REVERSE, utf8("abc")), (err: unknown) => {
          assert.ok(isP2pHostError(err, "P2P_PROTOCOL_UNSUPPORTED"));
          assert.deepEqual(err.meta.peerVersions, [3, 7]);
          assert.match(err.message, /does not speak \/ghostmesh\/ghostmesh-test\/req\/reverseTest\/1, only version 3, 7 of reverseTest/);
          return true;
        });
      }
      const warnings = () => client.logger.entries.filter((e) => e.level === "warn" && e.message.includes("another version"));
      assert.equal(warnings().length, 1, "three failures, one warning");
      assert.deepEqual(warnings()[0]?.fields, { peerId: server.host.peerId.toString(), protocol: ours, peerVersions: [3, 7] });
      // The peer upgrades (here: serves our version too); a request gets through and clears the warning.
      await server.host.handle(REVERSE, async (request) => request.slice().reverse());
      assert.ok(bytesEqual(await client.host.request(server.host.peerId, REVERSE, utf8("abc")), utf8("cba")));
      await server.host.libp2p.unhandle(ours);
      await assert.rejects(client.host.request(server.host.peerId, REVERSE, utf8("abc")), { code: "P2P_PROTOCOL_UNSUPPORTED" });
      assert.equal(warnings().length, 2, "a mismatch after a request got through is warned about again");
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("a slow response times out, counts against the peer, and a second concurrent request is answered resource-unavailable", async () => {
    const hosts: TestHost[] = [];
    try {
      const [client, server] = await pair();
      hosts.push(client, server);
      const first = client.host.request(server.host.peerId, SLOW, utf8("1"), { timeoutMs: 300 });
      const second = client.host.request(server.host.peerId, SLOW, utf8("2"), { timeoutMs: 300 });
      await assert.rejects(second, { code: "P2P_REMOTE_RESOURCE_UNAVAILABLE" });
      await assert.rejects(first, { code: "P2P_REQUEST_TIMEOUT" });
      assert.equal(client.host.peerRecord(server.keys.address)?.timeouts, 1);
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("a timeout the caller does not blame on the peer (a probe) fails the same way and leaves the peer's reputation alone", async () => {
    const hosts: TestHost[] = [];
    try {
      const [client, server] = await pair();
      hosts.push(client, server);
      await assert.rejects(client.host.request(server.host.peerId, SLOW, utf8("probe"), { timeoutMs: 200, penalizeTimeout: false }), { code: "P2P_REQUEST_TIMEOUT" });
      const record = client.host.peerRecord(server.keys.address);
      assert.equal(record?.timeouts ?? 0, 0);
      assert.equal(record?.score ?? 0, 0);
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("a request whose frame length never ends (continuation bytes) is penalised as malformed, not read forever", async () => {
    const hosts: TestHost[] = [];
    try {
      const [client, server] = await pair();
      hosts.push(client, server);
      const raw = await client.host.libp2p.dialProtocol(server.host.peerId, requestProtocolId(TEST_CHAIN_ID, REVERSE));
      raw.send(new Uint8Array(4096).fill(0xff));
      await waitForCondition(() => server.host.peerRecord(client.keys.address)?.malformedFrames === 1, "the endless length penalised");
      assert.ok(bytesEqual(await client.host.request(server.host.peerId, REVERSE, utf8("abc")), utf8("cba")), "the next request is served");
    } finally {
      await stopTestHosts(hosts);
    }
  });

  it("a response above the requester's limit is refused before it is read and penalised", async () => {
    const hosts: TestHost[] = [];
    try {
      const [client, server] = await pair();
      hosts.push(client, server);
      await assert.rejects(client.host.request(server.host.peerId, BIG, utf8("x"), { responseSizeBytesMax: 10_000 }), { code: "P2P_RESPONSE_TOO_LARGE" });
      assert.equal(client.host.peerRecord(server.keys.address)?.oversizedMessages, 1);
      assert.equal((await client.host.request(server.host.peerId, BIG, utf8("x"))).byteLength, 100_000, "within the default limit it is served");
    } finally {
      await stopTestHosts(hosts);
    }
  });
});
