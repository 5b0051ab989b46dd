import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { randomBytes } from "node:crypto";
import { addressFromPublicKey } from "../../src/crypto/index.ts";
import { AddressAllowlist, QSTP_PROTOCOL } from "../../src/p2p/index.ts";
import { bytesEqual, utf8 } from "../../src/util/index.ts";
import { createTestNode, handleReverse, requestReverse, stopAll, type TestNode } from "./helpers.ts";

function reversed(bytes: Uint8Array): Uint8Array {
  return bytes.slice().reverse();
}

function tcpPort(node: TestNode): number {
  const address = node.node.getMultiaddrs()[0];
  assert.ok(address !== undefined, "the node listens");
  const port = address.getComponents().find((component) => component.name === "tcp")?.value;
  assert.ok(port !== undefined, "a TCP address");
  return Number(port);
}

/** Writes `bytes` to the port and resolves when the node closes the socket. */
async function sendRaw(port: number, chunks: readonly Uint8Array[]): Promise<void> {
  const socket: Socket = connect({ host: "127.0.0.1", port });
  socket.on("data", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  for (const chunk of chunks) socket.write(chunk);
  await new Promise<void>((resolve) => {
    socket.once("close", () => resolve());
    socket.once("error", () => {});
  });
}

/** multistream-select: varint length (one byte here) || line || "\n". */
function mssLine(text: string): Uint8Array {
  const line = utf8(`${text}\n`);
  assert.ok(line.byteLength < 128, "one-byte varint");
  return new Uint8Array([line.byteLength, ...line]);
}

describe("qstp in libp2p over TCP on 127.0.0.1", () => {
  it("two nodes exchange data both ways on a request/response stream and learn each other's ML-DSA identity", async () => {
    const nodes: TestNode[] = [];
    try {
      const a = await createTestNode();
      nodes.push(a);
      const b = await createTestNode();
      nodes.push(b);
      await handleReverse(a.node);
      await handleReverse(b.node);
      const request = new Uint8Array(randomBytes(200_000));
      assert.ok(bytesEqual(await requestReverse(a.node, b.node.getMultiaddrs()[0]!, request), reversed(request)));
      const small = utf8("ping from b");
      assert.ok(bytesEqual(await requestReverse(b.node, a.identity.peerId, small), reversed(small)), "b reuses the connection a opened");
      const bSeenByA = a.encrypter.remoteIdentity(b.identity.peerId);
      const aSeenByB = b.encrypter.remoteIdentity(a.identity.peerId);
      assert.ok(bSeenByA !== undefined && bytesEqual(bSeenByA.address, addressFromPublicKey(b.identity.signingKey.alg, b.identity.signingKey.publicKey)));
      assert.ok(aSeenByB !== undefined && bytesEqual(aSeenByB.publicKey, a.identity.signingKey.publicKey));
      assert.equal(b.node.getConnections(a.identity.peerId)[0]?.encryption, QSTP_PROTOCOL);
    } finally {
      await stopAll(nodes);
    }
  });

  it("rekeys by bytes with a tiny limit and data still flows intact", async () => {
    const nodes: TestNode[] = [];
    try {
      const limits = { recordSizeBytesMax: 1024, rekeyBytes: 2048 };
      const a = await createTestNode({ qstpOptions: limits });
      nodes.push(a);
      const b = await createTestNode({ qstpOptions: limits });
      nodes.push(b);
      await handleReverse(b.node);
      const request = new Uint8Array(randomBytes(100_000));
      assert.ok(bytesEqual(await requestReverse(a.node, b.node.getMultiaddrs()[0]!, request), reversed(request)));
      const aStats = a.encrypter.stats();
      const bStats = b.encrypter.stats();
      assert.ok(aStats.rekeysSent >= 45, `a sent ${aStats.rekeysSent} key updates for ~100 KB at 2 KiB per key`);
      assert.ok(bStats.rekeysSent >= 45, `b sent ${bStats.rekeysSent} key updates`);
      assert.equal(bStats.rekeysReceived, aStats.rekeysSent);
      assert.equal(aStats.connectionsFailed + bStats.connectionsFailed, 0);
    } finally {
      await stopAll(nodes);
    }
  });

  it("a permissioned node refuses a peer that is not on its allowlist and accepts one that is", async () => {
    const nodes: TestNode[] = [];
    try {
      const member = await createTestNode();
      nodes.push(member);
      const outsider = await createTestNode();
      nodes.push(outsider);
      const memberAddress = addressFromPublicKey(member.identity.signingKey.alg, member.identity.signingKey.publicKey);
      const gatekeeper = await createTestNode({ allowlist: new AddressAllowlist([memberAddress]) });
      nodes.push(gatekeeper);
      await handleReverse(gatekeeper.node);
      const target = gatekeeper.node.getMultiaddrs()[0]!;
      await assert.rejects(requestReverse(outsider.node, target, utf8("let me in")));
      assert.equal(gatekeeper.encrypter.stats().handshakesFailed.P2P_PEER_NOT_ALLOWED, 1);
      assert.equal(gatekeeper.node.getConnections(outsider.identity.peerId).length, 0);
      assert.ok(bytesEqual(await requestReverse(member.node, target, utf8("hello")), reversed(utf8("hello"))));
    } finally {
      await stopAll(nodes);
    }
  });

  it("plaintext garbage on the port is refused and the node keeps serving others", async () => {
    const nodes: TestNode[] = [];
    try {
      const server = await createTestNode();
      nodes.push(server);
      const client = await createTestNode();
      nodes.push(client);
      await handleReverse(server.node);
      const port = tcpPort(server);
      // multistream-select reads "G" (71) as a line length, so send more than that.
      await sendRaw(port, [utf8(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ${"x".repeat(100)}\r\n\r\n`)]);
      // Past multistream-select, straight into the qstp handshake: an absurd length, then junk.
      await sendRaw(port, [mssLine("/multistream/1.0.0"), mssLine(QSTP_PROTOCOL), new Uint8Array([0xff, 0xff]), new Uint8Array(randomBytes(64))]);
      await sendRaw(port, [mssLine("/multistream/1.0.0"), mssLine(QSTP_PROTOCOL), new Uint8Array([0x01, 0x00]), new Uint8Array(randomBytes(256))]);
      const failures = server.encrypter.stats().handshakesFailed;
      assert.equal(failures.P2P_HANDSHAKE_MESSAGE_TOO_LARGE, 1);
      assert.equal(failures.P2P_HANDSHAKE_UNSUPPORTED_VERSION ?? failures.P2P_HANDSHAKE_MALFORMED, 1);
      const request = utf8("still serving");
      assert.ok(bytesEqual(await requestReverse(client.node, server.node.getMultiaddrs()[0]!, request), reversed(request)));
    } finally {
      await stopAll(nodes);
    }
  });
});
