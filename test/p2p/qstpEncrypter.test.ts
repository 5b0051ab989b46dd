import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, it } from "node:test";
import type { MessageStream } from "@libp2p/interface";
import { multiaddrConnectionPair } from "@libp2p/utils";
import { Uint8ArrayList } from "uint8arraylist";
import { formatAddress } from "../../src/crypto/index.ts";
import { FRAME_HEADER_SIZE_BYTES, QstpEncrypter, RecordType, type QstpEvents, type QstpOptions } from "../../src/p2p/index.ts";
import { createLocalIdentity } from "./helpers.ts";

async function securedPair(responderOptions: Partial<QstpOptions> = {}) {
  const alice = await createLocalIdentity();
  const bob = await createLocalIdentity();
  const aliceEncrypter = new QstpEncrypter({}, { signingKey: alice.signingKey, privateKey: alice.peerPrivateKey });
  const bobEncrypter = new QstpEncrypter(responderOptions, { signingKey: bob.signingKey, privateKey: bob.peerPrivateKey });
  const [rawOutbound, rawInbound] = multiaddrConnectionPair();
  const [outbound, inbound] = await Promise.all([aliceEncrypter.secureOutbound(rawOutbound, { remotePeer: bob.peerId }), bobEncrypter.secureInbound(rawInbound)]);
  return { alice, bob, aliceEncrypter, bobEncrypter, rawOutbound, rawInbound, outbound, inbound };
}

function collect(stream: MessageStream): Uint8ArrayList {
  const received = new Uint8ArrayList();
  stream.addEventListener("message", (event) => received.append(event.data));
  return received;
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("qstp encrypter over an in-memory connection", () => {
  it("returns the remote PeerId and ML-DSA identity, and carries data both ways", async () => {
    const { alice, bob, aliceEncrypter, bobEncrypter, outbound, inbound } = await securedPair();
    assert.ok(outbound.remotePeer.equals(bob.peerId));
    assert.ok(inbound.remotePeer.equals(alice.peerId));
    assert.equal(formatAddress(inbound.remoteExtensions?.address ?? new Uint8Array(20)), formatAddress(bobEncrypter.remoteIdentity(alice.peerId)?.address ?? new Uint8Array(20)));
    assert.deepEqual(aliceEncrypter.remoteIdentity(bob.peerId)?.publicKey, bob.signingKey.publicKey);
    const atBob = collect(inbound.connection);
    const atAlice = collect(outbound.connection);
    outbound.connection.send(new Uint8Array([1, 2, 3]));
    inbound.connection.send(new Uint8Array([4, 5]));
    await waitFor(() => atBob.byteLength === 3 && atAlice.byteLength === 2);
    assert.deepEqual([...atBob.subarray()], [1, 2, 3]);
    assert.deepEqual([...atAlice.subarray()], [4, 5]);
    await outbound.connection.close();
    await waitFor(() => aliceEncrypter.stats().remoteIdentities === 0);
    await inbound.connection.close();
  });

  it("writes made in one turn of the event loop go out sealed together, in order, as one record", async () => {
    const { rawOutbound, outbound, inbound } = await securedPair();
    const atBob = collect(inbound.connection);
    const rawWrites: number[] = [];
    const send = rawOutbound.send.bind(rawOutbound);
    rawOutbound.send = (data) => {
      rawWrites.push(data.byteLength);
      return send(data);
    };
    const writes = Array.from({ length: 50 }, (_, i) => new Uint8Array(i + 1).fill(i));
    for (const write of writes) outbound.connection.send(write);
    const total = writes.reduce((sum, write) => sum + write.byteLength, 0);
    await waitFor(() => atBob.byteLength === total);
    assert.deepEqual(atBob.subarray(), Uint8Array.from(writes.flatMap((write) => [...write])));
    assert.equal(rawWrites.length, 1, "one raw write");
    assert.equal(rawWrites[0], FRAME_HEADER_SIZE_BYTES + total + 16, "one record: header, the 50 writes, one tag");
    // The next turn starts a new record.
    outbound.connection.send(new Uint8Array([7]));
    await waitFor(() => atBob.byteLength === total + 1);
    assert.equal(rawWrites.length, 2);
    await outbound.connection.close();
    await inbound.connection.close();
  });

  it("backpressure: once the raw connection reports full, writes wait for its drain, then go out in order", async () => {
    const { rawOutbound, outbound, inbound } = await securedPair();
    const atBob = collect(inbound.connection);
    let rawFull = true;
    const send = rawOutbound.send.bind(rawOutbound);
    rawOutbound.send = (data) => {
      send(data);
      return !rawFull;
    };
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    assert.equal(outbound.connection.send(new Uint8Array([1])), true, "nothing said full yet");
    await turn();
    assert.equal(outbound.connection.send(new Uint8Array([2])), false, "the raw connection said full at the last flush");
    assert.equal(outbound.connection.send(new Uint8Array([3])), false, "held by the stream until a drain");
    await waitFor(() => atBob.byteLength === 2);
    await turn();
    assert.deepEqual([...atBob.subarray()], [1, 2], "the write made while full waits");
    rawFull = false;
    rawOutbound.safeDispatchEvent("drain");
    await waitFor(() => atBob.byteLength === 3);
    assert.deepEqual([...atBob.subarray()], [1, 2, 3]);
    assert.equal(outbound.connection.send(new Uint8Array([4])), true, "writable again after the drain");
    await waitFor(() => atBob.byteLength === 4);
    await outbound.connection.close();
    await inbound.connection.close();
  });

  it("a flipped ciphertext bit after the handshake closes the connection with P2P_RECORD_AUTH_FAILED", async () => {
    const { bobEncrypter, rawOutbound, rawInbound, outbound, inbound } = await securedPair();
    collect(inbound.connection);
    const failed = once(bobEncrypter, "connection:failed") as Promise<[QstpEvents["connection:failed"]]>;
    const send = rawOutbound.send.bind(rawOutbound);
    rawOutbound.send = (data) => {
      const bytes = data.subarray();
      bytes[FRAME_HEADER_SIZE_BYTES + 3] = (bytes[FRAME_HEADER_SIZE_BYTES + 3] as number) ^ 0x10;
      return send(bytes);
    };
    outbound.connection.send(new Uint8Array(64).fill(9));
    const [event] = await failed;
    assert.equal(event.detail.error.code, "P2P_RECORD_AUTH_FAILED");
    await waitFor(() => inbound.connection.status === "aborted" && rawInbound.status === "aborted");
    await waitFor(() => outbound.connection.status !== "open");
  });

  it("an oversized frame length closes the connection with P2P_FRAME_TOO_LARGE from the header alone", async () => {
    const { bobEncrypter, rawOutbound, rawInbound, outbound, inbound } = await securedPair({ recordSizeBytesMax: 4096 });
    collect(inbound.connection);
    const failed = once(bobEncrypter, "connection:failed") as Promise<[QstpEvents["connection:failed"]]>;
    rawOutbound.send(new Uint8Array([0x7f, 0xff, 0xff, 0xff, RecordType.data]));
    const [event] = await failed;
    assert.equal(event.detail.error.code, "P2P_FRAME_TOO_LARGE");
    assert.equal(event.detail.error.meta.sizeBytes, 0x7fff_ffff);
    await waitFor(() => rawInbound.status === "aborted");
    outbound.connection.abort(new Error("test over"));
  });
});
