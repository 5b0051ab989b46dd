import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { Uint8ArrayList } from "uint8arraylist";
import { FRAME_HEADER_SIZE_BYTES, isQstpError, RecordOpener, RecordSealer, RecordType, resolveQstpOptions, type QstpOptions } from "../../src/p2p/index.ts";
import { bytesEqual, concatBytes } from "../../src/util/index.ts";

function limits(overrides: Partial<QstpOptions> = {}): QstpOptions {
  return resolveQstpOptions(overrides);
}

function fakeClock(startMs = 0): { nowMs(): number; advance(ms: number): void } {
  let nowMs = startMs;
  return { nowMs: () => nowMs, advance: (ms) => (nowMs += ms) };
}

function pair(overrides: Partial<QstpOptions> = {}, clock = fakeClock()) {
  const key = new Uint8Array(randomBytes(32));
  const counts = { sent: 0, received: 0 };
  const sealer = new RecordSealer(key, limits(overrides), clock, () => (counts.sent += 1));
  const opener = new RecordOpener(key, limits(overrides), () => (counts.received += 1));
  return { sealer, opener, counts, clock };
}

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => isQstpError(err) && err.code === code);
}

describe("qstp record layer", () => {
  it("round-trips data split into records of at most recordSizeBytesMax", () => {
    const { sealer, opener } = pair({ recordSizeBytesMax: 1000 });
    const data = new Uint8Array(randomBytes(4_500));
    const frames = sealer.seal(data);
    assert.equal(frames.byteLength, data.byteLength + 5 * (FRAME_HEADER_SIZE_BYTES + 16), "five records");
    assert.ok(bytesEqual(opener.open(frames).subarray(), data));
  });

  it("reassembles frames delivered one byte at a time", () => {
    const { sealer, opener } = pair({ recordSizeBytesMax: 64 });
    const data = new Uint8Array(randomBytes(300));
    const frames = sealer.seal(data).subarray();
    const out = new Uint8ArrayList();
    for (let i = 0; i < frames.byteLength; i++) out.append(opener.open(frames.subarray(i, i + 1)));
    assert.ok(bytesEqual(out.subarray(), data));
  });

  it("rekeys by bytes: both ends step the key at each limit and data still flows", () => {
    const { sealer, opener, counts } = pair({ recordSizeBytesMax: 256, rekeyBytes: 1024 });
    const data = new Uint8Array(randomBytes(10 * 1024));
    const out = opener.open(sealer.seal(data));
    assert.ok(bytesEqual(out.subarray(), data));
    assert.equal(counts.sent, 9, "a key update before every 1 KiB after the first");
    assert.equal(counts.received, 9);
    assert.equal(sealer.keyIndex, opener.keyIndex);
  });

  it("rekeys by time when the key is older than rekeyIntervalMs at the next record", () => {
    const { sealer, opener, counts, clock } = pair({ rekeyIntervalMs: 60_000 });
    opener.open(sealer.seal(new Uint8Array([1])));
    clock.advance(59_999);
    opener.open(sealer.seal(new Uint8Array([2])));
    assert.equal(counts.sent, 0);
    clock.advance(1);
    const out = opener.open(sealer.seal(new Uint8Array([3])));
    assert.deepEqual([...out.subarray()], [3]);
    assert.equal(counts.sent, 1);
    assert.equal(counts.received, 1);
  });

  it("a flipped ciphertext bit fails authentication", () => {
    const { sealer, opener } = pair();
    const frames = sealer.seal(new Uint8Array(100)).subarray();
    frames[FRAME_HEADER_SIZE_BYTES + 10] = (frames[FRAME_HEADER_SIZE_BYTES + 10] as number) ^ 0x04;
    expectCode(() => opener.open(frames), "P2P_RECORD_AUTH_FAILED");
  });

  it("a replayed, reordered or dropped record fails authentication (implicit counter nonces)", () => {
    const replayed = pair();
    const first = replayed.sealer.seal(new Uint8Array([1])).subarray();
    replayed.opener.open(first);
    expectCode(() => replayed.opener.open(first), "P2P_RECORD_AUTH_FAILED");

    const reordered = pair();
    const a = reordered.sealer.seal(new Uint8Array([1])).subarray();
    const b = reordered.sealer.seal(new Uint8Array([2])).subarray();
    expectCode(() => reordered.opener.open(concatBytes([b, a])), "P2P_RECORD_AUTH_FAILED");

    const dropped = pair();
    dropped.sealer.seal(new Uint8Array([1]));
    expectCode(() => dropped.opener.open(dropped.sealer.seal(new Uint8Array([2]))), "P2P_RECORD_AUTH_FAILED");
  });

  it("refuses an oversized frame length from the header alone, buffering nothing of the body", () => {
    const { opener } = pair({ recordSizeBytesMax: 1024 });
    const header = new Uint8Array(FRAME_HEADER_SIZE_BYTES);
    new DataView(header.buffer).setUint32(0, 0xffff_ffff);
    header[4] = RecordType.data;
    expectCode(() => opener.open(header), "P2P_FRAME_TOO_LARGE");
    new DataView(header.buffer).setUint32(0, 1024 + 16 + 1);
    expectCode(() => pair({ recordSizeBytesMax: 1024 }).opener.open(header), "P2P_FRAME_TOO_LARGE");
  });

  it("refuses unknown record types and key updates that carry data", () => {
    const header = new Uint8Array([0, 0, 0, 16, 9]);
    expectCode(() => pair().opener.open(header), "P2P_FRAME_MALFORMED");
    expectCode(() => pair().opener.open(new Uint8Array([0, 0, 0, 17, RecordType.keyUpdate])), "P2P_FRAME_MALFORMED");
    expectCode(() => pair().opener.open(new Uint8Array([0, 0, 0, 15, RecordType.data])), "P2P_FRAME_MALFORMED");
  });

  it("a forged key update (wrong key) fails authentication and does not step the key", () => {
    const { opener, counts } = pair();
    const forger = pair();
    expectCode(() => opener.open(forger.sealer.rekey()), "P2P_RECORD_AUTH_FAILED");
    assert.equal(counts.received, 0);
    assert.equal(opener.keyIndex, 0);
  });

  it("closes with P2P_NONCE_EXHAUSTED instead of reusing a nonce, on both ends", () => {
    const { sealer, opener } = pair({ recordsPerKeyMax: 3 });
    opener.open(sealer.seal(new Uint8Array(3 * 64 * 1024)));
    expectCode(() => sealer.seal(new Uint8Array([1])), "P2P_NONCE_EXHAUSTED");
    // A peer configured with a higher limit sends a fourth record under one key: refused.
    const key = new Uint8Array(randomBytes(32));
    const lax = new RecordSealer(key, limits({ recordsPerKeyMax: 4 }), fakeClock());
    const strict = new RecordOpener(key, limits({ recordsPerKeyMax: 3 }));
    expectCode(() => strict.open(lax.seal(new Uint8Array(4 * 64 * 1024))), "P2P_NONCE_EXHAUSTED");
  });
});
